"""Typed events the runner emits while it works; the display and the JSON log consume them."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from pgwarden.runner.policy import human


@dataclass(frozen=True, slots=True)
class BackupProgress:
    """How far a backup blocker has got (pgwarden.inspect.backups.estimate, as `check` shows)."""

    fraction: float | None  # 0..1 of the whole dump (scope "dump"), else of the table
    scope: str  # "dump", "table", or "" when no fraction can be estimated
    eta: float | None  # seconds left, for the same scope
    table: str  # the relation its COPY is on; "" when unknown (`COPY (SELECT ...) TO`)
    rows: int | None  # rows of that table copied so far (pg_stat_progress_copy, PG 14+)

    def describe(self) -> str:
        """`43 % done, ~13 m 5 s left (copying public.orders)`; "" when nothing is known."""
        left = f", ~{human(self.eta)} left" if self.eta is not None else ""
        if self.fraction is not None and self.scope == "dump":
            now = f" (copying {self.table})" if self.table else ""
            return f"{self.fraction * 100:.0f} % done{left}{now}"
        if self.fraction is not None:
            return f"copying {self.table}: {self.fraction * 100:.0f} % done{left} for this table"
        if self.table:
            return f"copying {self.table}"
        return f"{self.rows} rows copied" if self.rows else ""


@dataclass(frozen=True, slots=True)
class BlockerInfo:
    """A session holding (or queued for) a lock the migration needs, as seen in pg_locks."""

    pid: int
    application_name: str = ""
    backend_type: str = ""
    state: str = ""
    relation: str = ""
    mode: str = ""
    granted: bool = True
    xact_age: float | None = None  # seconds since its transaction began
    query_age: float | None = None
    query: str = ""
    xact_start: str = ""  # identity of the transaction: changes when it ends
    progress: BackupProgress | None = None  # backups only, while the runner waits for them

    @property
    def backup(self) -> bool:
        """pg_dump, a backup agent (`Heroku Postgres Backups`, pgBackRest...) or `COPY ... TO
        stdout`: recognised as `pgwarden check` does (its default patterns)."""
        from pgwarden.inspect.backups import recognise_session

        return recognise_session(self.application_name, self.backend_type, self.query) is not None

    @property
    def label(self) -> str:
        """`pid 24484 pg_dump` as shown to people."""
        who = self.application_name or self.backend_type or "?"
        return f"pid {self.pid} `{who}`" + (" (backup)" if self.backup else "")

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["backup"] = self.backup
        d["label"] = self.label
        return d

    def describe(self) -> str:
        parts = [self.label]
        if self.mode:
            held = "holds" if self.granted else "waits for"
            parts.append(f"{held} {self.mode} on {self.relation}")
        if self.xact_age is not None:
            parts.append(f"transaction open {human(self.xact_age)}")
        if self.progress is not None and (done := self.progress.describe()):
            parts.append(done)
        if self.state:
            parts.append(self.state)
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class Event:
    kind: ClassVar[str] = "event"
    at: float = field(default_factory=time.time, kw_only=True)

    @property
    def live_only(self) -> bool:
        """For a live display only: the logs (plain lines, JSON) skip it."""
        return False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind}
        for f in dataclasses.fields(self):
            out[f.name] = _plain(getattr(self, f.name))
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, BlockerInfo):
        return value.as_dict()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


EventSink = Callable[[Event], None]


def discard(event: Event) -> None:
    """The default sink: library callers that do not display progress."""


@dataclass(frozen=True, slots=True)
class RunStarted(Event):
    kind: ClassVar[str] = "run_started"
    run_id: str
    database: str  # redacted DSN
    server_version: int
    pending: int
    applied: int


@dataclass(frozen=True, slots=True)
class RunnerLockWaiting(Event):
    """Another runner holds this database's migration lock; we wait for it."""

    kind: ClassVar[str] = "runner_lock_waiting"
    holder_pid: int | None
    holder: str


