"""Column definitions a statement writes (CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE).

Type-hygiene rules look at the type a migration chooses, which the lock model does not record;
they apply to new tables as much as to existing ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule
from pgwarden.sql.nodes import enum_name, qname, type_label, type_name

_SPELLING = {"int4": "integer", "int2": "smallint", "int8": "bigint", "bpchar": "char"}


@dataclass(slots=True, unsafe_hash=True)  # not frozen: built for every column (see Finding)
class ColumnType:
    """One column's declared type, as written in one statement."""

    table: QualifiedName
    column: str
    type_name: str  # canonical (int4, varchar, timestamptz, serial ...)
    typmods: tuple[int, ...]
    array: bool
    written: tuple[str, ...]  # the parser's name parts, e.g. ("pg_catalog", "bpchar")
    how: str  # CREATE TABLE, ADD COLUMN, ALTER COLUMN TYPE

    @property
    def label(self) -> str:
        """The type as people write it (`integer`, not the catalog's `int4`)."""
        return type_label(_SPELLING.get(self.type_name, self.type_name), self.typmods, self.array)

    def __str__(self) -> str:
        return f"{self.table}.{self.column}"


# [node, its column types (None: not built yet), their type names]: eight rules ask about
# each statement, and most only need the names (the statement declares none of their types).
_LAST: list[Any] = [None, None, frozenset()]


def column_types(node: Any) -> tuple[ColumnType, ...]:
    """Every column type a CREATE TABLE or ALTER TABLE statement declares."""
    if _LAST[0] is not node:
        declared_type_names(node)
    types: tuple[ColumnType, ...] | None = _LAST[1]
    if types is None:
        types = _LAST[1] = tuple(_column(*d) for d in _declarations(node))
    return types


def declared_type_names(node: Any) -> frozenset[str]:
    """The canonical type names among column_types(node)."""
    if _LAST[0] is not node:  # holding the node keeps its id from being reused
        names = frozenset(type_name(d[2].typeName)[0] for d in _declarations(node))
        _LAST[:] = [node, None, names]
    found: frozenset[str] = _LAST[2]
    return found


def _declarations(node: Any) -> Iterator[tuple[QualifiedName, str, Any, str]]:
    """(table, column, ColumnDef, how) of each column the statement gives a type."""
    kind = type(node).__name__
    if kind == "CreateStmt":
        table = qname(node.relation)
        for elt in node.tableElts or ():
            if type(elt).__name__ == "ColumnDef" and elt.colname and elt.typeName is not None:
                # (PARTITION OF ... (col WITH OPTIONS ...) declares no type)
                yield table, str(elt.colname), elt, "CREATE TABLE"
    elif kind == "AlterTableStmt" and enum_name(node.objtype) == "OBJECT_TABLE":
        table = qname(node.relation)
        for cmd in node.cmds or ():
            cd = cmd.def_
            if cd is None or getattr(cd, "typeName", None) is None:
                continue
            sub = enum_name(cmd.subtype)
            if sub == "AT_AddColumn" and cd.colname:
                yield table, str(cd.colname), cd, "ADD COLUMN"
            elif sub == "AT_AlterColumnType" and cmd.name:
                yield table, str(cmd.name), cd, "ALTER COLUMN TYPE"


def _column(table: QualifiedName, name: str, cd: Any, how: str) -> ColumnType:
    tn = cd.typeName
    written = tuple(s.sval for s in tn.names or () if hasattr(s, "sval"))
    canonical, mods, array = type_name(tn)
    return ColumnType(table, name, canonical, mods, array, written, how)


class ColumnTypeRule(Rule):
    """A rule about the type a column is declared with (subclasses say which and why)."""

    kinds = frozenset({"CreateStmt", "AlterTableStmt"})
    # The canonical type names `matches` can accept: most statements declare none of them.
    type_names: frozenset[str]

    def matches(self, ct: ColumnType) -> bool:
        """Only called for a column whose type_name is in `type_names`."""
        raise NotImplementedError

    def problem(self, ct: ColumnType) -> str:
        raise NotImplementedError

    def advice(self, ct: ColumnType) -> str:
        raise NotImplementedError

    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:  # see unknown-statement
        stmt = a.stmt
        if stmt.kind not in ("CreateStmt", "AlterTableStmt"):
            return []
        node = stmt.node
        # Eight rules ask about each such statement (~30k calls a corpus), nearly always to
        # hear that it declares none of their types: the memo is read here, without a call.
        names = _LAST[2] if _LAST[0] is node else declared_type_names(node)
        if self.type_names.isdisjoint(names):
            return []
        return [
            self.finding(a, f"{ct} is {ct.label} ({ct.how}): {self.problem(ct)}", self.advice(ct))
            for ct in column_types(node)
            if ct.type_name in self.type_names and self.matches(ct)
        ]
