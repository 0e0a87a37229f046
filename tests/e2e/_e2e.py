"""Helpers for the incident tests: app traffic, the pgwarden CLI in a subprocess, observers."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
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


@dataclass(frozen=True)
class Query:
    client: str
    start: float  # time.monotonic()
    end: float
    error: str = ""

    @property
    def latency(self) -> float:
        return self.end - self.start


@dataclass
class Traffic:
    """Application clients, one thread and connection each, every query timed.

    `clients` maps a name to the SQL it repeats (a `{n}` in it becomes a counter).
    """

    dsn: str
    clients: dict[str, str]
    think: float = 0.005
    queries: list[Query] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __enter__(self) -> Traffic:
        for name, sql in self.clients.items():
            t = threading.Thread(target=self._work, args=(name, sql), daemon=True)
            t.start()
            self._threads.append(t)
        wait_until(lambda: len(self.done()) >= len(self.clients), what="app traffic to start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=30)

    def _work(self, name: str, sql: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True, application_name=f"app/{name}") as c:
            n = 0
            while not self._stop.is_set():
                n += 1
                t0 = time.monotonic()
                error = ""
                try:
                    c.execute(sql.replace("{n}", str(n % 100 + 1)))
                except psycopg.Error as exc:
                    error = f"{type(exc).__name__}: {exc}"
                q = Query(name, t0, time.monotonic(), error)
                with self._lock:
                    self.queries.append(q)
                time.sleep(self.think)

    def done(self, start: float = 0.0, end: float = float("inf")) -> list[Query]:
        """Queries that completed in [start, end]."""
        with self._lock:
            return [q for q in self.queries if start <= q.end <= end]

    def overlapping(self, start: float, end: float) -> list[Query]:
        """Queries that were running at some point of [start, end] (a query is recorded when
        it completes: read this after the traffic stopped to see the stuck ones too)."""
        with self._lock:
            return [q for q in self.queries if q.end >= start and q.start <= end]

    def max_latency(self, start: float = 0.0, end: float = float("inf")) -> float:
        return max((q.latency for q in self.overlapping(start, end)), default=0.0)

    def errors(self) -> list[Query]:
        with self._lock:
            return [q for q in self.queries if q.error]


class Proc:
    """A subprocess whose stdout and stderr lines are collected as they come.

    JSON lines (pgwarden's `--format json` events) are parsed and can be waited for.
    """

    def __init__(
        self, argv: Sequence[str], env: dict[str, str] | None = None, cwd: Path | None = None
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
            threading.Thread(target=self._read, args=(self.proc.stdout, self.out), daemon=True),
            threading.Thread(target=self._read, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read(self, stream: Any, sink: list[str]) -> None:
        for line in stream:
            sink.append(line)
            if line.startswith("{"):
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
                if self.proc.poll() is not None and self._new.empty():
                    time.sleep(0.1)  # let the readers drain
                    if self._new.empty():
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


def pgwarden(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Proc:
    """`python -m pgwarden ARGS` as a deploy script would run it."""
    return Proc([sys.executable, "-m", "pgwarden", *args], env=env, cwd=cwd)


def write_migrations(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "it") -> float:
    """Poll until `predicate()` is true; returns time.monotonic() when it was seen."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


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


def history(db: Db) -> dict[str, tuple[str, str | None]]:
    """version -> (outcome, error) from pgwarden.migrations."""
    with db.connect() as c:
        rows = c.execute("SELECT version, outcome, error FROM pgwarden.migrations").fetchall()
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}
