"""Closed-loop application load: N client processes doing point SELECTs and UPDATEs, timed.

Each client is its own process, as behind a pre-forking app server: threads in one Python
process would share the GIL, and its 5 ms switch interval (plus the harness's own threads and
garbage collections) would show up as "app latency" that no lock caused.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import time
from dataclasses import dataclass, field
from typing import Any

READY_TIMEOUT = 60.0  # seconds for every client to start and connect


@dataclass(frozen=True, slots=True)
class QuerySample:
    start: float  # seconds since the scenario's t0 (time.monotonic based)
    end: float
    ok: bool
    kind: str

    @property
    def latency(self) -> float:
        return self.end - self.start


@dataclass(slots=True)
class AppLoad:
    """Client processes hammering one table; each query's start/end is recorded."""

    dsn: str
    table: str
    rows: int
    clients: int = 8
    think: float = 0.002
    update_ratio: float = 0.3
    t0: float = 0.0
    samples: list[QuerySample] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # first error message of each client
    _procs: list[Any] = field(default_factory=list)
    _stop: Any = None
    _out: Any = None

    def start(self) -> float:
        """Start the clients, wait until all are connected, let them go; returns t0.

        CLOCK_MONOTONIC is system-wide on Linux and macOS, so the clients' timestamps and
        the harness's share one time line.
        """
        ctx = mp.get_context("spawn")  # no fork of a process that has threads
        ready = ctx.Semaphore(0)
        go = ctx.Event()
        self._stop = ctx.Event()
        self._out = ctx.Queue()
        for i in range(self.clients):
            p = ctx.Process(
                target=client,
                args=(
                    self.dsn,
                    self.table,
                    self.rows,
                    i,
                    self.think,
                    self.update_ratio,
                    ready,
                    go,
                    self._stop,
                    self._out,
                ),
                daemon=True,
                name=f"app-{i}",
            )
            p.start()
            self._procs.append(p)
        deadline = time.monotonic() + READY_TIMEOUT
        for _ in range(self.clients):
            if not ready.acquire(timeout=max(deadline - time.monotonic(), 0.1)):
                self._kill()
                raise RuntimeError("application clients did not start (see their stderr)")
        self.t0 = time.monotonic()
        go.set()
        return self.t0

    def stop(self) -> None:
        """Stop the clients and collect their samples (times relative to t0)."""
        self._stop.set()
        got: list[tuple[float, float, bool, str]] = []
        for _ in self._procs:
            rows, error = self._out.get(timeout=60)
            got.extend(rows)
            if error:
                self.errors.append(error)
        for p in self._procs:
            p.join(timeout=10)
        self.samples = sorted(
            (QuerySample(a - self.t0, b - self.t0, ok, kind) for a, b, ok, kind in got),
            key=lambda s: s.start,
        )

    def _kill(self) -> None:
        for p in self._procs:
            if p.is_alive():
                p.kill()


def client(
    dsn: str,
    table: str,
    rows: int,
    i: int,
    think: float,
    update_ratio: float,
    ready: Any,
    go: Any,
    stop: Any,
    out: Any,
) -> None:
    """One application connection (runs in a child process); sends its samples on `out`."""
    import psycopg

    rng = random.Random(i)
    local: list[tuple[float, float, bool, str]] = []
    first_error = ""
    released = False
    try:
        # A generous statement_timeout keeps a stuck client from hanging the benchmark forever.
        with psycopg.connect(
            dsn, autocommit=True, application_name=f"app-{i}", options="-c statement_timeout=120s"
        ) as conn:
            select = f"SELECT balance FROM {table} WHERE id = %s"
            update = f"UPDATE {table} SET balance = balance + 1 WHERE id = %s"
            conn.execute(select, (1,)).fetchone()  # warm: plan cache, catalog cache
            ready.release()
            released = True
            go.wait()
            while not stop.is_set():
                key = rng.randint(1, rows)
                kind = "update" if rng.random() < update_ratio else "select"
                t = time.monotonic()
                ok = True
                try:
                    if kind == "update":
                        conn.execute(update, (key,))
                    else:
                        conn.execute(select, (key,)).fetchone()
                except psycopg.Error as exc:
                    ok = False
                    first_error = first_error or f"{type(exc).__name__}: {exc}".strip()
                local.append((t, time.monotonic(), ok, kind))
                if think:
                    time.sleep(think * rng.random() * 2)
    except Exception as exc:  # a client that cannot run is reported, not silently missing
        first_error = f"client {i} stopped: {type(exc).__name__}: {exc}".strip()
    finally:
        if not released:
            ready.release()
        out.put((local, first_error))


def prepare_table(conn: Any, table: str, rows: int) -> None:
    """The table the app uses, with a CHECK constraint for the drop-constraint scenario."""
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, balance bigint NOT NULL, "
        f"owner text NOT NULL, CONSTRAINT {table}_balance_check CHECK (balance > -1000000000))"
    )
    conn.execute(
        f"INSERT INTO {table} SELECT g, (g * 7919) %% 100000, md5(g::text) "
        f"FROM generate_series(1, %s) g",
        (rows,),
    )
    conn.execute(f"VACUUM ANALYZE {table}")
