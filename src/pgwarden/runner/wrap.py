"""`pgwarden run -- CMD`: any migration command under the lock policy, retried on lock timeouts.

The command's libpq connections get the policy through PGOPTIONS (`-c lock_timeout=...`) and
are tagged through PGAPPNAME (`pgwarden-run/<run id>`), so the watchdog can find them and
cancel any that makes other sessions queue. When the command fails on a lock timeout it is run
again after a backoff: Django, Rails, Alembic, Flyway and friends record applied migrations,
so a re-run resumes. On SIGINT/SIGTERM the command's statements are cancelled first, then the
command is stopped, then any session it left behind is closed.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from typing import IO

from pgwarden.db import connect
from pgwarden.errors import UsageError
from pgwarden.runner.errors import LockWaitExceeded, RunAborted
from pgwarden.runner.events import (
    BlockerInfo,
    CommandExited,
    CommandStarted,
    EventSink,
    Notice,
    PreflightDone,
    Retry,
    SessionCancelled,
    discard,
)
from pgwarden.runner.migrate import new_run_id
from pgwarden.runner.policy import Policy, human
from pgwarden.runner.preflight import preflight
from pgwarden.runner.script import require_supported
from pgwarden.runner.signals import Abort
from pgwarden.runner.waiter import Waiter, describe_all, is_long
from pgwarden.runner.watchdog import Watchdog

# What a lock timeout looks like in the output of psql, psycopg, Rails (PG::LockNotAvailable),
# SQLAlchemy and JDBC. Deliberately narrow: a false match would re-run a failing command.
LOCK_TIMEOUT_OUTPUT = re.compile(
    rb"canceling statement due to lock timeout|could not obtain lock on|LockNotAvailable"
    rb"|lock_not_available|\b55P03\b",
    re.IGNORECASE,
)
STOP_GRACE = 0.5  # seconds between SIGTERM and SIGKILL for the command's process group


def child_env(base: Mapping[str, str], policy: Policy, app: str) -> dict[str, str]:
    """The command's environment: our policy appended to PGOPTIONS, PGAPPNAME set."""
    env = dict(base)
    existing = env.get("PGOPTIONS", "").strip()
    env["PGOPTIONS"] = f"{existing} {policy.pgoptions()}".strip()
    env["PGAPPNAME"] = app
    return env


class _Tee(threading.Thread):
    """Copy the command's output through, watching it for lock timeout messages."""

    def __init__(self, src: IO[bytes], dst: IO[bytes]) -> None:
        super().__init__(daemon=True)
        self.src = src
        self.dst = dst
        self.matched = False

    def run(self) -> None:
        for line in iter(self.src.readline, b""):
            if LOCK_TIMEOUT_OUTPUT.search(line):
                self.matched = True
            try:
                self.dst.write(line)
                self.dst.flush()
            except (OSError, ValueError):  # our own output closed: keep draining the pipe
                pass


