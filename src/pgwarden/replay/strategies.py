"""How migrations are run today, and how pgwarden runs them; each returns an Outcome."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

# GitLab's with_lock_retries default timing table: (lock_timeout s, sleep s) pairs
# (lib/gitlab/database/with_lock_retries.rb; summarised in shared/PEERS.md).
GITLAB_SCHEDULE: tuple[tuple[float, float], ...] = (
    (0.1, 0.05),
    (0.1, 0.05),
    (0.2, 0.05),
    (0.3, 0.1),
    (0.4, 0.15),
    (0.5, 2),
    (0.5, 2),
    (0.5, 2),
    (0.5, 2),
    (1, 5),
    (1, 60),
    (0.1, 0.05),
    (0.1, 0.05),
    (0.2, 0.05),
    (0.3, 0.1),
    (0.4, 0.15),
    (0.5, 2),
    (0.5, 2),
    (0.5, 2),
    (3, 180),
)


@dataclass(slots=True)
class Outcome:
    strategy: str
    started: float
    ended: float | None = None  # when the migration committed (or gave up)
    ok: bool = False
    attempts: int = 0
    error: str = ""
    # pgwarden only: (scenario seconds, event kind) of the runner's JSON events.
    events: list[tuple[float, str]] = field(default_factory=list)


Clock = Callable[[], float]


def run_retry(
    name: str,
    dsn: str,
    sql: str,
    schedule: list[tuple[float | None, float]],
    clock: Clock,
    deadline: float,
) -> Outcome:
    """Attempts on one connection, as a migration tool does: each a transaction that sets
    its lock_timeout (None: none), then sleeps before the next one on a lock timeout."""
    import psycopg

    out = Outcome(name, clock())
    with psycopg.connect(dsn, application_name="migration") as conn:
        for lock_timeout, sleep in schedule:
            out.attempts += 1
            try:
                if lock_timeout is not None:
                    conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
                conn.execute(sql)
                conn.commit()
                out.ok, out.ended = True, clock()
                return out
            except psycopg.Error as exc:
                conn.rollback()
                out.error = type(exc).__name__
            if out.error != "LockNotAvailable" or clock() + sleep > deadline:
                break
            time.sleep(sleep)
    out.ended = clock()
    return out


def naive(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """What Django/Rails do: send the DDL and wait as long as it takes."""
    return run_retry("naive", dsn, sql, [(None, 0)], clock, deadline)


def timeout10(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """A common template: lock_timeout = 10s, one attempt."""
    return run_retry("timeout10", dsn, sql, [(10.0, 0)], clock, deadline)


def gitlab(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    return run_retry("gitlab", dsn, sql, [(t, s) for t, s in GITLAB_SCHEDULE], clock, deadline)


def backoff(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """50 ms lock_timeout, exponential backoff to 2 s with full jitter."""
    rng = random.Random(7)
    sched: list[tuple[float | None, float]] = []
    delay = 0.05
    for _ in range(200):
        sched.append((0.05, rng.uniform(0, delay)))
        delay = min(delay * 2, 2.0)
    return run_retry("backoff", dsn, sql, sched, clock, deadline)


def baseline(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """No migration at all: the app and the blocker alone, the noise floor of the machine."""
    now = clock()
    return Outcome("baseline", now, None, ok=True)


def prepare_runner() -> None:
    """Compile pgwarden's bytecode (into its __pycache__ directories) before any run.

    An installed package starts from .pyc files (pip compiles them at install); an editable
    checkout under PYTHONDONTWRITEBYTECODE would recompile every module at each start of the
    runner: CPU the application would pay for on this small machine, and no real deploy pays.
    """
    import compileall

    import pgwarden as pkg

    compileall.compile_dir(str(Path(pkg.__file__).parent), quiet=1)


def pgwarden(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """The real runner, invoked as a user would: `pgwarden migrate DIR --dsn ... --format json`.

    The runner stamps each JSON event with the wall-clock time it happened (`at`); mapped onto
    the scenario clock, `migration_applied` dates the commit itself, not the moment its line
    was read or the process exited. Attempts are the runner's own count (one per `attempt`
    event; a wait without queueing is not an attempt).
    """
    out = Outcome("pgwarden", clock())
    # Scenario time of a wall-clock stamp (the offset is fixed for the few seconds of a run).
    offset = time.time() - clock()
    with (
        tempfile.TemporaryDirectory(prefix="pgwarden-replay-") as tmp,
        tempfile.TemporaryFile(mode="w+") as err,
    ):
        Path(tmp, "0001_replay.sql").write_text(sql + ";\n")
        cmd = [
            sys.executable,
            "-m",
            "pgwarden",
            "migrate",
            tmp,
            "--dsn",
            dsn,
            "--format",
            "json",
            "--max-wait",
            f"{max(1, int(deadline - clock()))}s",
        ]
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=err, text=True, env=os.environ.copy()
        )
        assert proc.stdout is not None
        applied: dict[str, object] = {}
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if not isinstance(ev, dict):
                continue
            kind = str(ev.get("event", ""))
            at = ev.get("at")
            when = float(at) - offset if isinstance(at, (int, float)) else clock()
            out.events.append((when, kind))
            if kind == "attempt":
                out.attempts += 1
            elif kind == "migration_applied":
                applied = ev
                out.ended = when
        proc.wait(timeout=max(5.0, deadline - clock() + 30))
        err.seek(0)
        stderr = err.read()
    attempts = applied.get("attempts")
    if isinstance(attempts, int):
        out.attempts = attempts
    out.ok = proc.returncode == 0 and out.ended is not None
    if out.ended is None:
        out.ended = clock()
    if not out.ok:
        out.error = (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return out


STRATEGIES: dict[str, Callable[[str, str, Clock, float], Outcome]] = {
    "baseline": baseline,
    "naive": naive,
    "timeout10": timeout10,
    "gitlab": gitlab,
    "backoff": backoff,
    "pgwarden": pgwarden,
}

MIGRATIONS = {
    "add-column": "ALTER TABLE {table} ADD COLUMN note text",
    "drop-constraint": "ALTER TABLE {table} DROP CONSTRAINT {table}_balance_check",
    "create-index": "CREATE INDEX {table}_balance_idx ON {table} (balance)",
}
