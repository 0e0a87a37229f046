"""Human output for the runner: plain log lines, a rich live display on a terminal, status."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

from pgwarden.runner import events as ev
from pgwarden.runner.policy import human

if TYPE_CHECKING:
    from rich.console import Console, RenderableType
    from rich.live import Live

    from pgwarden.runner.migrate import DryRunResult, StatusResult

_VIA = {
    "lock_timeout": "lock not granted within lock_timeout",
    "watchdog": "cancelled by the watchdog",
    "max-wait": "cancelled: max-wait reached",
    "pre-check": "a long-lived session holds the next statement's table",
    "deadlock": "deadlock with another session",
}


def _blockers(blockers: tuple[ev.BlockerInfo, ...]) -> str:
    by_pid: dict[int, ev.BlockerInfo] = {}
    for b in blockers:
        by_pid.setdefault(b.pid, b)
    return "; ".join(b.describe() for b in by_pid.values()) or "blocker not identified"


def _at(version: str, line: int) -> str:
    """`0003_add:12`; the migration alone when the line is unknown (Django, Alembic); `run`
    has no file to name."""
    if not version:
        return "command"
    return f"{version}:{line}" if line else version


def format_event(e: ev.Event) -> str | None:
    """One log line per event worth a line; None for the chatty ones."""
    if isinstance(e, ev.RunStarted):
        major = e.server_version // 10000
        return (
            f"run {e.run_id} on {e.database or 'the PG* database'} (PostgreSQL {major}): "
            f"{e.pending} pending, {e.applied} applied"
        )
    if isinstance(e, ev.RunnerLockWaiting):
        who = f"pid {e.holder_pid} `{e.holder}`" if e.holder_pid else "another runner"
        return f"waiting for the runner lock: {who} is migrating this database"
    if isinstance(e, ev.PreflightDone):
        if e.verdict:
            why = "; ".join(e.reasons) or _blockers(e.blockers)
            return f"pre-flight (pgwarden check): {e.verdict}: {why}"
        if e.source == "long-transactions":
            # `run` cannot know what the command will lock: it reports, it does not wait.
            return (
                f"pre-flight: {len(e.blockers)} long transaction(s) or backup(s) open (the "
                f"command may have to wait for them): {_blockers(e.blockers)}"
            )
        return f"pre-flight: {len(e.blockers)} session(s) to wait for: {_blockers(e.blockers)}"
    if isinstance(e, ev.Notice):
        return f"{e.version + ': ' if e.version else ''}note: {e.message}"
    if isinstance(e, ev.MigrationStarted):
        n = f"{e.statements} statement{'s' if e.statements != 1 else ''}"
        how = "one transaction" if e.transactional else "statement by statement (autocommit)"
        return f"{e.version}: started ({n}, {how})"
    if e.live_only:
        return None
    if isinstance(e, ev.Waiting):
        waited = human(max(time.time() - e.since, 0.0))
        where = _at(e.version, e.line)
        return (
            f"{where}: waiting for locks without queueing ({waited}): "
            f"blocked by {_blockers(e.blockers)}"
        )
    if isinstance(e, ev.AttemptStarted):
        return f"{e.version}: attempt {e.attempt}" if e.attempt > 1 else None
    if isinstance(e, ev.StatementDone):
        return f"{e.version}:{e.line}: done in {human(e.duration)}" if e.duration >= 1 else None
    if isinstance(e, ev.LockTimeout):
        queued = f", {e.queued} session(s) were queued behind it" if e.queued else ""
        return (
            f"{_at(e.version, e.line)}: attempt {e.attempt}: {_VIA.get(e.via, e.via)}{queued}; "
            f"rolled back ({_blockers(e.blockers)})"
        )
    if isinstance(e, ev.Retry):
        what = e.version or "command"
        return f"{what}: retrying in {human(e.backoff)} (attempt {e.attempt})"
    if isinstance(e, ev.MigrationApplied):
        tries = f"{e.attempts} attempt{'s' if e.attempts != 1 else ''}"
        return f"{e.version}: applied in {human(e.duration)} ({tries})"
    if isinstance(e, ev.MigrationFailed):
        return f"{e.version}: FAILED: {e.error}"
    if isinstance(e, ev.MigrationAborted):
        return f"{e.version}: aborted by {e.signal}; rolled back"
    if isinstance(e, ev.RunFinished):
        word = {"ok": "done", "failed": "stopped", "aborted": "aborted"}.get(e.outcome, e.outcome)
        return f"{word}: {e.applied} applied in {human(e.duration)}"
    if isinstance(e, ev.CommandStarted):
        return f"run {e.attempt}: {' '.join(e.argv)} (sessions tagged {e.application_name})"
    if isinstance(e, ev.CommandExited):
        why = "; lock timeout: will retry" if e.lock_timeout and e.returncode else ""
        return f"run {e.attempt}: exited {e.returncode} after {human(e.duration)}{why}"
    if isinstance(e, ev.SessionCancelled):
        return (
            f"watchdog: cancelled pid {e.pid} ({e.reason}): {e.queued} session(s) queued behind "
            f"its lock wait ({_blockers(e.blockers)})"
        )
    return None


class PlainSink:
    """Timestamped log lines (not a terminal, or `run`)."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, event: ev.Event) -> None:
        line = format_event(event)
        if line is None:
            return
        stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
        with self._lock:
            self.out.write(f"{stamp} {line}\n")
            self.out.flush()

    def __enter__(self) -> PlainSink:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


