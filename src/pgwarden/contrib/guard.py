"""The runner's lock policy around a framework's own migration loop (Django, Alembic).

`pgwarden migrate` sends every statement itself; Django and Alembic send theirs. A Guard hooks
into the framework instead and gives each migration what the runner gives a file:

* the framework's session gets the short lock_timeout, idle_in_transaction_session_timeout and
  `application_name = pgwarden/<run id>` (`session_params`), and the watchdog watches it;
* before a migration, and before the first traffic-blocking statement of a transaction, the
  waiter waits out long-lived holders of conflicting locks without queueing; before a later
  one, in a transaction that already holds such a lock, a long-lived holder makes the attempt
  give up and roll back rather than wait with locks held (runner/attempt.py does the same);
* every statement runs under the runner's per-statement timeouts from the lock model (no
  lock_timeout and the long statement_timeout for CONCURRENTLY builds, for instance), and an
  INVALID index left by a failed concurrent build is dropped before the build runs again;
* `run(fn)` runs the framework's migrate, and runs it again when a migration lost a race for
  a lock (lock_timeout, deadlock, a watchdog cancel): the migration's transaction rolled back
  and frameworks record applied migrations, so the re-run resumes at that migration;
* SIGINT/SIGTERM (via `abort`) cancel the statement in flight and stop the run.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from pgwarden.contrib.driver import backend_pid, db_error, is_read, run_raw
from pgwarden.contrib.statements import StatementPlan, plan_statement
from pgwarden.db import connect, load_sql, redact
from pgwarden.errors import PgwardenError
from pgwarden.runner.errors import LockWaitExceeded, MigrationError, RunAborted
from pgwarden.runner.events import (
    AttemptStarted,
    BlockerInfo,
    EventSink,
    LockTimeout,
    MigrationAborted,
    MigrationApplied,
    MigrationFailed,
    MigrationStarted,
    Notice,
    PreflightDone,
    RunFinished,
    RunStarted,
    discard,
)
from pgwarden.runner.migrate import CONNECTION_CHECK, new_run_id
from pgwarden.runner.nontx import invalid_leftovers
from pgwarden.runner.policy import Policy, human, pg_duration
from pgwarden.runner.preflight import PreflightReport, preflight, preflight_needs
from pgwarden.runner.script import IndexBuild, Target
from pgwarden.runner.signals import Abort
from pgwarden.runner.waiter import Waiter, describe_all
from pgwarden.runner.watchdog import Watchdog

if TYPE_CHECKING:
    from pgwarden.inspect.needs import Needs

T = TypeVar("T")
Execute = Callable[[str, Mapping[str, Any]], None]  # runs SQL on the framework's connection

_Q = "pgwarden.runner.queries"
RUN_PREFIX = "pgwarden-run/"  # PGAPPNAME of a command run by `pgwarden run`: keep it
# SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
LOCK_NOT_AVAILABLE = "55P03"
DEADLOCK_DETECTED = "40P01"
QUERY_CANCELED = "57014"
_READS = ("SELECT", "SHOW")


class LostRace(Exception):
    """This attempt lost a race for a lock: the framework rolls back, the guard runs it again."""

    def __init__(self, via: str, blockers: tuple[BlockerInfo, ...], queued: int = 0) -> None:
        super().__init__(via)
        self.via = via
        self.blockers = blockers
        self.queued = queued


@dataclass(slots=True)
class _Migration:
    label: str
    name: str
    deadline: float
    started: float = field(default_factory=time.monotonic)
    attempts: int = 0
    short_retries: int = 0
    line: int = 0
    atomic: bool = True
    committed: int = 0  # statements of a non-atomic migration that committed (no retry then)
    seen: dict[tuple[int, str], BlockerInfo] = field(default_factory=dict)


def keep_app_name(environ: Mapping[str, str] = os.environ) -> bool:
    """Under `pgwarden run`, the command's sessions must keep the name its watchdog looks for."""
    return environ.get("PGAPPNAME", "").startswith(RUN_PREFIX)


