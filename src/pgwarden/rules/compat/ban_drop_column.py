"""PW301 ban-drop-column."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class BanDropColumn(Rule):
    """Dropping a column breaks application code that still reads or writes it.

    Why:
        During a deploy the old version of the application keeps running next to the
        migration. Any query that names the column fails as soon as the drop commits, and
        ORMs that cache the column list (ActiveRecord, Django with `SELECT` of every field)
        fail on queries that never mention it. The drop itself is quick, but it needs ACCESS
        EXCLUSIVE on the table.

    Schema:
        ```sql
        CREATE TABLE accounts (id bigint PRIMARY KEY, legacy_flag boolean);
        ```

    Example:
        ```sql
        ALTER TABLE accounts DROP COLUMN legacy_flag;
        ```

    Use instead:
        ```sql
        COMMENT ON COLUMN accounts.legacy_flag IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        Release code that no longer uses the column (tell the ORM to ignore it) first, then
        drop it in a later migration with `-- pgwarden: ignore[ban-drop-column]`. A column of a
        table created in the same file is not flagged.
    """

    code = "PW301"
    name = "ban-drop-column"
    causes = ("compat:drop-column",)
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-column", "strong_migrations": "remove_column"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "compat:drop-column"):
            yield self.finding(
                a,
                f"dropping {column_ref(cause)} breaks running code that still uses it "
                f"(and takes {describe_lock(lk.mode)} on {lk.relation})",
                "deploy code that no longer reads or writes the column first, then drop it "
                "in a later migration",
            )
