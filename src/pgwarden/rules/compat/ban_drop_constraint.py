"""PW315 ban-drop-constraint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.compat._objects import (
    TYPE,
    created_before,
    dotted,
    existing_lock,
)
from pgwarden.sql.nodes import enum_name, qname

# What dropping each kind of constraint lets happen (the lock model's drop-constraint causes).
_LOSES = {
    "check": "lets rows its CHECK rejected be written",
    "unique": "lets duplicates be written and drops its index",
    "primary-key": "lets duplicate and NULL keys be written and drops its index",
    "exclusion": "lets conflicting rows be written and drops its index",
    "not-null": "lets NULLs be written",
}


class BanDropConstraint(Rule):
    """Dropping a constraint removes a guarantee that running code and data may rely on.

    Why:
        Once a CHECK, UNIQUE, PRIMARY KEY or FOREIGN KEY constraint is gone, rows that break
        it can be written and nothing says so: code that relied on it (upserts with `ON
        CONFLICT`, joins that assume one match, cleanup that assumes no orphans) goes wrong
        quietly. Dropping a primary key or unique constraint also drops its index, so queries
        that used it fall back to sequential scans; dropping a foreign key removes its
        triggers from both tables. The drop takes ACCESS EXCLUSIVE on the table (and on the
        referenced table for a foreign key), so it waits behind long queries and blocks
        everything queued after it.

    Schema:
        ```sql
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (
            id bigint PRIMARY KEY,
            customer_id bigint CONSTRAINT orders_customer_fk REFERENCES customers,
            total numeric CONSTRAINT orders_total_positive CHECK (total > 0)
        );
        ```

    Example:
        ```sql
        ALTER TABLE orders DROP CONSTRAINT orders_customer_fk;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        BEGIN;
        ALTER TABLE orders DROP CONSTRAINT orders_total_positive;
        ALTER TABLE orders ADD CONSTRAINT orders_total_positive CHECK (total >= 0) NOT VALID;
        COMMIT;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_total_positive;
        ```

    Notes:
        A constraint added again under the same name later in the same file is a replacement
        and is not flagged (do it in one transaction so no row slips in between), nor one
        added earlier in the same file (such as the `CHECK (col IS NOT NULL)` helper of the
        safe SET NOT NULL pattern), nor one of a table created or dropped in the same file
        (ban-drop-table reports that). When a constraint really has to go, drop it with
        `-- pgwarden: ignore[ban-drop-constraint]` and a `lock_timeout`. `ALTER DOMAIN ...
        DROP CONSTRAINT` is reported too.
    """

    code = "PW315"
    name = "ban-drop-constraint"
    kinds = frozenset({"AlterTableStmt", "AlterDomainStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-constraint"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        node = a.stmt.node
        if a.stmt.kind == "AlterDomainStmt":
            if node.subtype == "X" and dotted(node.typeName) not in created_before(a, ctx, TYPE):
                yield self.finding(
                    a,
                    f"dropping constraint {node.name} of domain {dotted(node.typeName)} stops "
                    "checking the values of every column of that domain",
                    "keep the constraint, or replace it with a looser one in the same transaction",
                )
            return
        dropped = [
            cmd.name
            for cmd in node.cmds or ()
            if enum_name(cmd.subtype) == "AT_DropConstraint" and cmd.name
        ]
        if not dropped:
            return
        lk = existing_lock(a)
        if lk is None:
            return
        table = lk.relation
        if _dropped_later(ctx, a, table):
            return  # ban-drop-table reports the table
        kept = _added(ctx, table)
        known = {
            c.detail: c
            for c in a.effect.causes
            if c.code.startswith("drop-constraint:") and c.relation is not None
        }
        for name in dropped:
            if name in kept:
                continue
            cause = known.get(name)
            kind = cause.code.partition(":")[2] if cause else ""
            if cause is not None and kind == "foreign-key":
                what = f"foreign key {name} of {table} (to {cause.relation})"
                loses = f"lets rows that reference nothing in {cause.relation} be written"
            elif kind in _LOSES:
                what = f"{kind.replace('-', ' ')} constraint {name} of {table}"
                loses = _LOSES[kind]
            else:
                what = f"constraint {name} of {table}"
                loses = "removes a guarantee running code may rely on (a primary key or unique "
                loses += "constraint also drops its index)"
            yield self.finding(
                a,
                f"dropping {what} {loses}; takes {describe_lock(lk.mode)}",
                "keep the constraint, or replace it under the same name (NOT VALID, then VALIDATE)",
            )


def _added(ctx: FileContext, table: QualifiedName) -> set[str]:
    """Constraint names the file adds to `table`, before or after the drop: dropping one added
    earlier loses nothing clients rely on, and one added again later is a replacement (for the
    moment in between, rows are not checked, but no query fails)."""
    by_table: dict[QualifiedName, set[str]] | None = ctx.memo.get(_ADDED)
    if by_table is None:  # once per file: a file may drop hundreds of constraints
        by_table = ctx.memo[_ADDED] = {}
        for b in ctx.session.statements:
            if b.stmt.kind == "AlterTableStmt":
                names = by_table.setdefault(qname(b.stmt.node.relation), set())
                names.update(_constraint_names(b.stmt.node))
    return by_table.get(table, set())


def _dropped_later(ctx: FileContext, a: Analysed, table: QualifiedName) -> bool:
    last: dict[QualifiedName, int] | None = ctx.memo.get(_DROPPED)
    if last is None:  # table -> index of the last statement that drops it
        last = ctx.memo[_DROPPED] = {}
        for b in ctx.session.statements:
            for c in b.effect.find("compat:drop-table"):
                if c.relation is not None:
                    last[c.relation] = b.stmt.index
    return last.get(table, -1) > a.stmt.index


_ADDED = "ban-drop-constraint:added"
_DROPPED = "ban-drop-constraint:dropped"


def _constraint_names(node: Any) -> Iterator[str]:
    for cmd in node.cmds or ():
        if enum_name(cmd.subtype) == "AT_AddConstraint":
            name = getattr(cmd.def_, "conname", None)
            if name:
                yield name
