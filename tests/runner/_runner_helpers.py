"""Helpers for the runner tests: migration dirs, blockers, app load, the CLI in a subprocess."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from pgwarden.embedded import Cluster

TEMPLATE = "pgwarden_template"


@dataclass(frozen=True)
class Db18:
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


def write_migrations(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


class Blocker:
    """A session holding ACCESS SHARE on a table in an open transaction, like pg_dump."""

    def __init__(self, dsn: str, table: str, app: str = "pg_dump") -> None:
        self.conn = psycopg.connect(dsn, application_name=app)
        self.conn.execute(f"SELECT count(*) FROM {table}")
        self.pid: int = self.conn.info.backend_pid
        self.released_at: float | None = None

    def release_after(self, seconds: float) -> threading.Thread:
        def run() -> None:
            time.sleep(seconds)
            self.release()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t

    def release(self) -> None:
        if self.released_at is None:
            self.conn.commit()
            self.released_at = time.monotonic()
            self.conn.close()


@dataclass
class AppLoad:
    """Application threads running short SELECT/UPDATE on a table, timing every query."""

    dsn: str
    table: str
    threads: int = 6
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (start, seconds)
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
                n += 1
                sql = (
                    f"UPDATE {self.table} SET a = a + 1 WHERE id = {i + 1}"
                    if n % 2
                    else f"SELECT a FROM {self.table} WHERE id = {i + 1}"
                )
                t0 = time.monotonic()
                try:
                    c.execute(sql)
                except psycopg.Error as exc:
                    with self._lock:
                        self.errors.append(str(exc))
                dt = time.monotonic() - t0
                with self._lock:
                    self.latencies.append((t0, dt))
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
            return sum(1 for t0, _ in self.latencies if start <= t0 and t0 + 0 <= end)


class Cli:
    """`python -m pgwarden ...` in a subprocess, its JSON-lines stdout read as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pgwarden", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.stdout.append(line)
            self.lines.put(line)

    def wait_event(self, kind: str, timeout: float = 30.0, **match: Any) -> dict[str, Any]:
        """The next JSON event of this kind (and field values) on stdout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} event within {timeout} s: {self.stdout}")
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                continue
            if not line.startswith("{"):
                continue
            ev = json.loads(line)
            if ev.get("event") == kind and all(str(v) in str(ev.get(k)) for k, v in match.items()):
                return ev

    def finish(self, timeout: float = 30.0) -> tuple[int, str, str]:
        code = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=5)
        assert self.proc.stderr is not None
        return code, "".join(self.stdout), self.proc.stderr.read()


def wait_until(predicate: Any, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def pgwarden_sessions(dsn: str, prefix: str = "pgwarden") -> list[tuple[int, str]]:
    with psycopg.connect(dsn, autocommit=True, application_name="test-observer") as c:
        rows = c.execute(
            "SELECT pid, application_name FROM pg_stat_activity "
            "WHERE starts_with(application_name, %s) AND pid <> pg_backend_pid()",
            (prefix,),
        ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def runner_lock_held(dsn: str) -> bool:
    from pgwarden.runner.lock import RUNNER_LOCK_KEY

    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid = %s::oid AND objid = %s::oid AND objsubid = 1",
            (RUNNER_LOCK_KEY >> 32, RUNNER_LOCK_KEY & 0xFFFFFFFF),
        ).fetchone()
    return bool(row and row[0])