class Guard:
    """One guarded run: control connection, waiter and watchdog, and the retry loop."""

    def __init__(
        self,
        dsn: str,
        server_version: int,
        policy: Policy | None = None,
        *,
        emit: EventSink = discard,
        abort: Abort | None = None,
        environ: Mapping[str, str] = os.environ,
    ) -> None:
        self.dsn = dsn
        self.server_version = server_version
        self.policy = policy or Policy()
        self.emit = emit
        self.abort = abort or Abort()
        self.run_id = new_run_id()
        # None: leave application_name as `pgwarden run` set it through PGAPPNAME.
        self.app: str | None = None if keep_app_name(environ) else f"pgwarden/{self.run_id}"
        self.applied: list[str] = []
        self.control: Any = None
        self.watchdog: Watchdog | None = None
        self.waiter: Waiter | None = None
        self._pid = 0
        self._statement_default: str | None = None  # the session's statement_timeout
        self._current: _Migration | None = None
        self._migrations: dict[str, _Migration] = {}
        self._holding = False  # this transaction holds a traffic-blocking lock
        self._tx_writes = 0
        self._generation = 0
        self._t0 = time.monotonic()
        self._run_deadline = self._t0 + self.policy.max_wait

    # -- lifetime --------------------------------------------------------------------------
    def __enter__(self) -> Guard:
        self.control = connect(self.dsn, application_name=f"pgwarden/{self.run_id}/control")
        try:
            self.watchdog = Watchdog(
                self.dsn, f"pgwarden/{self.run_id}/watchdog", self.policy, self.abort
            )
        except BaseException:
            self.control.close()
            raise
        self.watchdog.start()
        self.waiter = Waiter(self.control, self.policy, self.emit, self.abort, self._own_pids)
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.watchdog is not None:
            self.watchdog.stop()
        if self.control is not None:
            with contextlib.suppress(Exception):  # a connection the server already closed
                self.control.close()

    def _own_pids(self) -> list[int]:
        pids = [self.control.info.backend_pid, self._pid]
        if self.watchdog is not None:
            pids.append(self.watchdog.pid)
        return [p for p in pids if p]

    @property
    def _wd(self) -> Watchdog:
        assert self.watchdog is not None, "use the Guard as a context manager"
        return self.watchdog

    @property
    def _waiter(self) -> Waiter:
        assert self.waiter is not None, "use the Guard as a context manager"
        return self.waiter

    # -- the framework's session -----------------------------------------------------------
    def session_params(self) -> tuple[str, dict[str, Any]]:
        """SQL and parameters that put a new framework session under the policy."""
        st = self.policy.statement_timeout
        return load_sql("pgwarden.contrib", "session.sql"), {
            "lock_timeout": pg_duration(self.policy.lock_timeout),
            "statement_timeout": None if st is None else pg_duration(st),
            "idle": pg_duration(self.policy.idle_in_transaction_timeout),
            "application_name": self.app,
        }

    def setup_session(self, raw: Any) -> None:
        """Configure a DB-API connection that is not inside a transaction; watch its backend."""
        sql, params = self.session_params()
        row = run_raw(raw, sql, params)
        if not raw.autocommit:
            raw.commit()  # session settings set in a transaction vanish if it rolls back
        self._statement_default = str(row[1]) if row else None
        if self.server_version >= 140000:
            # PG 14+: a SIGKILLed process's running statement is cancelled within a second.
            # Unsupported platforms refuse a non-zero value; the other guards still apply.
            try:
                run_raw(raw, load_sql(_Q, "connection_check.sql"), {"interval": CONNECTION_CHECK})
            except Exception:
                if not raw.autocommit:
                    raw.rollback()
            else:
                if not raw.autocommit:
                    raw.commit()
        self.attach(backend_pid(raw))

    def attach(self, pid: int) -> None:
        """The framework's (new) backend: the watchdog protects it and cancels it on abort."""
        self._pid = pid
        self._wd.watch(pid)

    # -- the run -----------------------------------------------------------------------------
    def started(self, pending: int, applied: int) -> None:
        self.emit(RunStarted(self.run_id, redact(self.dsn), self.server_version, pending, applied))

    def preflight(
        self, needs: Callable[[], Needs] | None, targets: Iterable[Target] = ()
    ) -> PreflightReport:
        """`pgwarden check` for what the pending migrations lock (None: tables unknown)."""
        own = self._own_pids()
        if needs is None:
            report = preflight(self.control, None, self.policy, own_pids=own)
        else:
            report = preflight_needs(self.control, needs, targets, self.policy, own_pids=own)
        if not report.clear:
            self.emit(PreflightDone(report.blockers, report.source, report.verdict, report.reasons))
        if report.error:
            self.emit(Notice(f"pgwarden check could not run ({report.error}); used own scan"))
        return report

    def begin_migration(
        self,
        label: str,
        *,
        name: str = "",
        path: str = "",
        statements: int = 0,
        atomic: bool = True,
        targets: tuple[Target, ...] = (),
        line: int = 0,
        announce: bool = True,
    ) -> None:
        """An attempt at one migration starts: wait out long-lived holders of its locks.

        `announce=False`: the framework says itself that the migration starts (Alembic's
        "Running upgrade" log line), and knows nothing pgwarden could add to it.
        """
        self.abort.check("migration")
        m = self._migrations.get(label)
        if m is None:
            m = _Migration(label, name, time.monotonic() + self.policy.max_wait, line=line)
            m.atomic = atomic
            self._migrations[label] = m
        m.attempts += 1
        self._current = m
        self._holding = False
        self._tx_writes = 0
        if m.attempts == 1:
            if announce:
                self.emit(MigrationStarted(label, name, path, statements, atomic))
        else:
            self.emit(AttemptStarted(label, m.attempts))
        for b in self._waiter.wait_clear(targets, version=label, line=line, deadline=m.deadline):
            m.seen[(b.pid, b.xact_start)] = b
        self._generation = self._wd.generation
        self._wd.arm(max(m.deadline - time.monotonic(), 0.0))

    def end_migration(self, label: str | None = None) -> None:
        """The current migration committed (`label`: its real name, when it is known now)."""
        self._wd.disarm()
        m, self._current = self._current, None
        self._holding = False
        self._tx_writes = 0
        if m is None:
            return
        name = label or m.label
        self.applied.append(name)
        duration = time.monotonic() - m.started
        self.emit(MigrationApplied(name, m.name, duration, m.attempts))

    @property
    def current(self) -> str | None:
        return None if self._current is None else self._current.label

    # -- statements ---------------------------------------------------------------------------
    def plan(self, sql: str) -> StatementPlan | None:
        """The lock model's view of `sql`; None when it cannot be parsed (e.g. %s parameters)."""
        return plan_statement(sql, self.server_version, self.policy)

    def before_statement(self, sql: str, execute: Execute, *, in_transaction: bool) -> None:
        """Wait or give up as the policy says, then set this statement's timeouts."""
        self.abort.check("migration")
        m = self._current
        if m is None:
            return
        if not in_transaction:
            self._holding = False
        plan = self.plan(sql)
        if plan is not None and plan.targets:
            if self._holding:
                # Never wait for a second lock while holding the first.
                found = self._waiter.long_holders(plan.targets)
                if found:
                    raise LostRace("pre-check", tuple(found))
            else:
                for b in self._waiter.wait_clear(
                    plan.targets, version=m.label, line=m.line, deadline=m.deadline
                ):
                    m.seen[(b.pid, b.xact_start)] = b
        if plan is not None and plan.index_build is not None and not in_transaction:
            self._drop_leftovers(m, plan.index_build, execute)
        lock_timeout = self.policy.lock_timeout if plan is None else plan.lock_timeout
        st = self.policy.statement_timeout if plan is None else plan.statement_timeout
        execute(
            load_sql(_Q, "set_timeouts.sql"),
            {
                "lock_timeout": pg_duration(lock_timeout),
                "statement_timeout": self._statement_default if st is None else pg_duration(st),
                "local": in_transaction,
            },
        )

    def after_statement(self, sql: str, *, in_transaction: bool) -> None:
        """A statement succeeded: note the locks now held and what has committed."""
        m = self._current
        if m is None or is_read(sql):
            return
        if in_transaction and m.atomic:
            self._tx_writes += 1
        else:
            m.committed += 1
        plan = self.plan(sql)
        if in_transaction and (plan is None or plan.targets):
            self._holding = True

    def transaction_begun(self) -> None:
        self._holding = False
        self._tx_writes = 0

    def transaction_committed(self) -> None:
        """A commit inside a migration (Alembic's autocommit_block): its work is now permanent."""
        if self._current is not None:
            self._current.committed += self._tx_writes
        self._tx_writes = 0
        self._holding = False

    def _drop_leftovers(self, m: _Migration, build: IndexBuild, execute: Execute) -> None:
        for name in invalid_leftovers(self.control, build):
            self.emit(Notice(f"dropping INVALID index {name} left by an earlier attempt", m.label))
            execute(
                load_sql(_Q, "set_timeouts.sql"),
                {"lock_timeout": "0", "statement_timeout": "0", "local": False},
            )
            execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", {})

    # -- the retry loop -------------------------------------------------------------------
    def run(self, fn: Callable[[], T]) -> T:
        """Call `fn` (the framework's migrate) until no migration loses a race for a lock.

        Raises RunAborted (SIGINT/SIGTERM), LockWaitExceeded (max_wait) or MigrationError (a
        lost lock after a non-atomic migration committed part of its work); any other
        exception of `fn` (a database error, a bug in a data migration) passes through.
        """
        try:
            while True:
                self._generation = self._wd.generation
                try:
                    result = fn()
                except Exception as exc:
                    lost = self._lost(exc)
                    if lost is None:
                        raise
                    self._recover(lost)
                    continue
                self.emit(RunFinished(len(self.applied), time.monotonic() - self._t0, "ok"))
                return result
        except RunAborted as exc:
            self._wd.disarm()
            m = self._current
            if m is not None:
                self.emit(MigrationAborted(m.label, m.name, exc.signal_name))
            self.emit(RunFinished(len(self.applied), time.monotonic() - self._t0, "aborted"))
            what = f"{m.label} was stopped and its transaction rolled back" if m else "stopped"
            if m is not None and m.committed:
                what += f" ({m.committed} statement(s) of it had committed)"
            raise RunAborted(exc.signum, f"aborted by {exc.signal_name}: {what}") from None
        except Exception as exc:
            self._wd.disarm()
            self._failed(exc)
            raise

    def _failed(self, exc: Exception) -> None:
        m = self._current
        label = m.label if m else ""
        if isinstance(exc, PgwardenError):
            message = str(exc)
        else:
            found = db_error(exc)
            message = f"{found[0]}: {found[1]}" if found else f"{type(exc).__name__}: {exc}"
        if m is not None:
            message = message.removeprefix(f"{label}: ")  # the event names it already
            self.emit(MigrationFailed(label, m.name, message, m.attempts))
        self.emit(RunFinished(len(self.applied), time.monotonic() - self._t0, "failed"))

    def _lost(self, exc: Exception) -> LostRace | None:
        if isinstance(exc, LostRace):
            return exc
        if isinstance(exc, PgwardenError):
            return None
        found = db_error(exc)
        if found is None:
            return None
        if self.abort.requested:
            raise RunAborted(self.abort.signum, "migration aborted") from None
        state = found[0]
        if state in (LOCK_NOT_AVAILABLE, DEADLOCK_DETECTED):
            via = "lock_timeout" if state == LOCK_NOT_AVAILABLE else "deadlock"
            return LostRace(via, self._wd.blockers_seen())
        if state == QUERY_CANCELED:
            cancels = self._wd.take_cancels()
            if cancels or self._wd.generation != self._generation:
                queued = max((c.queued for c in cancels), default=0)
                via = "max-wait" if any(c.reason == "max-wait" for c in cancels) else "watchdog"
                blockers = self._wd.blockers_seen() or tuple(b for c in cancels for b in c.blockers)
                return LostRace(via, blockers, queued)
        return None

    def _recover(self, lost: LostRace) -> None:
        """Between attempts: report, check max_wait, then watch the blocker or back off."""
        self._wd.disarm()
        self._holding = False
        self._tx_writes = 0
        m = self._current
        label = m.label if m else ""
        if m is not None and m.committed:
            raise MigrationError(
                f"{label}: lost a race for a lock ({lost.via}) after {m.committed} statement(s) "
                "of this non-atomic migration had committed; not running it again, since that "
                "would repeat them. Check what was applied, then migrate again"
            )
        attempt = m.attempts if m else 1
        line = m.line if m else 0
        self.emit(LockTimeout(label, attempt, line, lost.via, lost.blockers, lost.queued))
        self.abort.check("migration")
        seen = m.seen if m else {}
        for b in lost.blockers:
            seen[(b.pid, b.xact_start)] = b
        deadline = m.deadline if m else self._run_deadline
        if time.monotonic() >= deadline:
            raise LockWaitExceeded(
                f"{label + ': ' if label else ''}gave up after {human(self.policy.max_wait)} "
                f"(max-wait) and {attempt} attempt{'s' if attempt != 1 else ''}; "
                f"blockers seen: {describe_all(seen.values())}",
                tuple(seen.values()),
            )
        retries = self._waiter.between_attempts(
            lost.blockers,
            version=label,
            line=line,
            attempt=attempt,
            short_retries=m.short_retries if m else 0,
            deadline=deadline,
        )
        if m is not None:
            m.short_retries = retries
        self.abort.check("migration")
        self._current = None  # the next attempt begins it again (and counts it)
