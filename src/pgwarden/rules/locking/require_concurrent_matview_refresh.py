"""PW105 require-concurrent-matview-refresh."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import lock_on


class RequireConcurrentMatviewRefresh(Rule):
    """REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks every read of the view.

    Why:
        A plain refresh takes ACCESS EXCLUSIVE on the materialized view and rebuilds it from
        scratch: every SELECT on the view waits until the whole query behind it has run again.
        REFRESH MATERIALIZED VIEW CONCURRENTLY takes EXCLUSIVE, which still lets readers see the
        old contents while the new ones are computed and merged in.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, placed_on date, total numeric);
        CREATE MATERIALIZED VIEW daily_totals AS
            SELECT placed_on, sum(total) AS total FROM orders GROUP BY placed_on;
        CREATE UNIQUE INDEX daily_totals_placed_on_idx ON daily_totals (placed_on);
        ```

    Example:
        ```sql
        REFRESH MATERIALIZED VIEW daily_totals;
        ```

    Use instead:
        ```sql
        REFRESH MATERIALIZED VIEW CONCURRENTLY daily_totals;
        ```

    Notes:
        CONCURRENTLY needs a unique index on the materialized view (on plain columns, covering
        all rows) and a view that has been populated once. A view created in the same file is
        not flagged: nobody reads it yet.
    """

    code = "PW105"
    name = "require-concurrent-matview-refresh"
    causes = ("refresh-matview",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("refresh-matview"):
            lk = lock_on(a, cause.relation)
            if lk is None or lk.new:
                continue
            yield self.finding(
                a,
                f"REFRESH MATERIALIZED VIEW takes {describe_lock(lk.mode)} on {lk.relation}: "
                "every read of the view waits until its query has run again in full",
                "use REFRESH MATERIALIZED VIEW CONCURRENTLY (needs a unique index on the view)",
            )
