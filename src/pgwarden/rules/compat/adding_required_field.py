"""PW307 adding-required-field."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class AddingRequiredField(Rule):
    """Adding a NOT NULL column without a default to an existing table.

    Why:
        If the table has rows, the ALTER fails: existing rows would hold NULL in a NOT NULL
        column. If it is empty, it succeeds, and then every INSERT from the application
        version still running (which does not know the column) fails with a not-null
        violation until the new code is everywhere.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE users ADD COLUMN tenant_id bigint NOT NULL DEFAULT 0;
        ```

    Notes:
        Since PostgreSQL 11 a constant default is stored in the catalog, so the column is
        added without a rewrite. Without a sensible default: add the column nullable,
        backfill it, then add NOT NULL with `CHECK (tenant_id IS NOT NULL) NOT VALID`,
        `VALIDATE CONSTRAINT` and `SET NOT NULL`. A table created in the same file is not
        flagged.
    """

    code = "PW307"
    name = "adding-required-field"
    causes = ("compat:required-column",)
    category = "compat"
    severity = Severity.ERROR
    peers = {"squawk": "adding-required-field"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "compat:required-column"):
            yield self.finding(
                a,
                f"adding NOT NULL {column_ref(cause)} without a default fails if "
                f"{lk.relation} has rows, and INSERTs from running code that does not set it "
                "fail",
                "give it a constant DEFAULT, or add it nullable, backfill, then add NOT NULL "
                "via CHECK ... NOT VALID + VALIDATE + SET NOT NULL",
            )