class LiveSink:
    """A live panel on a terminal: current migration, statement, state, attempt, elapsed.

    Lasting facts (applied, failed, lock timeouts, notes) are printed above the panel.
    """

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._run = ""
        self._progress = ""
        self._version = ""
        self._migration_started = 0.0
        self._statement = ""
        self._state = "starting"
        self._waiting: ev.Waiting | None = None
        self._attempt = 0
        self._live: Live | None = None
        self._pending = 0
        self._done = 0

    def __enter__(self) -> LiveSink:
        from rich.live import Live

        self._live = Live(
            get_renderable=self._render,
            console=self.console,
            refresh_per_second=8,
            transient=True,
        )
        self._live.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def __call__(self, event: ev.Event) -> None:
        with self._lock:
            self._update(event)
        line = format_event(event)
        if line is not None and not isinstance(
            event, (ev.Waiting, ev.AttemptStarted, ev.Retry, ev.MigrationStarted)
        ):
            self.console.print(line)

    def _update(self, e: ev.Event) -> None:
        if isinstance(e, ev.RunStarted):
            self._run, self._pending = e.run_id, e.pending
        elif isinstance(e, ev.MigrationStarted):
            self._version, self._attempt = e.version, 0
            self._migration_started = time.monotonic()
            self._statement, self._state, self._waiting = "", "starting", None
        elif isinstance(e, ev.AttemptStarted):
            self._attempt, self._waiting = e.attempt, None
        elif isinstance(e, ev.StatementStarted):
            self._statement = f"line {e.line}: {e.sql}"
            self._state, self._waiting = "running", None
        elif isinstance(e, ev.Waiting):
            self._waiting, self._state = e, "waiting"
        elif isinstance(e, ev.Retry):
            self._state = f"backing off {human(e.backoff)}"
        elif isinstance(e, ev.RunnerLockWaiting):
            self._state = "waiting for the runner lock (another runner is migrating)"
        elif isinstance(e, (ev.MigrationApplied, ev.MigrationFailed, ev.MigrationAborted)):
            if isinstance(e, ev.MigrationApplied):
                self._done += 1
            self._version, self._statement, self._state, self._waiting = "", "", "", None

    def _render(self) -> RenderableType:
        from rich.table import Table
        from rich.text import Text

        with self._lock:
            grid = Table.grid(padding=(0, 1))
            grid.add_column(style="bold")
            grid.add_column()
            elapsed = human(time.monotonic() - self._started)
            grid.add_row(
                "pgwarden", f"run {self._run}  {self._done}/{self._pending} applied  {elapsed}"
            )
            if self._version:
                mig = human(time.monotonic() - self._migration_started)
                grid.add_row("migration", f"{self._version}  attempt {self._attempt}  {mig}")
                if self._statement:
                    grid.add_row("statement", Text(self._statement, overflow="ellipsis"))
                if self._waiting is not None:
                    w = self._waiting
                    waited = human(max(time.time() - w.since, 0.0))
                    state = Text(
                        f"waiting for lock ({waited}), not queueing: blocked by ", style="yellow"
                    )
                    state.append(_blockers(w.blockers))
                    grid.add_row("state", state)
                elif self._state:
                    grid.add_row("state", self._state)
            elif self._state:
                grid.add_row("state", self._state)
            return grid