def run_wrapped(
    argv: Sequence[str],
    dsn: str,
    policy: Policy | None = None,
    events: EventSink = discard,
    *,
    abort: Abort | None = None,
    stdout: IO[bytes],
    stderr: IO[bytes],
) -> int:
    """Run `argv` until it succeeds, fails for another reason, or max_wait passes.

    Returns the command's exit status (1 when it exited 0 yet reported a lock timeout: its
    changes may be partial). Raises LockWaitExceeded or RunAborted.
    """
    if not argv:
        raise UsageError("nothing to run: give the command after `--`")
    policy = policy or Policy()
    abort = abort or Abort()
    emit = events
    run_id = new_run_id()
    app = f"pgwarden-run/{run_id}"
    env = child_env(os.environ, policy, app)
    # Our own sessions carry the run's tag too, so `pgwarden blockers` names them as this run;
    # the watchdog leaves them out of the command's sessions.
    control = connect(dsn, application_name=f"{app}/control")
    watchdog: Watchdog | None = None
    try:
        require_supported(control.info.server_version, "pgwarden run")
        report = preflight(control, None, policy, own_pids=[control.info.backend_pid])
        if not report.clear:
            emit(PreflightDone(report.blockers, report.source, report.verdict, report.reasons))
        watchdog = Watchdog(
            dsn,
            f"{app}/watchdog",
            policy,
            abort,
            prefix=app,
            exclude=(control.info.backend_pid,),
        )
        watchdog.start()
        own = [control.info.backend_pid, watchdog.pid]
        waiter = Waiter(control, policy, emit, abort, lambda: own)
        # max-wait bounds the time spent between runs (waiting out a blocker, backing off),
        # not the time the command runs: a long migration that then meets a lock timeout is
        # retried like a short one. Each run's own lock waits are bounded by lock_timeout.
        waited = 0.0
        seen: dict[int, BlockerInfo] = {}
        attempt = 0
        short_retries = 0
        while True:
            attempt += 1
            emit(CommandStarted(tuple(argv), attempt, app))
            started = time.monotonic()
            code, in_output = _run_once(argv, env, abort, watchdog, stdout, stderr)
            cancels = watchdog.take_cancels()
            for c in cancels:
                emit(SessionCancelled(c.pid, c.reason, c.queued, c.blockers))
            blockers = watchdog.blockers_seen() + tuple(b for c in cancels for b in c.blockers)
            for b in blockers:
                seen[b.pid] = b
            lock_timeout = in_output or bool(cancels)
            emit(CommandExited(attempt, code, lock_timeout, time.monotonic() - started))
            if not lock_timeout:
                return code
            if code == 0:
                emit(
                    Notice(
                        "the command exited 0 but reported a lock timeout, so some of its "
                        "statements failed; not re-running it (for psql use "
                        "-v ON_ERROR_STOP=1 --single-transaction)"
                    )
                )
                return 1
            if waited >= policy.max_wait:
                raise LockWaitExceeded(
                    f"gave up after waiting {human(waited)} for locks between {attempt} runs of "
                    f"the command (max-wait {human(policy.max_wait)}); blockers seen: "
                    f"{describe_all(seen.values())}",
                    tuple(seen.values()),
                )
            began = time.monotonic()
            deadline = began + policy.max_wait - waited
            long = [b for b in blockers if is_long(b, policy.blocker_min_age)]
            if long:
                # Re-run the moment the long transaction that blocked us ends; say whom we
                # wait for, as migrate does (a backup can take hours).
                waiter.wait_out(long, version="", line=0, deadline=deadline)
            else:
                short_retries += 1
                backoff = policy.backoff(short_retries)
                emit(Retry("", attempt + 1, backoff))
                waiter.sleep(backoff, deadline)
            waited += time.monotonic() - began
            abort.check("run")
    finally:
        if watchdog is not None:
            watchdog.stop()
        control.close()


def _run_once(
    argv: Sequence[str],
    env: Mapping[str, str],
    abort: Abort,
    watchdog: Watchdog,
    stdout: IO[bytes],
    stderr: IO[bytes],
) -> tuple[int, bool]:
    try:
        # Own process group: a terminal's Ctrl-C reaches us only, so we cancel the command's
        # statements before we stop it.
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise UsageError(f"cannot run {argv[0]}: {exc.strerror or exc}") from None
    assert proc.stdout is not None and proc.stderr is not None
    tees = [_Tee(proc.stdout, stdout), _Tee(proc.stderr, stderr)]
    for t in tees:
        t.start()
    while proc.poll() is None:
        if abort.sleep(0.05):
            _stop(proc, abort, watchdog)
            for t in tees:
                t.join(timeout=1)
            raise RunAborted(
                abort.signum,
                f"aborted by {signal.Signals(abort.signum).name}: the command's statements were "
                "cancelled and the command stopped",
            )
    for t in tees:
        t.join()
    return proc.returncode, any(t.matched for t in tees)


def _stop(proc: subprocess.Popen[bytes], abort: Abort, watchdog: Watchdog) -> None:
    """Cancel the command's statements, stop the command, close the sessions it left."""
    watchdog.cancel_sessions()
    try:
        os.killpg(proc.pid, abort.signum or signal.SIGTERM)
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()
    watchdog.terminate_sessions()
