"""Closed-loop application load: N clients doing point SELECTs and UPDATEs, every query timed."""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any


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
    """Client threads hammering one table; each query's start/end is recorded."""

    dsn: str
    table: str
    rows: int
    clients: int = 8
    think: float = 0.002
    update_ratio: float = 0.3
    t0: float = 0.0
    samples: list[QuerySample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, t0: float) -> None:
        self.t0 = t0
        for i in range(self.clients):
            th = threading.Thread(target=self._client, args=(i,), daemon=True, name=f"app-{i}")
            th.start()
            self._threads.append(th)

    def stop(self) -> None:
        self._stop.set()
        for th in self._threads:
            th.join(timeout=30)

    def _client(self, i: int) -> None:
        import psycopg

        rng = random.Random(i)
        # A generous statement_timeout keeps a stuck client from hanging the benchmark forever.
        with psycopg.connect(
            self.dsn,
            autocommit=True,
            application_name=f"app-{i}",
            options="-c statement_timeout=120s",
        ) as conn:
            local: list[QuerySample] = []
            while not self._stop.is_set():
                key = rng.randint(1, self.rows)
                kind = "update" if rng.random() < self.update_ratio else "select"
                t = time.monotonic()
                ok = True
                try:
                    if kind == "update":
                        conn.execute(
                            f"UPDATE {self.table} SET balance = balance + 1 WHERE id = %s", (key,)
                        )
                    else:
                        conn.execute(
                            f"SELECT balance FROM {self.table} WHERE id = %s", (key,)
                        ).fetchone()
                except psycopg.Error:
                    ok = False
                end = time.monotonic()
                local.append(QuerySample(t - self.t0, end - self.t0, ok, kind))
                if self.think:
                    time.sleep(self.think * rng.random() * 2)
            with self._lock:
                self.samples.extend(local)


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
