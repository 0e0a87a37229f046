"""One runner per database: a session advisory lock held on a dedicated connection."""

from __future__ import annotations

import time
from typing import Any

from pgwarden.db import load_sql
from pgwarden.runner.errors import LockWaitExceeded, RunnerBusy
from pgwarden.runner.events import EventSink, RunnerLockWaiting
from pgwarden.runner.signals import Abort

_Q = "pgwarden.runner.queries"
# "pgwarden" in ASCII: fixed so every pgwarden version contends on the same key.
RUNNER_LOCK_KEY = int.from_bytes(b"pgwarden", "big")
_RETRY = 0.25  # seconds between tries while another runner works
_REPORT_EVERY = 10.0


def holder(conn: Any) -> tuple[int, str] | None:
    row = conn.execute(
        load_sql(_Q, "runner_lock_holder.sql"),
        {"hi": RUNNER_LOCK_KEY >> 32, "lo": RUNNER_LOCK_KEY & 0xFFFFFFFF},
    ).fetchone()
    return (int(row[0]), str(row[1])) if row else None


def try_acquire(conn: Any) -> bool:
    row = conn.execute(load_sql(_Q, "runner_lock_try.sql"), {"key": RUNNER_LOCK_KEY})
    got = row.fetchone()
    return bool(got and got[0])


def acquire(conn: Any, *, wait: bool, max_wait: float, emit: EventSink, abort: Abort) -> None:
    """Take the runner lock on `conn`, waiting (with a message) unless `wait` is False."""
    deadline = time.monotonic() + max_wait
    next_report = 0.0
    while not try_acquire(conn):
        who = holder(conn)
        desc = f"pid {who[0]} `{who[1]}`" if who else "a session that just released it"
        if not wait:
            raise RunnerBusy(
                f"another runner is migrating this database ({desc}); "
                "run again when it is done, or without --no-wait to wait for it"
            )
        now = time.monotonic()
        if now >= deadline:
            raise LockWaitExceeded(f"gave up waiting for the other runner ({desc})")
        if now >= next_report:
            emit(RunnerLockWaiting(who[0] if who else None, who[1] if who else ""))
            next_report = now + _REPORT_EVERY
        if abort.sleep(_RETRY):
            abort.check("waiting for the runner lock")
