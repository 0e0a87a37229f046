"""A second connection that cancels our own statement when it makes other sessions queue.

lock_timeout bounds one lock wait; the watchdog bounds the harm: if our backend waits for a
lock (any lock, including a second one mid-statement, e.g. a foreign key's referenced table)
while other sessions are queued behind it for longer than max_queue, it cancels our statement
with pg_cancel_backend and the runner treats that as a lock timeout. It also cancels our
statement on abort (SIGINT/SIGTERM) and when a lock wait outlives max_wait.
"""

from __future__ import annotations

import contextlib
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pgwarden.db import connect, load_sql
from pgwarden.runner.events import BlockerInfo
from pgwarden.runner.policy import Policy
from pgwarden.runner.signals import Abort

_Q = "pgwarden.runner.queries"


@dataclass(frozen=True, slots=True)
class Cancel:
    """One cancellation the watchdog sent."""

    pid: int
    reason: str  # queue, max-wait, abort
    queued: int
    blockers: tuple[BlockerInfo, ...]
    at: float = field(default_factory=time.monotonic)


def session_details(conn: Any, pids: list[int]) -> list[BlockerInfo]:
    if not pids:
        return []
    rows = conn.execute(load_sql(_Q, "session_details.sql"), {"pids": pids}).fetchall()
    return [
        BlockerInfo(
            pid=r[0],
            application_name=r[1],
            backend_type=r[2],
            state=r[3],
            xact_age=r[4],
            query_age=r[5],
            query=r[6],
            xact_start=r[7],
        )
        for r in rows
    ]


class Watchdog:
    """Watches our sessions (explicit pids, or an application_name prefix) from a thread."""

    def __init__(
        self,
        dsn: str,
        application_name: str,
        policy: Policy,
        abort: Abort,
        *,
        prefix: str = "",
        exclude: tuple[int, ...] = (),
    ) -> None:
        self.policy = policy
        self.abort = abort
        self.prefix = prefix
        self.exclude = exclude  # our own sessions that carry the prefix (`run`'s control)
        self.conn = connect(dsn, application_name=application_name)
        self.pid: int = self.conn.info.backend_pid
        self._lock = threading.Lock()
        self._pids: list[int] = []
        self._armed = prefix != ""  # `run` watches its child's sessions all the time
        self._wait_limit: float | None = None
        self._queued_since: dict[int, float] = {}
        self._waiting_since: dict[int, float] = {}
        self._seen: dict[int, BlockerInfo] = {}
        self._cancels: list[Cancel] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self.generation = 0  # bumped on every cancel we send
        self.error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="pgwarden-watchdog", daemon=True)
        self._unlisten = abort.listen(self._wake.set)

    # -- control, from the main thread ----------------------------------------------------
    def start(self) -> Watchdog:
        self._thread.start()
        return self

    def watch(self, pid: int) -> None:
        """Protect this backend (the migration connection); cancelled on abort."""
        with self._lock:
            self._pids = [pid]
            self._queued_since.clear()

    def arm(self, wait_limit: float | None = None) -> None:
        """Start judging lock waits (just before a statement is sent). `wait_limit`: seconds one
        lock wait may last before it is cancelled as over max-wait, counted from when the wait
        starts, not from now: a long index build that then waits is not cancelled at once."""
        with self._lock:
            self._armed = True
            self._wait_limit = wait_limit
            self._queued_since.clear()
            self._waiting_since.clear()
        self._wake.set()

    def disarm(self) -> None:
        """Stop judging; once this returns no cancel for the finished statement is sent."""
        with self._lock:
            self._armed = self.prefix != ""
            self._wait_limit = None
            self._queued_since.clear()
            self._waiting_since.clear()

    def blockers_seen(self, *, clear: bool = True) -> tuple[BlockerInfo, ...]:
        with self._lock:
            out = tuple(self._seen.values())
            if clear:
                self._seen.clear()
        return out

    def take_cancels(self) -> list[Cancel]:
        with self._lock:
            out, self._cancels = self._cancels, []
        return out

    def sessions(self) -> list[tuple[int, str]]:
        """(pid, state) of the sessions carrying our application_name prefix."""
        if not self.prefix:
            return []
        rows = self.conn.execute(
            load_sql(_Q, "own_sessions.sql"), {"prefix": self.prefix, "exclude": list(self.exclude)}
        )
        return [(int(r[0]), str(r[1])) for r in rows.fetchall()]

    def cancel_sessions(self) -> int:
        """Cancel what every session with our prefix is running; how many were active."""
        active = [pid for pid, state in self.sessions() if state == "active"]
        for pid in active:
            self.conn.execute(load_sql(_Q, "cancel.sql"), {"pid": pid})
        return len(active)

    def terminate_sessions(self) -> int:
        """Close sessions with our prefix that outlived the command that opened them."""
        pids = [pid for pid, _ in self.sessions()]
        for pid in pids:
            self.conn.execute(load_sql(_Q, "terminate.sql"), {"pid": pid})
        return len(pids)

    def stop(self) -> None:
        self._unlisten()
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2)
        with contextlib.suppress(Exception):  # closing a broken connection: nothing to do
            self.conn.close()

    # -- the thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        query = load_sql(_Q, "watchdog.sql")
        while not self._stop.is_set():
            with self._lock:
                active = self._armed or self.abort.requested
            if not active:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            try:
                self._poll(query)
            except Exception as exc:  # the watchdog must never kill the run; record why it stopped
                self.error = f"{type(exc).__name__}: {exc}"
                return
            self._stop.wait(self.policy.poll_interval)

    def _poll(self, query: str) -> None:
        with self._lock:
            pids = list(self._pids)
            params = {"pids": pids, "prefix": self.prefix, "exclude": list(self.exclude)}
            rows = self.conn.execute(query, params).fetchall()
            now = time.monotonic()
            for pid, state, queued, blocking in rows:
                if self.abort.requested:
                    if state == "active":
                        self._cancel(pid, "abort", 0, ())
                    continue
                if not self._armed or blocking is None:
                    self._queued_since.pop(pid, None)
                    self._waiting_since.pop(pid, None)
                    continue
                waiting_since = self._waiting_since.setdefault(pid, now)
                # Our session waits for a lock: remember who it waits for, for the report.
                new = [p for p in blocking if p not in self._seen]
                for info in session_details(self.conn, new):
                    self._seen[info.pid] = info
                details = tuple(self._seen[p] for p in blocking if p in self._seen)
                if queued:
                    first = self._queued_since.setdefault(pid, now)
                    if now - first >= self.policy.max_queue:
                        self._cancel(pid, "queue", len(queued), details)
                        continue
                else:
                    self._queued_since.pop(pid, None)
                limit = self._wait_limit
                if limit is not None and now - waiting_since >= limit:
                    self._cancel(pid, "max-wait", len(queued or ()), details)

    def _cancel(
        self, pid: int, reason: str, queued: int, blockers: tuple[BlockerInfo, ...]
    ) -> None:
        self.conn.execute(load_sql(_Q, "cancel.sql"), {"pid": pid})
        self.generation += 1
        self._queued_since.pop(pid, None)
        self._cancels.append(Cancel(pid, reason, queued, blockers))
