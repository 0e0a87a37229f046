"""Shared test helpers: databases, blockers, app load, subprocesses, pg_stat_activity probes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pgwarden.embedded import Cluster

TEMPLATE = "pgwarden_template"


@dataclass(frozen=True)
class Db:
    cluster: Cluster
    name: str

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.name)

    def connect(self, autocommit: bool = True, **kw: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, autocommit=autocommit, **kw)

    def scalar(self, sql: str, params: Any = None) -> Any:
        with self.connect() as c:
            row = c.execute(sql, params).fetchone()
            return row[0] if row else None

    def run(self, sql: str, params: Any = None) -> None:
        with self.connect() as c:
            c.execute(sql, params)


def write_migrations(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


class Blocker:
    """A session that ran `sql` in a transaction it keeps open, like pg_dump or a report.

    `released_at` is read from `clock`: time.time() to compare with event stamps,
    time.monotonic() to compare with the test's own timings. It is read just before the
    ROLLBACK is sent, so the lock was held at least until then: the server lets go of it
    before the client hears back, and a waiting session can commit in between.
    """

    def __init__(
        self, dsn: str, sql: str, app: str = "pg_dump", clock: Callable[[], float] = time.time
    ) -> None:
        self.conn = psycopg.connect(dsn, application_name=app)
        self.conn.execute(sql)
        self.pid: int = self.conn.info.backend_pid
        self.released_at: float | None = None
        self._clock = clock
        self._lock = threading.Lock()

    def release_after(self, seconds: float) -> threading.Thread:
        def run() -> None:
            time.sleep(seconds)
            self.release()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def release(self) -> None:
        with self._lock:
            if self.released_at is None:
                self.released_at = self._clock()
                self.conn.rollback()
                self.conn.close()


@dataclass
class AppLoad:
    """Application threads running short queries, timing each: (start per `clock`, seconds).

    Thread i runs `queries` in turn, with `{id}` replaced by i + 1.
    """

    dsn: str
    queries: Sequence[str]
    threads: int = 4
    clock: Callable[[], float] = time.time
    latencies: list[tuple[float, float]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _workers: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> AppLoad:
        for i in range(self.threads):
            t = threading.Thread(target=self._work, args=(i,), daemon=True)
            t.start()
            self._workers.append(t)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._workers:
            t.join(timeout=30)

    def _work(self, i: int) -> None:
        with psycopg.connect(self.dsn, autocommit=True, application_name=f"app{i}") as c:
            n = 0
            while not self._stop.is_set():
                sql = self.queries[n % len(self.queries)].format(id=i + 1)
                n += 1
                started, t0 = self.clock(), time.monotonic()
                try:
                    c.execute(sql)
                except psycopg.Error as exc:
                    with self._lock:
                        self.errors.append(str(exc))
                with self._lock:
                    self.latencies.append((started, time.monotonic() - t0))
                time.sleep(0.005)

    def max_latency(self, start: float | None = None, end: float | None = None) -> float:
        with self._lock:
            return max(
                (
                    dt
                    for t0, dt in self.latencies
                    if (start is None or t0 >= start) and (end is None or t0 <= end)
                ),
                default=0.0,
            )

    def count(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t0, _ in self.latencies if start <= t0 <= end)


class Proc:
    """A subprocess whose stdout and stderr lines are collected as they come.

    JSON lines (pgwarden's `--format json` events) on the `events_from` streams ("stdout",
    "stderr") are parsed and can be waited for.
    """

    def __init__(
        self,
        argv: Sequence[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        events_from: tuple[str, ...] = ("stdout", "stderr"),
    ) -> None:
        self.argv = list(argv)
        self.proc = subprocess.Popen(
            self.argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
            cwd=cwd,
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self.events: list[dict[str, Any]] = []
        self._new: queue.Queue[dict[str, Any]] = queue.Queue()
        self.ended: float | None = None
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._readers = [
            threading.Thread(
                target=self._read,
                args=(self.proc.stdout, self.out, "stdout" in events_from),
                daemon=True,
            ),
            threading.Thread(
                target=self._read,
                args=(self.proc.stderr, self.err, "stderr" in events_from),
                daemon=True,
            ),
        ]
        for t in self._readers:
            t.start()

    def _read(self, stream: Any, sink: list[str], events: bool) -> None:
        for line in stream:
            sink.append(line)
            if events and line.startswith("{"):
                try:
                    ev = json.loads(line)
                except ValueError:
                    continue
                if isinstance(ev, dict) and "event" in ev:
                    self.events.append(ev)
                    self._new.put(ev)

    def wait_event(
        self,
        kind: str,
        timeout: float = 30.0,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """The next event of this kind (matching `where`) not consumed yet."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} event within {timeout} s:\n{self.text()}")
            try:
                ev = self._new.get(timeout=min(left, 0.2))
            except queue.Empty:
                drained = not any(t.is_alive() for t in self._readers)
                if self.proc.poll() is not None and drained and self._new.empty():
                    raise AssertionError(f"exited before {kind}:\n{self.text()}") from None
                continue
            if ev.get("event") == kind and (where is None or where(ev)):
                return ev

    def finish(self, timeout: float = 60.0) -> int:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"{self.argv[:4]} still running after {timeout} s") from None
        self.ended = time.monotonic()
        for t in self._readers:
            t.join(timeout=5)
        return code

    def text(self) -> str:
        return "".join(self.out) + "\n--- stderr ---\n" + "".join(self.err)

    def kinds(self) -> list[str]:
        return [str(e["event"]) for e in self.events]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "it") -> float:
    """Poll until `predicate()` is true; returns time.monotonic() when it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def pgwarden_sessions(dsn: str, prefix: str = "pgwarden") -> list[tuple[int, str]]:
    """Sessions in this DSN's database whose application_name says they are pgwarden's (run,
    control, watchdog); other tests' databases on the shared cluster are not looked at."""
    with psycopg.connect(dsn, autocommit=True, application_name="test-observer") as c:
        rows = c.execute(
            "SELECT pid, application_name FROM pg_stat_activity "
            "WHERE starts_with(application_name, %s) AND pid <> pg_backend_pid() "
            "AND datname = current_database()",
            (prefix,),
        ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def lock_waiters(db: Db, app_prefix: str) -> list[tuple[int, str, str]]:
    """(pid, application_name, query) of sessions with this prefix waiting for a lock."""
    with db.connect(application_name="e2e-observer") as c:
        rows = c.execute(
            "SELECT pid, application_name, query FROM pg_stat_activity "
            "WHERE starts_with(application_name, %s) AND wait_event_type = 'Lock' "
            "AND datname = current_database()",
            (app_prefix,),
        ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]


def sessions(db: Db, app_prefix: str) -> list[tuple[int, str, str]]:
    """(pid, application_name, state) of the sessions with this prefix."""
    with db.connect(application_name="e2e-observer") as c:
        rows = c.execute(
            "SELECT pid, application_name, coalesce(state, '') FROM pg_stat_activity "
            "WHERE starts_with(application_name, %s) AND datname = current_database()",
            (app_prefix,),
        ).fetchall()
    return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]
