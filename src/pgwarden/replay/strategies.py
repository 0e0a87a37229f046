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
from dataclasses import dataclass
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
    ended: float | None = None
    ok: bool = False
    attempts: int = 0
    error: str = ""


Clock = Callable[[], float]


def _attempt(dsn: str, sql: str, lock_timeout: float | None) -> str | None:
    """One transaction; None on success, else the error class name (LockNotAvailable...)."""
    import psycopg

    with psycopg.connect(dsn, application_name="migration") as conn:
        try:
            if lock_timeout is not None:
                conn.execute(f"SET LOCAL lock_timeout = '{int(lock_timeout * 1000)}ms'")
            conn.execute(sql)
            conn.commit()
            return None
        except psycopg.Error as exc:
            conn.rollback()
            return type(exc).__name__


def run_retry(
    name: str,
    dsn: str,
    sql: str,
    schedule: list[tuple[float | None, float]],
    clock: Clock,
    deadline: float,
) -> Outcome:
    out = Outcome(name, clock())
    for lock_timeout, sleep in schedule:
        out.attempts += 1
        err = _attempt(dsn, sql, lock_timeout)
        if err is None:
            out.ok, out.ended = True, clock()
            return out
        out.error = err
        if err != "LockNotAvailable" or clock() + sleep > deadline:
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


def pgwarden(dsn: str, sql: str, clock: Clock, deadline: float) -> Outcome:
    """The real runner, invoked as a user would: `pgwarden migrate DIR --dsn ... --format json`.

    Its JSON-lines events are read as they arrive, so the commit time is the moment the runner
    reports `migration_applied`, not when the process has exited.
    """
    out = Outcome("pgwarden", clock())
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
        proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=os.environ.copy()
        )
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            kind = ev.get("event") if isinstance(ev, dict) else None
            if kind == "attempt":
                out.attempts += 1
            elif kind == "migration_applied":
                out.ended = clock()
        stderr = proc.stderr.read() if proc.stderr else ""
        proc.wait(timeout=max(5.0, deadline - clock() + 30))
    out.ok = proc.returncode == 0 and out.ended is not None
    if out.ended is None:
        out.ended = clock()
    if not out.ok:
        out.error = (stderr.strip().splitlines() or ["failed"])[-1]
    return out


STRATEGIES: dict[str, Callable[[str, str, Clock, float], Outcome]] = {
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
