"""Helpers for the incident tests: app traffic, the pgwarden CLI in a subprocess, observers."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

import pgtools
from pgtools import TEMPLATE, Db, Proc, lock_waiters, sessions, write_migrations

__all__ = [
    "TEMPLATE",
    "Db",
    "Proc",
    "Query",
    "Traffic",
    "history",
    "lock_waiters",
    "pgwarden",
    "sessions",
    "wait_until",
    "write_migrations",
]


def wait_until(predicate: Callable[[], object], timeout: float = 20.0, what: str = "it") -> float:
    """Poll until `predicate()` is true; returns time.monotonic() when it was seen."""
    return pgtools.wait_until(predicate, timeout, what)


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


def pgwarden(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> Proc:
    """`python -m pgwarden ARGS` as a deploy script would run it."""
    return Proc([sys.executable, "-m", "pgwarden", *args], env=env, cwd=cwd)


def history(db: Db) -> dict[str, tuple[str, str | None]]:
    """version -> (outcome, error) from pgwarden.migrations."""
    with db.connect() as c:
        rows = c.execute("SELECT version, outcome, error FROM pgwarden.migrations").fetchall()
    return {str(r[0]): (str(r[1]), r[2]) for r in rows}
