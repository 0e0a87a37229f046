"""`migrate` and `status` as library functions: a directory of SQL files against one database."""

from __future__ import annotations

import contextlib
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import psycopg

from pgwarden.db import connect, load_sql, redact
from pgwarden.runner import history, lock, nontx
from pgwarden.runner.attempt import Executor, StatementError
from pgwarden.runner.errors import (
    ChecksumMismatch,
    ConnectionLost,
    LockWaitExceeded,
    MigrationError,
    RunAborted,
)
from pgwarden.runner.events import (
    EventSink,
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
from pgwarden.runner.plan import PlanEntry, build_plan, load_directory
from pgwarden.runner.policy import Policy, pg_duration
from pgwarden.runner.preflight import PreflightReport, preflight
from pgwarden.runner.script import Script, build_script, model_version, require_supported
from pgwarden.runner.signals import Abort
from pgwarden.runner.waiter import Waiter
from pgwarden.runner.watchdog import Watchdog

_Q = "pgwarden.runner.queries"
CONNECTION_CHECK = "1s"  # how soon the server notices a SIGKILLed runner mid-statement


def new_run_id() -> str:
    return secrets.token_hex(4)


@dataclass(frozen=True, slots=True)
class Applied:
    version: str
    name: str
    duration: float
    attempts: int


@dataclass(slots=True)
class RunResult:
    run_id: str
    database: str
    applied: list[Applied] = field(default_factory=list)
    duration: float = 0.0


@dataclass(frozen=True, slots=True)
class StatusResult:
    database: str
    entries: tuple[PlanEntry, ...]
    history_exists: bool


@dataclass(frozen=True, slots=True)
class DryRunResult:
    database: str
    entries: tuple[PlanEntry, ...]
    scripts: tuple[Script, ...]
    preflight: PreflightReport
    lint: Any  # pgwarden.lint.LintResult of the pending files


def status(directory: str | Path, dsn: str) -> StatusResult:
    """Applied / pending / changed / failed migrations; never creates the history table."""
    files = load_directory(directory)
    with connect(dsn, application_name="pgwarden/status") as conn:
        exists = history.exists(conn)
        rows = history.read(conn) if exists else {}
    return StatusResult(redact(dsn), tuple(build_plan(files, rows)), exists)


def dry_run(
    directory: str | Path, dsn: str, policy: Policy | None = None, lint_config: Any = None
) -> DryRunResult:
    """What `migrate` would run, the lint of those files and the pre-flight; nothing is changed."""
    from pgwarden.config import LintConfig
    from pgwarden.lint import lint_paths

    policy = policy or Policy()
    files = load_directory(directory)
    with connect(dsn, application_name="pgwarden/dry-run") as conn:
        require_supported(conn.info.server_version, "pgwarden migrate")
        rows = history.read(conn)
        plan = build_plan(files, rows)
        todo = [e for e in plan if e.runnable and e.file is not None]
        server = conn.info.server_version
        scripts = [build_script(e.file, server, policy) for e in todo if e.file is not None]
        report = preflight(
            conn, scripts, policy, own_pids=[conn.info.backend_pid], lint_config=lint_config
        )
    config = (lint_config or LintConfig()).with_overrides(
        runner_timeouts=True, pg_version=model_version(server)
    )
    # Lint every file so the catalog knows what earlier migrations created, and report the
    # pending ones as the runner will run them: transactional files inside one transaction.
    result = None
    if files:
        paths = [str(f.path) for f in files]
        in_tx = lint_paths(paths, config.with_overrides(assume_in_transaction=True))
        outside = lint_paths(paths, config.with_overrides(assume_in_transaction=False))
        how = {str(s.file.path): s.transactional for s in scripts}
        result = in_tx
        result.files = [
            a if how[a.path] else b
            for a, b in zip(in_tx.files, outside.files, strict=True)
            if a.path in how
        ]
    return DryRunResult(redact(dsn), tuple(plan), tuple(scripts), report, result)


def migrate(
    directory: str | Path,
    dsn: str,
    policy: Policy | None = None,
    events: EventSink = discard,
    *,
    allow_changed: bool = False,
    no_wait: bool = False,
    abort: Abort | None = None,
) -> RunResult:
    """Apply the pending migrations of `directory`, each under the lock policy.

    Raises ChecksumMismatch (an applied file changed), RunnerBusy (--no-wait), MigrationError
    (with the file:line:col of the failing statement), LockWaitExceeded, ConnectionLost, or
    RunAborted (SIGINT/SIGTERM via `abort`). Every outcome is in pgwarden.migrations.
    """
    policy = policy or Policy()
    abort = abort or Abort()
    emit = events
    files = load_directory(directory)
    run_id = new_run_id()
    app = f"pgwarden/{run_id}"
    t0 = time.monotonic()
    result = RunResult(run_id, redact(dsn))
    control = connect(dsn, application_name=f"{app}/control")
    try:
        require_supported(control.info.server_version, "pgwarden migrate")
        lock.acquire(control, wait=not no_wait, max_wait=policy.max_wait, emit=emit, abort=abort)
        history.ensure(control)
        plan = build_plan(files, history.read(control))
        changed = [e for e in plan if e.state == "changed" and e.file and not e.file.repeatable]
        if changed and not allow_changed:
            names = ", ".join(str(e.file.path) for e in changed if e.file)
            raise ChecksumMismatch(
                f"applied migration(s) changed on disk since they ran: {names}; restore them, or "
                "pass --allow-changed to accept the files as they are (they are not re-run)"
            )
        for e in changed:
            emit(Notice(f"{e.version} changed since it was applied; not re-run", e.version))
        for e in plan:
            if e.state == "missing":
                emit(Notice(f"{e.version} is recorded as applied but its file is gone", e.version))
        todo = [e for e in plan if e.runnable and e.file is not None]
        server = control.info.server_version
        scripts = [build_script(e.file, server, policy) for e in todo if e.file is not None]
        applied = sum(1 for e in plan if e.state in ("applied", "changed"))
        emit(RunStarted(run_id, redact(dsn), server, len(todo), applied))
        if todo:
            report = preflight(control, scripts, policy, own_pids=[control.info.backend_pid])
            if not report.clear:
                emit(PreflightDone(report.blockers, report.source, report.verdict, report.reasons))
            if report.error:
                emit(Notice(f"pgwarden check could not run ({report.error}); used own scan"))
            abort.check("run")
            with _Session(dsn, app, control, policy, emit, abort) as session:
                for entry, script in zip(todo, scripts, strict=True):
                    result.applied.append(session.apply(entry, script, run_id))
        result.duration = time.monotonic() - t0
        emit(RunFinished(len(result.applied), result.duration, "ok"))
        return result
    except RunAborted:
        emit(RunFinished(len(result.applied), time.monotonic() - t0, "aborted"))
        raise
    except MigrationError:
        emit(RunFinished(len(result.applied), time.monotonic() - t0, "failed"))
        raise
    except psycopg.Error as exc:  # the control connection or the history table
        emit(RunFinished(len(result.applied), time.monotonic() - t0, "failed"))
        raise MigrationError(f"{redact(str(exc)).strip() or type(exc).__name__}") from None
    finally:
        control.close()  # also releases the runner lock


class _Session:
    """The migration connection, the watchdog and the waiter for one run."""

    def __init__(
        self, dsn: str, app: str, control: Any, policy: Policy, emit: EventSink, abort: Abort
    ) -> None:
        self.control = control
        self.policy = policy
        self.emit = emit
        self.abort = abort
        self.conn = connect(dsn, application_name=app)
        self.conn.execute(
            load_sql(_Q, "session_setup.sql"),
            {
                "idle": pg_duration(policy.idle_in_transaction_timeout),
                "lock_timeout": pg_duration(policy.lock_timeout),
            },
        )
        if self.conn.info.server_version >= 140000:
            # Unsupported platforms refuse a non-zero value; the other guards still apply.
            with contextlib.suppress(psycopg.Error):
                self.conn.execute(
                    load_sql(_Q, "connection_check.sql"), {"interval": CONNECTION_CHECK}
                )
        self.watchdog = Watchdog(dsn, f"{app}/watchdog", policy, abort)
        self.watchdog.watch(self.conn.info.backend_pid)
        self.watchdog.start()
        own = [self.conn.info.backend_pid, control.info.backend_pid, self.watchdog.pid]
        self.waiter = Waiter(control, policy, emit, abort, lambda: own)
        self.ex = Executor(self.conn, self.waiter, self.watchdog, policy, emit, abort)

    def __enter__(self) -> _Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.watchdog.stop()
        with contextlib.suppress(Exception):  # a connection the server already closed
            self.conn.close()

    def apply(self, entry: PlanEntry, script: Script, run_id: str) -> Applied:
        f = script.file
        row = entry.row
        started_at = datetime.now(timezone.utc)
        t0 = time.monotonic()
        resume_at = 0
        if (
            not script.transactional
            and row is not None
            and row.outcome != "applied"
            and 0 < row.progress <= len(script.units)
            and row.progress_checksum == script.prefix_checksum(row.progress)
        ):
            resume_at = row.progress
        done = resume_at
        self.ex.retries = 0

        def outcome(kind: str, error: str | None = None) -> history.Outcome:
            return history.Outcome(
                f.version,
                f.name,
                f.checksum,
                started_at,
                round((time.monotonic() - t0) * 1000),
                1 + self.ex.retries,
                kind,
                error,
                done,
                script.prefix_checksum(done) if done else None,
                run_id,
            )

        self.emit(
            MigrationStarted(
                f.version, f.name, str(f.path), script.statements, script.transactional, resume_at
            )
        )
        try:
            if script.transactional and script.units:

                def on_commit(conn: Any, attempt: int) -> None:
                    history.record(conn, outcome("applied"))

                self.ex.run_unit(f.version, script.units[0], on_commit=on_commit)
            elif script.transactional:
                history.record(self.conn, outcome("applied"))
            else:
                if resume_at:
                    self.emit(
                        Notice(f"resuming after unit {resume_at} of {len(script.units)}", f.version)
                    )
                history.record(self.conn, outcome("running"))

                def progress(k: int) -> None:
                    nonlocal done
                    done = k
                    history.record(self.conn, outcome("running"))

                nontx.run_script(
                    self.ex,
                    script,
                    resume_at=resume_at,
                    progress=progress,
                    deadline_of=lambda: time.monotonic() + self.policy.max_wait,
                )
                history.record(self.conn, outcome("applied"))
        except RunAborted as exc:
            self.watchdog.stop()  # stop cancelling before we write
            self._record_safely(outcome("aborted", str(exc)))
            self.emit(MigrationAborted(f.version, f.name, exc.signal_name))
            if script.transactional:
                what = f"{f.display} was rolled back (recorded as aborted); nothing is left running"
            else:
                what = nontx.aborted_summary(self.control, script, done)
            raise RunAborted(exc.signum, f"aborted by {exc.signal_name}: {what}") from None
        except LockWaitExceeded as exc:
            msg = f"{f.display}: {exc}"
            self._record_safely(outcome("failed", msg))
            self.emit(MigrationFailed(f.version, f.name, msg, 1 + self.ex.retries))
            raise LockWaitExceeded(msg, exc.blockers) from None
        except StatementError as exc:
            s = exc.step
            msg = f"{f.display}:{s.line}:{s.column}: {exc.sqlstate}: {exc.message}"
            self._record_safely(outcome("failed", msg))
            self.emit(MigrationFailed(f.version, f.name, msg, 1 + self.ex.retries))
            raise MigrationError(msg) from None
        except psycopg.Error as exc:
            if not (self.conn.broken or self.conn.closed):
                raise
            reason = redact(str(exc)).strip() or type(exc).__name__
            msg = (
                f"{f.display}: lost the connection to the server ({reason}); the transaction "
                "was rolled back by the server; run migrate again to resume"
            )
            if not script.transactional:
                msg = msg.replace("the transaction was", "the statement in flight was")
            self._record_safely(outcome("failed", msg))
            self.emit(MigrationFailed(f.version, f.name, msg, 1 + self.ex.retries))
            raise ConnectionLost(msg) from None
        duration = time.monotonic() - t0
        self.emit(MigrationApplied(f.version, f.name, duration, 1 + self.ex.retries))
        return Applied(f.version, f.name, duration, 1 + self.ex.retries)

    def _record_safely(self, out: history.Outcome) -> None:
        """Write a failed/aborted row on the control connection (the migration's may be gone)."""
        try:
            history.record(self.control, out)
        except psycopg.Error as exc:
            self.emit(Notice(f"could not record {out.outcome} in history: {exc}", out.version))
