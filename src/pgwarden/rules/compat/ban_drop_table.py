"""PW302 ban-drop-table."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class BanDropTable(Rule):
    """Dropping an existing table breaks code that uses it and deletes its data.

    Why:
        Running application code that still queries the table fails as soon as the drop
        commits, and the data is gone unless a backup is restored. DROP TABLE also takes
        ACCESS EXCLUSIVE on the table and on every table it has foreign keys to (their
        triggers are dropped), so it queues behind long queries on those tables too.

    Schema:
        ```sql
        CREATE TABLE legacy_events (id bigint PRIMARY KEY, payload text);
        ```

    Example:
        ```sql
        DROP TABLE legacy_events;
        ```

    Use instead:
        ```sql
        COMMENT ON TABLE legacy_events IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        Stop using the table in a release first, keep a backup or rename it aside for a while,
        then drop it with `-- pgwarden: ignore[ban-drop-table]`. A table created in the same
        file is not flagged.
    """

    code = "PW302"
    name = "ban-drop-table"
    causes = ("compat:drop-table",)
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-table"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for _cause, lk in on_existing(a, "compat:drop-table"):
            yield self.finding(
                a,
                f"dropping {lk.relation} deletes its data and breaks running code that uses it "
                f"(takes {describe_lock(lk.mode)})",
                "deploy code that no longer uses the table first, keep a backup, then drop it "
                "in a later migration",
            )
