"""PW606 foreign-key-without-index."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import enum_name, qname


class ForeignKeyWithoutIndex(Rule):
    """A foreign key whose referencing columns no index leads with.

    Why:
        PostgreSQL indexes the referenced side of a foreign key (it must be a primary key or
        unique) but not the referencing side. Every DELETE of a referenced row, and every
        UPDATE of its key, must find the rows that point at it: without an index leading with
        the foreign-key columns that is a full scan of the referencing table, once per row,
        while holding row locks. ON DELETE CASCADE and joins along the key suffer the same
        way. The check uses the schema as the file leaves it, so an index created later in
        the same file counts.

    Example:
        ```sql
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
        ```

    Use instead:
        ```sql
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);
        CREATE INDEX orders_customer_id_idx ON orders (customer_id);
        ```

    Notes:
        An index counts when the foreign-key columns are its leading columns, in any order,
        and it is neither partial nor invalid. Foreign keys of tables pgwarden knows nothing
        about (no `--schema`) are not checked.
    """

    code = "PW606"
    name = "foreign-key-without-index"
    category = "hygiene"
    severity = Severity.WARNING
    peers = {"eugene": "E15 (trace only)"}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        catalog = ctx.catalog
        if catalog is None:
            return
        for a in ctx.session.statements:
            if a.stmt.kind not in ("CreateStmt", "AlterTableStmt"):
                continue
            for table, columns, ref in _foreign_keys(a.stmt.node):
                t = catalog.table(table)
                if t is None or t.kind not in ("table", "partitioned") or not columns:
                    continue
                if any(c not in t.columns for c in columns) or _covered(catalog, table, columns):
                    continue
                cols = ", ".join(columns)
                how = "CREATE INDEX" if t.new else "CREATE INDEX CONCURRENTLY"
                yield self.finding(
                    a,
                    f"no index on {table} leads with ({cols}), the columns of its foreign key "
                    f"to {ref}: every DELETE or key UPDATE on {ref} scans {table}",
                    f"{how} ON {table} ({cols})",
                )


def _foreign_keys(node: Any) -> Iterator[tuple[QualifiedName, tuple[str, ...], QualifiedName]]:
    """(referencing table, its columns, referenced table) for each foreign key a statement adds."""
    kind = type(node).__name__
    if kind == "CreateStmt":
        table = qname(node.relation)
        for elt in node.tableElts or ():
            k = type(elt).__name__
            if k == "ColumnDef":
                for c in elt.constraints or ():
                    if enum_name(c.contype) == "CONSTR_FOREIGN":
                        yield table, _columns(c, elt.colname), qname(c.pktable)
            elif k == "Constraint" and enum_name(elt.contype) == "CONSTR_FOREIGN":
                yield table, _columns(elt, None), qname(elt.pktable)
    elif kind == "AlterTableStmt" and enum_name(node.objtype) == "OBJECT_TABLE":
        table = qname(node.relation)
        for cmd in node.cmds or ():
            sub = enum_name(cmd.subtype)
            d = cmd.def_
            if sub == "AT_AddConstraint" and enum_name(getattr(d, "contype", "")) == (
                "CONSTR_FOREIGN"
            ):
                yield table, _columns(d, None), qname(d.pktable)
            elif sub == "AT_AddColumn" and d is not None:
                for c in d.constraints or ():
                    if enum_name(c.contype) == "CONSTR_FOREIGN":
                        yield table, _columns(c, d.colname), qname(c.pktable)


def _columns(con: Any, column: str | None) -> tuple[str, ...]:
    cols = tuple(s.sval for s in con.fk_attrs or () if hasattr(s, "sval"))
    return cols or ((column,) if column else ())


def _covered(catalog: Catalog, table: QualifiedName, columns: tuple[str, ...]) -> bool:
    """Some valid, non-partial index has exactly these columns first (in any order)."""
    want = set(columns)
    for idx in catalog.indexes_of(table):
        if idx.valid and not idx.partial and set(idx.columns[: len(columns)]) == want:
            return True
    return False
