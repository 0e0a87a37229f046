"""PW404 prefer-robust-stmts."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.locking._common import is_control
from pgwarden.sql.nodes import enum_name

_RERUN = "if a later statement fails, re-running the file stops here"


class PreferRobustStmts(Rule):
    """Outside a transaction, CREATE/ADD/DROP without IF [NOT] EXISTS cannot be re-run.

    Why:
        Statements that run outside a transaction block (CREATE INDEX CONCURRENTLY must, and
        plain files run by psql do) stay applied when a later statement fails. Re-running the
        file then fails at the first statement that already took effect: "relation already
        exists", "column does not exist". With IF NOT EXISTS / IF EXISTS the file can simply
        be run again after the failure is fixed.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        ```

    Example:
        ```sql
        SET lock_timeout = '2s';
        CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
        ALTER TABLE orders ADD COLUMN note text;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
        ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;
        ```

    Notes:
        Not reported inside a transaction block or with `--assume-in-transaction` (a failure
        rolls everything back), nor in a file with a single statement besides settings.
        ADD CONSTRAINT has no IF NOT EXISTS: it passes when the file drops the constraint
        with IF EXISTS first. VALIDATE CONSTRAINT is idempotent and never reported.
    """

    code = "PW404"
    name = "prefer-robust-stmts"
    category = "transactions"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {"squawk": "prefer-robust-stmts"}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        work = [a for a in ctx.session.statements if not is_control(a)]
        if len(work) < 2:
            return
        dropped: set[str] = set()  # constraints dropped with IF EXISTS earlier in the file
        for a in work:
            for problem, fix in _problems(a.stmt.node, dropped):
                if not a.in_transaction:
                    yield self.finding(a, f"{problem} runs outside a transaction: {_RERUN}", fix)


def _problems(node: Any, dropped: set[str]) -> Iterator[tuple[str, str]]:
    kind = type(node).__name__
    if kind == "CreateStmt" and not node.if_not_exists:
        yield "CREATE TABLE without IF NOT EXISTS", "use CREATE TABLE IF NOT EXISTS"
    elif kind == "IndexStmt" and not node.if_not_exists:
        label = "CREATE INDEX" + (" CONCURRENTLY" if node.concurrent else "")
        if node.idxname:
            yield f"{label} without IF NOT EXISTS", f"use {label} IF NOT EXISTS"
        else:
            yield (
                f"{label} without a name",
                "name the index so that IF NOT EXISTS can recognise it",
            )
    elif kind == "DropStmt" and not node.missing_ok:
        what = enum_name(node.removeType).removeprefix("OBJECT_").replace("_", " ")
        yield f"DROP {what} without IF EXISTS", f"use DROP {what} IF EXISTS"
    elif kind == "AlterTableStmt":
        for cmd in node.cmds or ():
            sub = enum_name(cmd.subtype)
            if sub == "AT_AddColumn" and not cmd.missing_ok:
                yield "ADD COLUMN without IF NOT EXISTS", "use ADD COLUMN IF NOT EXISTS"
            elif sub == "AT_DropColumn" and not cmd.missing_ok:
                yield "DROP COLUMN without IF EXISTS", "use DROP COLUMN IF EXISTS"
            elif sub == "AT_DropConstraint":
                if cmd.missing_ok:
                    dropped.add(cmd.name)
                else:
                    yield "DROP CONSTRAINT without IF EXISTS", "use DROP CONSTRAINT IF EXISTS"
            elif sub == "AT_AddConstraint":
                name = getattr(cmd.def_, "conname", None)
                if name is None or name not in dropped:
                    yield (
                        "ADD CONSTRAINT (which has no IF NOT EXISTS)",
                        "drop it first with ALTER TABLE ... DROP CONSTRAINT IF EXISTS, or run "
                        "the file in a transaction",
                    )
