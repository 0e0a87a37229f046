"""PW316 ban-drop-generated-expression."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.compat._objects import altered_existing


class BanDropGeneratedExpression(Rule):
    """DROP EXPRESSION turns a generated column into a plain one that nothing fills in.

    Why:
        The stored values stay (PostgreSQL does not rewrite the table), but from then on the
        column is an ordinary column: the running application never writes it, because it
        could not write a generated column, so every new or updated row gets NULL (or the
        column default) and readers see stale or missing values. It takes ACCESS EXCLUSIVE on
        the table. Virtual generated columns (PostgreSQL 18) cannot drop their expression at
        all.

    Schema:
        ```sql
        CREATE TABLE order_lines (
            id bigint PRIMARY KEY,
            quantity int,
            price numeric,
            amount numeric GENERATED ALWAYS AS (quantity * price) STORED
        );
        ```

    Example:
        ```sql
        ALTER TABLE order_lines ALTER COLUMN amount DROP EXPRESSION;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE order_lines ADD COLUMN amount_override numeric;
        ```

    Notes:
        Deploy code that writes the column itself before dropping the expression, then drop
        it with `-- pgwarden: ignore[ban-drop-generated-expression]`. A column of a table
        created in the same file is not flagged.
    """

    code = "PW316"
    name = "ban-drop-generated-expression"
    kinds = frozenset({"AlterTableStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-generated-expression"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cmd, lk in altered_existing(a, "AT_DropExpression"):
            yield self.finding(
                a,
                f"dropping the expression of {lk.relation}.{cmd.name} leaves a plain column that "
                "the running code never writes: new rows get NULL (takes "
                f"{describe_lock(lk.mode)})",
                "deploy code that writes the column itself first, then drop the expression",
            )
