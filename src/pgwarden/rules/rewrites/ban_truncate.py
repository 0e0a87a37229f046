"""PW206 ban-truncate."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class BanTruncate(Rule):
    """TRUNCATE of an existing table deletes every row under ACCESS EXCLUSIVE.

    Why:
        TRUNCATE is not a fast DELETE: it takes ACCESS EXCLUSIVE, so it waits for every query
        on the table and every query waits for it, and once committed the data is gone (no
        WHERE, no triggers per row, not MVCC-safe for concurrent snapshots). In a migration
        that runs against production it is almost always a mistake or a leftover from a
        development script.

    Schema:
        ```sql
        CREATE TABLE audit_log (id bigint PRIMARY KEY, entry text);
        ```

    Example:
        ```sql
        TRUNCATE audit_log;
        ```

    Use instead:
        ```sql
        DELETE FROM audit_log WHERE id < 10000;
        ```

    Notes:
        Delete in batches by primary-key range and commit between batches. A table created in
        the same file is not flagged.
    """

    code = "PW206"
    name = "ban-truncate"
    causes = ("truncate",)
    category = "rewrites"
    severity = Severity.WARNING
    peers = {}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "truncate"):
            if cause.code != "truncate":
                continue  # truncate:cascade is ban-truncate-cascade's
            yield self.finding(
                a,
                f"TRUNCATE takes {describe_lock(lk.mode)} on {lk.relation} and deletes every row",
                "delete the rows you mean to remove in batches (DELETE ... WHERE id < ...), "
                "committing between batches",
            )
