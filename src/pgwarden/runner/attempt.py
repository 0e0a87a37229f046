"""Run one unit (a transaction, or one autocommit statement) until it gets its locks.

Each attempt sets a short lock_timeout (and the statement's statement_timeout) before every
statement. On SQLSTATE 55P03 (lock_timeout), a watchdog cancel, a deadlock, or a long-lived
blocker found before a later statement, the whole transaction is rolled back (so nothing is
held while waiting) and retried: at once when the blocker we watched has gone, otherwise
after a full-jitter backoff. max_wait ends it with a report of every blocker seen.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
from psycopg import errors as pgerr

from pgwarden.db import load_sql
from pgwarden.runner.errors import LockWaitExceeded, RunAborted
from pgwarden.runner.events import (
    AttemptStarted,
    BlockerInfo,
    EventSink,
    LockTimeout,
    StatementDone,
    StatementStarted,
)
from pgwarden.runner.policy import Policy, human, pg_duration
from pgwarden.runner.script import Step, Unit
from pgwarden.runner.signals import Abort
from pgwarden.runner.waiter import Waiter, describe_all
from pgwarden.runner.watchdog import Watchdog

_Q = "pgwarden.runner.queries"


class _Budget:
    """max-wait as time spent waiting (for blockers to leave, between attempts, in a lock wait
    the watchdog bounds), so statements that run for long do not use it up."""

    def __init__(self, seconds: float) -> None:
        self.left = seconds

    def deadline(self) -> float:
        return time.monotonic() + max(self.left, 0.0)

    @property
    def spent(self) -> bool:
        return self.left <= 0

    @contextlib.contextmanager
    def spending(self) -> Iterator[None]:
        start = time.monotonic()
        try:
            yield
        finally:
            self.left -= time.monotonic() - start


class _Retry(Exception):
    """This attempt lost the race for a lock; roll back and try again."""

    def __init__(
        self, via: str, line: int, blockers: tuple[BlockerInfo, ...], queued: int = 0
    ) -> None:
        super().__init__(via)
        self.via = via
        self.line = line
        self.blockers = blockers
        self.queued = queued


class StatementError(Exception):
    """A statement failed for a reason retrying will not fix (the caller adds the file path)."""

    def __init__(self, step: Step, exc: psycopg.Error) -> None:
        super().__init__(str(exc))
        self.step = step
        self.exc = exc

    @property
    def sqlstate(self) -> str:
        return self.exc.sqlstate or ""

    @property
    def message(self) -> str:
        diag = self.exc.diag
        text = (diag.message_primary or str(self.exc)).strip()
        if diag.message_detail:
            text += f" ({diag.message_detail.strip()})"
        return text


class Executor:
    """Sends a migration's statements on its connection under the policy."""

    def __init__(
        self,
        conn: Any,
        waiter: Waiter,
        watchdog: Watchdog,
        policy: Policy,
        emit: EventSink,
        abort: Abort,
    ) -> None:
        self.conn = conn
        self.waiter = waiter
        self.watchdog = watchdog
        self.policy = policy
        self.emit = emit
        self.abort = abort
        self.retries = 0  # retries of the current migration, over all its units

    def run_unit(
        self,
        version: str,
        unit: Unit,
        *,
        on_commit: Callable[[Any, int], None] | None = None,
        before_attempt: Callable[[int], None] | None = None,
    ) -> int:
        """Attempts until the unit commits; returns the number of attempts it took.

        `on_commit(conn, attempts)` runs inside the unit's transaction just before COMMIT (the
        history row commits with the migration); `before_attempt(n)` runs before each attempt.
        Retries are also counted in `self.retries` across the units of one migration.
        """
        budget = _Budget(self.policy.max_wait)
        seen: dict[tuple[int, str], BlockerInfo] = {}
        attempt = 0
        short_retries = 0
        while True:
            with budget.spending():
                found = self.waiter.wait_clear(
                    unit.targets,
                    version=version,
                    line=unit.steps[0].line,
                    deadline=budget.deadline(),
                )
            for b in found:
                seen[(b.pid, b.xact_start)] = b
            attempt += 1
            if attempt > 1:
                self.retries += 1
            self.emit(AttemptStarted(version, attempt))
            try:
                if before_attempt is not None:
                    before_attempt(attempt)
                self._execute(version, unit, on_commit, attempt, budget.deadline())
                return attempt
            except _Retry as r:
                for b in r.blockers:
                    seen[(b.pid, b.xact_start)] = b
                self.emit(LockTimeout(version, attempt, r.line, r.via, r.blockers, r.queued))
                self.abort.check("migration")
                if r.via == "max-wait":
                    budget.left = 0  # that lock wait used up what was left
                if budget.spent:
                    raise LockWaitExceeded(
                        f"gave up after {human(self.policy.max_wait)} (max-wait) and "
                        f"{attempt} attempts; blockers seen: {describe_all(seen.values())}",
                        tuple(seen.values()),
                    ) from None
                with budget.spending():
                    short_retries = self.waiter.between_attempts(
                        r.blockers,
                        version=version,
                        line=r.line,
                        attempt=attempt,
                        short_retries=short_retries,
                        deadline=budget.deadline(),
                    )

    def _execute(
        self,
        version: str,
        unit: Unit,
        on_commit: Callable[[Any, int], None] | None,
        attempt: int,
        deadline: float,
    ) -> None:
        if not unit.transactional:
            (step,) = unit.steps
            self.statement(version, step, local=False, deadline=deadline)
            if on_commit is not None:
                on_commit(self.conn, attempt)
            return
        with self.conn.transaction():
            for i, step in enumerate(unit.steps):
                if i and step.targets:
                    # Never wait for a second lock while holding the first: if a long-lived
                    # session holds this statement's table, let go of everything and wait.
                    found = self.waiter.long_holders(step.targets)
                    if found:
                        raise _Retry("pre-check", step.line, tuple(found))
                self.statement(version, step, local=True, deadline=deadline)
            if on_commit is not None:
                on_commit(self.conn, attempt)

    def statement(self, version: str, step: Step, *, local: bool, deadline: float) -> None:
        """Send one statement under its timeouts, with the watchdog armed."""
        self.abort.check("migration")
        st = step.statement_timeout
        self.conn.execute(
            load_sql(_Q, "set_timeouts.sql"),
            {
                "lock_timeout": pg_duration(step.lock_timeout),
                "statement_timeout": None if st is None else pg_duration(st),
                "local": local,
            },
        )
        self.emit(
            StatementStarted(
                version, step.number, step.line, step.first_line, step.lock_timeout, st
            )
        )
        generation = self.watchdog.generation
        # An unbounded lock wait (lock_timeout 0) is still bounded by max_wait, via the watchdog.
        left = max(deadline - time.monotonic(), 0.0)
        self.watchdog.arm(left if step.lock_timeout == 0 else None)
        started = time.monotonic()
        try:
            self.conn.execute(step.text, prepare=False)
        except pgerr.LockNotAvailable:
            raise _Retry("lock_timeout", step.line, self.watchdog.blockers_seen()) from None
        except pgerr.DeadlockDetected:
            raise _Retry("deadlock", step.line, self.watchdog.blockers_seen()) from None
        except pgerr.QueryCanceled as exc:
            if self.abort.requested:
                raise RunAborted(self.abort.signum, "migration aborted") from None
            cancels = self.watchdog.take_cancels()
            if self.watchdog.generation != generation or cancels:
                queued = max((c.queued for c in cancels), default=0)
                via = "max-wait" if any(c.reason == "max-wait" for c in cancels) else "watchdog"
                blockers = self.watchdog.blockers_seen() or tuple(
                    b for c in cancels for b in c.blockers
                )
                raise _Retry(via, step.line, blockers, queued) from None
            raise StatementError(step, exc) from None
        except psycopg.Error as exc:
            if self.conn.broken or self.conn.closed:
                raise  # connection trouble: the caller reports it
            raise StatementError(step, exc) from None
        finally:
            self.watchdog.disarm()
        self.watchdog.blockers_seen()  # forget waits that ended in success
        self.emit(StatementDone(version, step.number, step.line, time.monotonic() - started))
