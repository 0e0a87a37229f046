"""PW111 prefer-repack."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import lock_on

_HELP = (
    "reclaim the space online with pg_repack or pg_squeeze (PostgreSQL 19: REPACK "
    "(CONCURRENTLY)); plain VACUUM frees space for reuse without blocking"
)


class PreferRepack(Rule):
    """VACUUM FULL and CLUSTER rewrite the table under ACCESS EXCLUSIVE.

    Why:
        Both copy the whole table (and rebuild its indexes) into new storage while holding
        ACCESS EXCLUSIVE: no reads and no writes until the copy ends, which takes minutes to
        hours on a large table. pg_repack and pg_squeeze do the same compaction online and take
        the exclusive lock only for a moment at the end; PostgreSQL 19 adds `REPACK
        (CONCURRENTLY)`.

    Schema:
        ```sql
        CREATE TABLE events (id bigint PRIMARY KEY, payload jsonb);
        ```

    Example:
        ```sql
        VACUUM FULL events;
        ```

    Use instead:
        ```sql
        SELECT squeeze.squeeze_table('public', 'events');
        ```

    Notes:
        The Use instead needs the pg_squeeze extension; `pg_repack --table=events` does the
        same from the command line. Tables created in the same file are not flagged.
    """

    code = "PW111"
    name = "prefer-repack"
    causes = ("rewrite:vacuum-full", "rewrite:cluster")
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {"squawk": "prefer-repack"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for code, label in (("rewrite:vacuum-full", "VACUUM FULL"), ("rewrite:cluster", "CLUSTER")):
            for cause in a.effect.find(code):
                if cause.relation is None:
                    yield self.finding(
                        a,
                        f"{label} rewrites {cause.detail}, each under ACCESS EXCLUSIVE "
                        "(blocks reads and writes)",
                        _HELP,
                    )
                    continue
                lk = lock_on(a, cause.relation)
                if lk is None or lk.new:
                    continue
                yield self.finding(
                    a,
                    f"{label} rewrites {lk.relation} while holding {describe_lock(lk.mode)}",
                    _HELP,
                )
