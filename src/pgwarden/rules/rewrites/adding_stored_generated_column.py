"""PW204 adding-stored-generated-column."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class AddingStoredGeneratedColumn(Rule):
    """Adding a stored generated column computes it for every row under ACCESS EXCLUSIVE.

    Why:
        `GENERATED ALWAYS AS (...) STORED` evaluates the expression for each existing row and
        writes the result, so PostgreSQL rewrites the table while it holds ACCESS EXCLUSIVE:
        reads and writes wait for the whole copy. PostgreSQL 18's virtual generated columns
        are computed on read and store nothing, so they add instantly.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, net numeric NOT NULL, tax numeric NOT NULL);
        ```

    Example:
        ```sql
        ALTER TABLE orders ADD COLUMN gross numeric GENERATED ALWAYS AS (net + tax) STORED;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE orders ADD COLUMN gross numeric;
        ```

    Notes:
        Fill the plain column with a batched UPDATE and keep it current with a trigger (or the
        application), or, on PostgreSQL 18, use a VIRTUAL generated column. A table created in
        the same file is not flagged.
    """

    code = "PW204"
    name = "adding-stored-generated-column"
    causes = ("rewrite:generated-stored",)
    category = "rewrites"
    severity = Severity.ERROR
    peers = {
        "squawk": "adding-field-with-default",
        "eugene": "E11",
        "strong_migrations": "add_column_generated_stored",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        alternative = (
            "use a VIRTUAL generated column (computed on read)"
            if ctx.version >= 18
            else "add a plain column, backfill it in batches and keep it current with a trigger"
        )
        for cause, lk in on_existing(a, "rewrite:generated-stored"):
            yield self.finding(
                a,
                f"adding stored generated column {column_ref(cause)} rewrites {lk.relation} "
                f"under {describe_lock(lk.mode)}: {cause.detail}",
                alternative,
            )
