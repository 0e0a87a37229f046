"""PW305 renaming-table."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class RenamingTable(Rule):
    """Renaming a table or view breaks running code that uses it.

    Why:
        The rename is instant, but the application version running during the deploy still
        queries the old name and fails from the moment the rename commits. It takes ACCESS
        EXCLUSIVE on the table. Renaming a view breaks its readers in the same way. Moving a
        table to another schema is ban-set-schema.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users RENAME TO accounts;
        ```

    Use instead:
        ```sql
        CREATE VIEW accounts AS SELECT * FROM users;
        ```

    Notes:
        A simple view over one table is updatable, so code can move to the new name first;
        swap table and view later in one short transaction. A table created in the same file
        is not flagged.
    """

    code = "PW305"
    name = "renaming-table"
    causes = ("compat:rename-table", "compat:rename-view")
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "renaming-table", "strong_migrations": "rename_table"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for prefix in ("compat:rename-table", "compat:rename-view"):
            for cause, lk in on_existing(a, prefix):
                if cause.detail.startswith("schema "):
                    continue  # ALTER ... SET SCHEMA: ban-set-schema reports it
                yield self.finding(
                    a,
                    f"renaming {lk.relation} to {cause.detail} breaks running code that uses "
                    f"the old name (takes "
                    f"{describe_lock(lk.mode)})",
                    "create the new name as a view over the table, move the code to it, then "
                    "swap them in a later release",
                )
