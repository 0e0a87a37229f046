"""PW304 renaming-column."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class RenamingColumn(Rule):
    """Renaming a column breaks running code that uses the old name.

    Why:
        The rename is instant, but the application version running during the deploy still
        uses the old name: its queries fail from the moment the rename commits until every
        instance runs the new code. It also takes ACCESS EXCLUSIVE on the table.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users RENAME COLUMN email TO email_address;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE users ADD COLUMN email_address text;
        ```

    Notes:
        Expand and contract: add the new column, write both (trigger or application),
        backfill in batches, move readers to the new column, then drop the old one in a later
        release. A column of a table created in the same file is not flagged.
    """

    code = "PW304"
    name = "renaming-column"
    causes = ("compat:rename-column",)
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "renaming-column", "strong_migrations": "rename_column"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "compat:rename-column"):
            yield self.finding(
                a,
                f"renaming {column_ref(cause)} to {cause.detail} breaks running code that uses "
                f"the old name (takes {describe_lock(lk.mode)} on {lk.relation})",
                "add a new column, write both and backfill, move readers over, then drop the "
                "old column in a later release",
            )
