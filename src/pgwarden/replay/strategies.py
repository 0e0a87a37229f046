"""How migrations are run today, and how pgwarden runs them; each returns an Outcome.

Every strategy is a deploy process started at the migration's moment, as in production: the
peers' retry policies run as `python -m pgwarden.replay.strategies NAME DSN` (SQL on stdin),
pgwarden as `python -m pgwarden migrate DIR --format json`. Both report JSON-lines events
stamped with the wall clock when they happen (`attempt`, `migration_applied`,
`migration_failed`), so commit times are the processes' own, not when a line was read.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# GitLab's with_lock_retries default timing table: (lock_timeout s, sleep s) pairs
# (lib/gitlab/database/with_lock_retries.rb; summarised in shared/PEERS.md). The first 20 of
# its 41 steps: the 60 s and 180 s sleeps end any replay long before the rest.
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

Schedule = list[tuple[float | None, float]]  # (lock_timeout s or None for none, sleep s)


def _backoff_schedule() -> Schedule:
    """50 ms lock_timeout, exponential backoff to 2 s with full jitter (seeded: repeatable)."""
    rng = random.Random(7)
    sched: Schedule = []
    delay = 0.05
    for _ in range(200):
        sched.append((0.05, rng.uniform(0, delay)))
        delay = min(delay * 2, 2.0)
    return sched


SCHEDULES: dict[str, Callable[[], Schedule]] = {
    # What Django/Rails do: send the DDL and wait as long as it takes.
    "naive": lambda: [(None, 0.0)],
    # A common template (strong_migrations): lock_timeout 10 s, one attempt.
    "timeout10": lambda: [(10.0, 0.0)],
    "gitlab": lambda: [(t, s) for t, s in GITLAB_SCHEDULE],
    "backoff": _backoff_schedule,
}


@dataclass(slots=True)
class Outcome:
    strategy: str
    started: float  # when the deploy process was started
    ended: float | None = None  # when the migration committed (or the process gave up)
    ok: bool = False
    attempts: int = 0
    error: str = ""
    # (scenario seconds, event kind) of the process's JSON events.
    events: list[tuple[float, str]] = field(default_factory=list)


Clock = Callable[[], float]


def run_retry(
    dsn: str, sql: str, schedule: Schedule, deadline: float, emit: Callable[..., None]
) -> bool:
    """Attempts on one connection, as a migration tool does: each a transaction that sets its
    lock_timeout, then a sleep before the next one after a lock timeout. `deadline` is
    time.monotonic(); `emit(kind, **fields)` reports each attempt and the outcome."""
    import psycopg

    error = ""
    with psycopg.connect(dsn, application_name="migration") as conn:
        for n, (lock_timeout, sleep) in enumerate(schedule, start=1):
            emit("attempt", attempt=n)
            try:
                if lock_timeout is not None:
                    conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
                conn.execute(sql)
                conn.commit()
                emit("migration_applied", attempts=n)
                return True
            except psycopg.Error as exc:
                conn.rollback()
                error = type(exc).__name__
            if error != "LockNotAvailable" or time.monotonic() + sleep > deadline:
                break
            time.sleep(sleep)
    emit("migration_failed", error=error)
    return False


def main(argv: list[str] | None = None) -> int:
    """`python -m pgwarden.replay.strategies NAME DSN SECONDS` with the SQL on stdin."""
    name, dsn, seconds = argv if argv is not None else sys.argv[1:]
    sql = sys.stdin.read()

    def emit(kind: str, **fields: Any) -> None:
        print(json.dumps({"event": kind, "at": time.time(), **fields}), flush=True)

    ok = run_retry(dsn, sql, SCHEDULES[name](), time.monotonic() + float(seconds), emit)
    return 0 if ok else 1


def baseline(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """No migration at all: the app and the blocker alone, the noise floor of the machine."""
    return Outcome("baseline", clock(), None, ok=True)


def _peer(name: str) -> Callable[[str, str, Clock, float], Outcome]:
    def run(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
        seconds = f"{max(1.0, deadline - clock()):.3f}"
        cmd = [sys.executable, "-m", "pgwarden.replay.strategies", name, dsn, seconds]
        return run_process(name, cmd, sql, clock, deadline)

    run.__doc__ = f"The `{name}` retry policy in its own deploy process."
    return run


def pgwarden(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """The real runner, invoked as a user would: `pgwarden migrate DIR --dsn ... --format json`.

    Attempts are the runner's own count (one per `attempt` event; a wait without queueing
    is not an attempt).
    """
    with tempfile.TemporaryDirectory(prefix="pgwarden-replay-") as tmp:
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
        return run_process("pgwarden", cmd, None, clock, deadline)


def run_process(
    name: str, cmd: list[str], stdin: str | None, clock: Clock, deadline: float
) -> Outcome:
    """Start a deploy process now and follow its JSON events until it exits."""
    out = Outcome(name, clock())
    # Scenario time of a wall-clock stamp (the offset is fixed for the few seconds of a run).
    offset = time.time() - clock()
    with tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        assert proc.stdout is not None
        if stdin is not None:
            assert proc.stdin is not None
            proc.stdin.write(stdin)
            proc.stdin.close()
        applied: dict[str, Any] = {}
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
            elif kind == "migration_failed" and not out.error:
                out.error = str(ev.get("error", ""))
        proc.wait(timeout=max(5.0, deadline - clock() + 30))
        err.seek(0)
        stderr = err.read()
    attempts = applied.get("attempts")
    if isinstance(attempts, int):
        out.attempts = attempts
    out.ok = proc.returncode == 0 and out.ended is not None
    if out.ended is None:
        out.ended = clock()
    if not out.ok and not out.error:
        out.error = (stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
    return out


def prepare_runner() -> None:
    """Compile pgwarden's bytecode (into its __pycache__ directories) before any run.

    An installed package starts from .pyc files (pip compiles them at install); an editable
    checkout under PYTHONDONTWRITEBYTECODE would recompile every module at each start of a
    deploy process: CPU the application would pay for on this small machine, and that no
    real deploy pays.
    """
    import compileall

    import pgwarden as pkg

    compileall.compile_dir(str(Path(pkg.__file__).parent), quiet=1)


STRATEGIES: dict[str, Callable[[str, str, Clock, float], Outcome]] = {
    "baseline": baseline,
    **{name: _peer(name) for name in SCHEDULES},
    "pgwarden": pgwarden,
}

MIGRATIONS = {
    "add-column": "ALTER TABLE {table} ADD COLUMN note text",
    "drop-constraint": "ALTER TABLE {table} DROP CONSTRAINT {table}_balance_check",
    "create-index": "CREATE INDEX {table}_balance_idx ON {table} (balance)",
}

if __name__ == "__main__":
    sys.exit(main())
