"""Helpers for the framework integration tests: blockers, application load, live event streams."""

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

TIMEOUT = 120  # seconds; a run stuck on a lock fails the test instead of hanging it


class Blocker:
    """A session that ran `sql` in a transaction it keeps open, like pg_dump or a report."""

    def __init__(self, dsn: str, sql: str, app: str = "pg_dump") -> None:
        self.conn = psycopg.connect(dsn, application_name=app)
        self.conn.execute(sql)
        self.pid: int = self.conn.info.backend_pid
        self.released_at: float | None = None  # time.time(), comparable with event stamps
        self._lock = threading.Lock()

    def release_after(self, seconds: float) -> None:
        def run() -> None:
            time.sleep(seconds)
            self.release()

        threading.Thread(target=run, daemon=True).start()

    def release(self) -> None:
        with self._lock:
            if self.released_at is None:
                self.conn.rollback()
                self.released_at = time.time()
                self.conn.close()


@dataclass
class AppLoad:
    """Application threads running short queries, timing each (start time.time(), seconds)."""

    dsn: str
    queries: Sequence[str]
    threads: int = 4
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
                started, t0 = time.time(), time.monotonic()
                try:
                    c.execute(sql)
                except psycopg.Error as exc:
                    with self._lock:
                        self.errors.append(str(exc))
                with self._lock:
                    self.latencies.append((started, time.monotonic() - t0))
                time.sleep(0.005)

    def max_latency(self) -> float:
        with self._lock:
            return max((dt for _, dt in self.latencies), default=0.0)

    def count(self, start: float, end: float) -> int:
        with self._lock:
            return sum(1 for t0, _ in self.latencies if start <= t0 <= end)


class Process:
    """A command whose stderr JSON-lines events are read as they come."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.stderr: list[str] = []
        self._stdout: list[str] = []
        self._lines: queue.Queue[str] = queue.Queue()
        self._readers = [
            threading.Thread(target=self._read_stderr, daemon=True),
            threading.Thread(target=self._read_stdout, daemon=True),
        ]
        for t in self._readers:
            t.start()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.stderr.append(line)
            self._lines.put(line)

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._stdout.append(line)

    @property
    def stdout(self) -> str:
        return "".join(self._stdout)

    def wait_event(self, kind: str, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or (self.proc.poll() is not None and self._lines.empty()):
                raise AssertionError(f"no {kind} event: {''.join(self.stderr)}")
            try:
                line = self._lines.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if line.startswith("{") and json.loads(line).get("event") == kind:
                return dict(json.loads(line))

    def finish(self, timeout: float = TIMEOUT) -> int:
        code = self.proc.wait(timeout=timeout)
        for t in self._readers:
            t.join(timeout=5)
        return code

    @property
    def events(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stderr if line.startswith("{")]

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def events_of(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0, what: str = "it") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def pgwarden_sessions(dsn: str) -> list[tuple[int, str]]:
    """Sessions whose application_name says they are pgwarden's (run, control, watchdog)."""
    with psycopg.connect(dsn, autocommit=True, application_name="test-observer") as c:
        rows = c.execute(
            "SELECT pid, application_name FROM pg_stat_activity "
            "WHERE starts_with(application_name, 'pgwarden') AND pid <> pg_backend_pid()"
        ).fetchall()
    return [(int(r[0]), str(r[1])) for r in rows]


def scalar(dsn: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(sql, params).fetchone()
    return None if row is None else row[0]


# The server records the settings each DDL statement ran under (an event trigger).
CAPTURE = """
CREATE TABLE seen (command text, lock_timeout text, statement_timeout text, app text);
CREATE FUNCTION record_settings() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.seen VALUES (tg_tag, current_setting('lock_timeout'),
    current_setting('statement_timeout'), current_setting('application_name'));
END $$;
CREATE EVENT TRIGGER record_settings ON ddl_command_end EXECUTE FUNCTION record_settings();
"""


def captured(dsn: str) -> list[tuple[str, str, str, str]]:
    """(command, lock_timeout, statement_timeout, application_name) of each DDL, in order."""
    with psycopg.connect(dsn, autocommit=True) as c:
        rows = c.execute("SELECT command, lock_timeout, statement_timeout, app FROM seen")
        return [(str(a), str(b), str(c_), str(d)) for a, b, c_, d in rows.fetchall()]


def sqlalchemy_url(dsn: str) -> str:
    """The libpq DSN as a SQLAlchemy URL for psycopg 3."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    d = conninfo_to_dict(dsn)
    url = URL.create(
        "postgresql+psycopg",
        username=str(d.get("user") or "") or None,
        password=str(d.get("password") or "") or None,
        host=str(d.get("host") or "") or None,
        port=int(d["port"]) if d.get("port") else None,
        database=str(d.get("dbname") or "") or None,
    )
    return url.render_as_string(hide_password=False)
