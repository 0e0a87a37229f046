"""Real blockers: a pg_dump read through a throttled pipe, a long read, an idle transaction."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(slots=True)
class Blocker:
    """Holds ACCESS SHARE on the table from `started` until `ended` (scenario seconds)."""

    kind: str
    dsn: str
    table: str
    seconds: float
    t0: float = 0.0
    started: float | None = None
    ended: float | None = None
    pg_dump: Path | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    error: str | None = None

    def start(self, t0: float) -> None:
        self.t0 = t0
        target = {
            "backup": self._backup,
            "long-read": self._long_read,
            "idle-in-transaction": self._idle,
        }[self.kind]
        self._thread = threading.Thread(
            target=self._guard, args=(target,), daemon=True, name=f"blocker-{self.kind}"
        )
        self._thread.start()
        self._ready.wait(timeout=30)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _now(self) -> float:
        return time.monotonic() - self.t0

    def _guard(self, fn: Any) -> None:
        try:
            fn()
        except Exception as exc:  # recorded and shown in the report, never silently lost
            self.error = f"{type(exc).__name__}: {exc}"
            self._ready.set()

    def _backup(self) -> None:
        """pg_dump of the table, its output read slowly so the dump (and its lock) lasts."""
        assert self.pg_dump is not None
        proc = subprocess.Popen(
            [str(self.pg_dump), "--data-only", "-t", self.table, "-d", self.dsn],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PGAPPNAME": "pg_dump"},
        )
        assert proc.stdout is not None
        self.started = self._now()
        self._ready.set()
        deadline = self.started + self.seconds
        while True:
            slow = self._now() < deadline
            chunk = proc.stdout.read(1024 if slow else 1 << 20)
            if not chunk:
                break
            if slow:
                time.sleep(0.02)
        proc.wait()
        self.ended = self._now()

    def _long_read(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, application_name="analyst") as conn:
            conn.execute(f"SELECT count(*) FROM {self.table}").fetchone()
            self.started = self._now()
            self._ready.set()
            conn.execute("SELECT pg_sleep(%s)", (self.seconds,))
            conn.commit()
            self.ended = self._now()

    def _idle(self) -> None:
        import psycopg

        with psycopg.connect(self.dsn, application_name="forgotten-console") as conn:
            conn.execute(f"SELECT 1 FROM {self.table} LIMIT 1").fetchone()
            self.started = self._now()
            self._ready.set()
            time.sleep(self.seconds)
            conn.commit()
            self.ended = self._now()
