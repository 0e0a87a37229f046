"""Wait without queueing: while a session holds a conflicting lock, poll instead of asking.

A lock request queues, and every later request that conflicts with it queues behind it: that
is how one `ALTER TABLE` behind a backup stalls a whole application. So before sending a
statement that needs a traffic-blocking lock, the runner looks in pg_locks for sessions holding
a conflicting lock in a transaction older than an attempt would last; while one exists it polls
pg_stat_activity (cheap) and sends the statement the moment that transaction ends.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Any

from pgwarden.db import load_sql
from pgwarden.locks.modes import CONFLICTS
from pgwarden.runner.errors import LockWaitExceeded
from pgwarden.runner.events import BlockerInfo, EventSink, Retry, Waiting
from pgwarden.runner.policy import Policy, human
from pgwarden.runner.progress import ProgressTracker
from pgwarden.runner.script import Target
from pgwarden.runner.signals import Abort
from pgwarden.sql.nodes import DEFAULT_SCHEMA

_Q = "pgwarden.runner.queries"
FULL_CHECK_EVERY = 1.0  # re-read pg_locks this often even if the watched blockers stay
REPORT_EVERY = 10.0  # repeat the waiting event for plain logs


def _quote(ident: str) -> str:
    return '"' + ident.replace('"', '""') + '"'


def conflict_pairs(targets: Iterable[Target]) -> dict[str, list[Any]]:
    """Query parameters: one (relation, mode) row per lock mode that conflicts with a target."""
    qualified: list[str] = []
    unqualified: list[str | None] = []
    modes: list[str] = []
    for t in targets:
        q = f"{_quote(t.relation.schema)}.{_quote(t.relation.name)}"
        # The lock model resolves unqualified names to public; the server uses search_path.
        u = _quote(t.relation.name) if t.relation.schema == DEFAULT_SCHEMA else None
        for mode in sorted(CONFLICTS[t.mode]):
            qualified.append(q)
            unqualified.append(u)
            modes.append(mode.name)
    return {"qualified": qualified, "unqualified": unqualified, "modes": modes}


def holders(conn: Any, targets: Iterable[Target], own: list[int]) -> list[BlockerInfo]:
    """Every other session holding or awaiting a lock that conflicts with one of `targets`."""
    params = conflict_pairs(targets)
    if not params["modes"]:
        return []
    rows = conn.execute(load_sql(_Q, "conflicting_holders.sql"), {**params, "own": own}).fetchall()
    return [
        BlockerInfo(
            pid=r[0],
            application_name=r[1],
            backend_type=r[2],
            state=r[3],
            relation=r[4],
            mode=r[5],
            granted=r[6],
            xact_age=r[7],
            query_age=r[8],
            query=r[9],
            xact_start=r[10],
        )
        for r in rows
    ]


def is_long(b: BlockerInfo, min_age: float) -> bool:
    """Worth waiting out: its transaction is already older than one attempt would wait."""
    if b.pid == 0:
        return True  # a prepared transaction: it stays until someone commits it
    if b.xact_age is None:
        return False  # its transaction ended between reading pg_locks and pg_stat_activity
    return b.xact_age >= min_age


def describe_all(blockers: Iterable[BlockerInfo]) -> str:
    by_pid: dict[int, BlockerInfo] = {}
    for b in blockers:
        by_pid.setdefault(b.pid, b)
    return "; ".join(b.describe() for b in by_pid.values()) or "none identified"


def aged(blockers: Iterable[BlockerInfo], seconds: float) -> tuple[BlockerInfo, ...]:
    """The same blockers `seconds` later: their transactions and queries are that much older."""
    return tuple(
        dataclasses.replace(
            b,
            xact_age=None if b.xact_age is None else b.xact_age + seconds,
            query_age=None if b.query_age is None else b.query_age + seconds,
        )
        for b in blockers
    )


class Waiter:
    """Polls on the runner's control connection (never the migration's own)."""

    def __init__(
        self,
        conn: Any,
        policy: Policy,
        emit: EventSink,
        abort: Abort,
        own_pids: Callable[[], list[int]],
    ) -> None:
        self.conn = conn
        self.policy = policy
        self.emit = emit
        self.abort = abort
        self.own_pids = own_pids
        self.progress = ProgressTracker(conn)

    def long_holders(self, targets: Iterable[Target]) -> list[BlockerInfo]:
        found = holders(self.conn, targets, self.own_pids())
        return [b for b in found if is_long(b, self.policy.blocker_min_age)]

    def wait_clear(
        self, targets: tuple[Target, ...], *, version: str, line: int, deadline: float
    ) -> tuple[BlockerInfo, ...]:
        """Return once no long-lived conflicting holder is left; the blockers seen meanwhile.

        Raises LockWaitExceeded at `deadline` (time.monotonic()) and RunAborted on a signal.
        """
        seen: dict[tuple[int, str], BlockerInfo] = {}
        if not targets:
            return ()
        since: float | None = None
        last_key: frozenset[tuple[int, str]] = frozenset()
        next_report = 0.0
        while True:
            self.abort.check("migration")
            blockers = self.long_holders(targets)
            if not blockers:
                return tuple(seen.values())
            for b in blockers:
                seen[(b.pid, b.xact_start)] = b
            now = time.monotonic()
            since = since or time.time()
            key = frozenset((b.pid, b.xact_start) for b in blockers)
            due = key != last_key or now >= next_report
            shown = self.report(version, line, blockers, since, refresh=not due)
            if due:
                last_key, next_report = key, now + REPORT_EVERY
            if now >= deadline:
                raise LockWaitExceeded(
                    f"gave up after waiting {human(time.time() - since)} for locks "
                    f"(max-wait {human(self.policy.max_wait)}); still blocked by "
                    f"{describe_all(shown)}",
                    tuple(seen.values()),
                )
            self.watch(blockers, until=min(now + FULL_CHECK_EVERY, deadline))

    def report(
        self,
        version: str,
        line: int,
        blockers: Iterable[BlockerInfo],
        since: float,
        *,
        refresh: bool,
    ) -> tuple[BlockerInfo, ...]:
        """Emit the waiting event, backups with their progress; returns the blockers shown.

        A refresh (same blockers, for a live display) is only worth sending when a backup's
        progress can have moved.
        """
        shown = self.progress.attach(blockers)
        if not refresh or any(b.progress is not None for b in shown):
            self.emit(Waiting(version, line, shown, since, refresh=refresh))
        return shown

    def wait_out(
        self, blockers: Iterable[BlockerInfo], *, version: str, line: int, deadline: float
    ) -> None:
        """Watch these sessions until one of their transactions ends, an abort, or `deadline`,
        reporting them as wait_clear does (no pg_locks read: the sessions are known)."""
        blockers = tuple(blockers)
        since, started = time.time(), time.monotonic()
        next_report = started
        while True:
            now = time.monotonic()
            due = now >= next_report
            self.report(version, line, aged(blockers, now - started), since, refresh=not due)
            if due:
                next_report = now + REPORT_EVERY
            if self.watch(blockers, until=min(now + FULL_CHECK_EVERY, deadline)):
                return
            if time.monotonic() >= deadline:
                return

    def watch(self, blockers: Iterable[BlockerInfo], until: float) -> bool:
        """Poll pg_stat_activity until one of these transactions ends or an abort (True), or
        until `until` (False)."""
        expected = {b.pid: b.xact_start for b in blockers if b.pid}
        if not expected:
            return self.abort.sleep(until - time.monotonic())
        query = load_sql(_Q, "sessions_alive.sql")
        pids = list(expected)
        while time.monotonic() < until:
            rows = self.conn.execute(query, {"pids": pids}).fetchall()
            current = {r[0]: r[1] for r in rows}
            if any(current.get(pid) != xs for pid, xs in expected.items()):
                return True
            if self.abort.sleep(self.policy.poll_interval):
                return True
        return False

    def between_attempts(
        self,
        blockers: Iterable[BlockerInfo],
        *,
        version: str,
        line: int,
        attempt: int,
        short_retries: int,
        deadline: float,
    ) -> int:
        """After attempt `attempt` lost the race for a lock, before the next one.

        A long-lived blocker is not a race we can win: watch it and return the moment its
        transaction ends. (The lock may be one the model does not name, e.g. a row lock or a DO
        block's table, so watch the sessions themselves rather than the targets.) Otherwise
        sleep a full-jitter backoff. Returns the updated number of backoff retries.
        """
        long = [b for b in blockers if is_long(b, self.policy.blocker_min_age)]
        if long:
            self.wait_out(long, version=version, line=line, deadline=deadline)
            return short_retries
        short_retries += 1
        backoff = self.policy.backoff(short_retries)
        self.emit(Retry(version, attempt + 1, backoff))
        self.sleep(backoff, deadline)
        return short_retries

    def sleep(self, seconds: float, deadline: float) -> None:
        """Backoff between attempts, cut short by an abort or the deadline."""
        self.abort.sleep(min(seconds, max(deadline - time.monotonic(), 0.0)))
