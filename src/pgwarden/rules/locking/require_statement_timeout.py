"""PW115 require-statement-timeout."""

from __future__ import annotations

from pgwarden.locks.effects import RelationLock
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class RequireStatementTimeout(Rule):
    """A statement scans, rewrites or builds while holding a blocking lock, with no timeout.

    Why:
        When a statement reads every row, rewrites a table or builds an index while its
        transaction holds a lock that blocks the application, the outage lasts as long as the
        work: on a table larger than expected, or on a slow disk, that is minutes or hours. A
        statement_timeout bounds it: the statement fails, its locks are released, and the
        migration can be rescheduled or rewritten in an online form.

    Schema:
        ```sql
        CREATE TABLE measurements (taken_on date NOT NULL, value numeric)
            PARTITION BY RANGE (taken_on);
        CREATE TABLE measurements_2025 (taken_on date NOT NULL, value numeric);
        ```

    Example:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE measurements ATTACH PARTITION measurements_2025
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5min';
        ALTER TABLE measurements ATTACH PARTITION measurements_2025
            FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
        ```

    Notes:
        Only statements that do work proportional to the table size under such a lock are
        reported; CREATE INDEX CONCURRENTLY and VALIDATE CONSTRAINT block nobody and should run
        without a statement_timeout. Off when the file will run under `pgwarden migrate` or
        `pgwarden run`, which set the timeouts themselves (`runner-timeouts = true`).
    """

    code = "PW115"
    name = "require-statement-timeout"
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {"squawk": "require-statement-timeout"}

    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:  # see unknown-statement
        e = a.effect
        if (
            a.statement_timeout
            or ctx.runner_timeouts
            or not (e.rewrites or e.scans or e.index_rebuilds)
        ):
            return []
        # Work on relations created in this file is quick: they are empty or tiny.
        work = [r for r in (*e.rewrites, *e.scans) if not _new(lock_on(a, r))]
        # Indexes rebuilt by a rewrite carry no lock of their own; REINDEX locks each one.
        work += [i for i in e.index_rebuilds if (x := lock_on(a, i)) and not x.new]
        if not work:
            return []
        blocking = [lk for lk in e.locks if hurting(lk)]
        blocking += [lk for lk in a.held_before.values() if hurting(lk)]
        if not blocking:
            return []
        lk = max(blocking, key=lambda x: x.mode)
        verb = "rewrites" if e.rewrites else "scans"
        return [
            self.finding(
                a,
                f"{verb} {work[0]} while holding {describe_lock(lk.mode)} on {lk.relation}, "
                "with no statement_timeout: the application stays blocked for as long as the "
                "work takes",
                "SET statement_timeout (or SET LOCAL in the transaction) to bound the outage, "
                "or run it with `pgwarden migrate`",
            )
        ]


def _new(lk: RelationLock | None) -> bool:
    return lk is not None and lk.new