def make_sink(fmt: str, out: TextIO, *, live: bool | None = None) -> Any:
    """The event sink for `--format`: json lines, a live panel on a TTY, else plain lines."""
    if fmt == "json":
        from pgwarden.report.runner_json import JsonLinesSink

        return JsonLinesSink(out)
    if live is None:
        live = out.isatty()
    if live:
        from pgwarden.report.text import make_console

        return LiveSink(make_console(out))
    return PlainSink(out)


_STATE_STYLE = {
    "applied": "green",
    "pending": "cyan",
    "changed": "bold red",
    "failed": "red",
    "aborted": "yellow",
    "partial": "yellow",
    "missing": "magenta",
}


def write_status_text(result: StatusResult, out: TextIO) -> None:
    from rich.table import Table

    from pgwarden.report.text import make_console

    console = make_console(out)
    console.print(f"database: {result.database or 'the PG* database'}")
    if not result.history_exists:
        console.print("no history table yet (pgwarden.migrations): nothing applied by pgwarden")
    table = Table(box=None, pad_edge=False, show_edge=False)
    for col in ("state", "version", "applied", "duration", "attempts", "note"):
        table.add_column(col)
    for e in result.entries:
        row = e.row
        when = row.finished_at.strftime("%Y-%m-%d %H:%M:%S") if row and row.finished_at else ""
        dur = human(row.duration_ms / 1000) if row and row.duration_ms is not None else ""
        note = ""
        if e.state == "changed":
            note = "file changed since it was applied"
        elif e.state == "missing":
            note = "file is gone"
        elif row is not None and e.state != "applied" and row.error:
            note = row.error
        if e.state == "partial" and row is not None:
            note = f"stopped after {row.progress} statement(s); " + note
        attempts = str(row.attempts) if row else ""
        from rich.text import Text

        table.add_row(
            Text(e.state, style=_STATE_STYLE.get(e.state, "")),
            e.version,
            when if e.state in ("applied", "changed") else "",
            dur if e.state in ("applied", "changed") else "",
            attempts,
            note,
        )
    console.print(table)
    counts: dict[str, int] = {}
    for e in result.entries:
        counts[e.state] = counts.get(e.state, 0) + 1
    console.print(", ".join(f"{n} {s}" for s, n in counts.items()) or "no migrations found")


def write_dry_run_text(result: DryRunResult, out: TextIO) -> None:
    from pgwarden.report.text import make_console, write_text

    console = make_console(out)
    console.print(f"dry run against {result.database or 'the PG* database'}: nothing is changed")
    if not result.scripts:
        console.print("nothing to apply")
    for s in result.scripts:
        how = "one transaction" if s.transactional else "statement by statement"
        waits = sorted({f"{t.relation} ({t.mode.name})" for u in s.units for t in u.targets})
        locks = f"; takes traffic-blocking locks on {', '.join(waits)}" if waits else ""
        console.print(f"would apply {s.file.version}: {s.statements} statement(s), {how}{locks}")
    pre = result.preflight
    label = "pre-flight (pgwarden check)" if pre.source == "inspect" else "pre-flight"
    if pre.error:
        console.print(f"pre-flight: pgwarden check could not run ({pre.error}); own scan used")
    if pre.verdict:
        console.print(f"{label}: {pre.verdict}")
        for reason in pre.reasons:
            console.print(f"  - {reason}")
    if pre.blockers:
        console.print(f"{label}: would wait for: {_blockers(pre.blockers)}")
    elif pre.clear:
        console.print(f"{label}: no session holds a lock these migrations would wait for")
    if result.lint is not None and result.lint.files:
        console.print("")
        write_text(result.lint, out)