@dataclass(frozen=True, slots=True)
class Notice(Event):
    kind: ClassVar[str] = "notice"
    message: str
    version: str = ""


@dataclass(frozen=True, slots=True)
class PreflightDone(Event):
    kind: ClassVar[str] = "preflight"
    blockers: tuple[BlockerInfo, ...]
    source: str  # "inspect" (pgwarden check), "runner" (own scan), "long-transactions" (run)
    verdict: str = ""  # GO / WAIT / NO-GO from pgwarden check
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MigrationStarted(Event):
    kind: ClassVar[str] = "migration_started"
    version: str
    name: str
    path: str
    statements: int
    transactional: bool
    resume_at: int = 0  # non-transactional file resumed after this many units


@dataclass(frozen=True, slots=True)
class Waiting(Event):
    """Not sending the statement: these sessions hold conflicting locks; polling until they end."""

    kind: ClassVar[str] = "waiting"
    version: str
    line: int
    blockers: tuple[BlockerInfo, ...]
    since: float  # time.time() when this wait began
    # Same wait, newer backup progress and ages: sent about once a second for a live display,
    # between the events the logs keep (a change of blockers, every REPORT_EVERY).
    refresh: bool = False

    @property
    def live_only(self) -> bool:
        return self.refresh


@dataclass(frozen=True, slots=True)
class AttemptStarted(Event):
    kind: ClassVar[str] = "attempt"
    version: str
    attempt: int


@dataclass(frozen=True, slots=True)
class StatementStarted(Event):
    kind: ClassVar[str] = "statement_started"
    version: str
    index: int
    line: int
    sql: str
    lock_timeout: float
    statement_timeout: float | None


@dataclass(frozen=True, slots=True)
class StatementDone(Event):
    kind: ClassVar[str] = "statement_done"
    version: str
    index: int
    line: int
    duration: float


@dataclass(frozen=True, slots=True)
class LockTimeout(Event):
    """An attempt gave up on a lock: `via` lock_timeout (55P03), watchdog, or pre-check."""

    kind: ClassVar[str] = "lock_timeout"
    version: str
    attempt: int
    line: int
    via: str
    blockers: tuple[BlockerInfo, ...]
    queued: int = 0  # sessions that were queued behind us (watchdog)


@dataclass(frozen=True, slots=True)
class Retry(Event):
    kind: ClassVar[str] = "retry"
    version: str
    attempt: int  # the attempt about to start
    backoff: float


@dataclass(frozen=True, slots=True)
class MigrationApplied(Event):
    kind: ClassVar[str] = "migration_applied"
    version: str
    name: str
    duration: float
    attempts: int


@dataclass(frozen=True, slots=True)
class MigrationFailed(Event):
    kind: ClassVar[str] = "migration_failed"
    version: str
    name: str
    error: str
    attempts: int


@dataclass(frozen=True, slots=True)
class MigrationAborted(Event):
    kind: ClassVar[str] = "migration_aborted"
    version: str
    name: str
    signal: str


@dataclass(frozen=True, slots=True)
class RunFinished(Event):
    kind: ClassVar[str] = "run_finished"
    applied: int
    duration: float
    outcome: str  # ok, failed, aborted


@dataclass(frozen=True, slots=True)
class CommandStarted(Event):
    kind: ClassVar[str] = "command_started"
    argv: tuple[str, ...]
    attempt: int
    application_name: str


@dataclass(frozen=True, slots=True)
class CommandExited(Event):
    kind: ClassVar[str] = "command_exited"
    attempt: int
    returncode: int
    lock_timeout: bool
    duration: float


@dataclass(frozen=True, slots=True)
class SessionCancelled(Event):
    """The watchdog cancelled one of our sessions because others queued behind its lock wait."""

    kind: ClassVar[str] = "session_cancelled"
    pid: int
    reason: str
    queued: int
    blockers: tuple[BlockerInfo, ...]
