"""Real blockers: a pg_dump read through a paced pipe, a long read, an idle transaction.

`started` and `ended` are the moments the blocker's lock is held and released as the server
sees them, not when its process started or exited: "migration finished N ms after the
backup" is measured from the release of the backup's lock (`ended` is the earliest moment
consistent with the polls that date it, `ended_by` the latest).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SLOW_EVERY = 0.02  # seconds between reads of the dump's output
PACE_MARGIN = 0.97  # read a little slower than the estimate, so the dump never ends early
RELEASE_POLL = 0.001  # seconds between looks at the blocker's transaction once it may end


@dataclass(slots=True)
class Blocker:
    """Holds ACCESS SHARE on the tables from `started` until `ended` (scenario seconds).

    kind: `backup` (a real pg_dump of `tables`), `long-read` (one long analyst query) or
    `idle-in-transaction` (a session that read the table and went idle in its transaction).
    """

    kind: str
    dsn: str
    table: str
    seconds: float
    pg_dump: Path | None = None
    tables: tuple[str, ...] = ()  # pg_dump -t patterns; default: (table,)
    application_name: str = ""
    t0: float = 0.0
    started: float | None = None
    ended: float | None = None
    ended_by: float | None = None  # the release happened in [ended, ended_by]
    pid: int | None = None  # the blocker's backend
    error: str | None = None
    _thread: threading.Thread | None = None
    _ready: threading.Event = field(default_factory=threading.Event)
    _release: threading.Event = field(default_factory=threading.Event)

    def start(self, t0: float | None = None) -> None:
        """Start it and return once its lock is held (or it failed: see `error`)."""
        self.t0 = time.monotonic() if t0 is None else t0
        target: Callable[[], None] = {
            "backup": self._backup,
            "long-read": self._long_read,
            "idle-in-transaction": self._idle,
        }[self.kind]
        self._thread = threading.Thread(
            target=self._guard, args=(target,), daemon=True, name=f"blocker-{self.kind}"
        )
        self._thread.start()
        self._ready.wait(timeout=60)

    def release(self) -> None:
        """End it now instead of after `seconds` (the dump reads the rest of its output)."""
        self._release.set()

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _now(self) -> float:
        return time.monotonic() - self.t0

    def _hold(self, deadline: float) -> bool:
        """Still within the holding time (and not released early)?"""
        return self._now() < deadline and not self._release.is_set()

    def _guard(self, fn: Callable[[], None]) -> None:
        try:
            fn()
        except Exception as exc:  # recorded and shown in the report, never silently lost
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    def _connect(self, app: str) -> Any:
        import psycopg

        return psycopg.connect(self.dsn, autocommit=True, application_name=app)

    def _backup(self) -> None:
        """pg_dump of the tables, its output read slowly so the dump (and its lock) lasts.

        pg_dump takes ACCESS SHARE on every table it dumps before writing a byte and keeps it
        until it disconnects, which it does only after writing all of its output: a reader
        that stops reading holds the lock, as a slow upload or compressor does in production.
        """
        assert self.pg_dump is not None
        app = self.application_name or "pg_dump"
        patterns = [a for t in (self.tables or (self.table,)) for a in ("-t", t)]
        with (
            tempfile.TemporaryFile() as err,
            self._connect("pgwarden-replay/monitor") as mon,
        ):
            expected = sum(_text_size(mon, t) for t in self.tables or (self.table,))
            proc = subprocess.Popen(
                [str(self.pg_dump), "--data-only", *patterns, "-d", self.dsn],
                stdout=subprocess.PIPE,
                stderr=err,
                bufsize=0,
                env={**os.environ, "PGAPPNAME": app},
            )
            assert proc.stdout is not None
            _shrink_pipe(proc.stdout.fileno())
            # pg_dump locks its tables before it writes anything, so the first byte means the
            # lock is held; it holds it in one transaction until the end.
            fd = proc.stdout.fileno()
            if os.read(fd, 1):
                self.started = self._now()
                self.pid = self._dump_pid(mon, app)
                self._ready.set()
                self._paced_read(fd, expected)
                found: list[float] = []
                watcher = threading.Thread(
                    target=self._watch_release, args=(mon, self.pid, found), daemon=True
                )
                watcher.start()
                while os.read(fd, 1 << 20):  # the rest (a few % of the dump at most)
                    pass
                watcher.join(timeout=30)
                # The earliest moment consistent with the polls: "migration done N ms after
                # the backup" is, if anything, overstated.
                self.ended, self.ended_by = found if found else (self._now(), self._now())
            proc.wait()
            if proc.returncode != 0 or self.started is None:
                err.seek(0)
                msg = err.read().decode(errors="replace").strip()
                raise RuntimeError(f"pg_dump exited {proc.returncode}: {msg or 'no output'}")

    def _paced_read(self, fd: int, expected: int) -> None:
        """Read the dump at the pace that ends it at the deadline, or stop at release().

        A backup streams at the speed of its storage or upload, evenly: pacing the reader to
        the table's size keeps the end of the dump free of a burst of work that a reader
        draining everything at the deadline would add right when the migration acts.
        """
        assert self.started is not None
        deadline = self.started + self.seconds
        rate = expected * PACE_MARGIN / max(self.seconds, 1e-3)  # bytes per second
        got = 1
        while self._hold(deadline):
            due = rate * (self._now() - self.started)
            while got < due:  # blocks while pg_dump refills the pipe
                chunk = os.read(fd, min(int(due - got) + 1, 1 << 16))
                if not chunk:
                    return  # the dump ended early: the estimate was high
                got += len(chunk)
            time.sleep(SLOW_EVERY)

    def _dump_pid(self, mon: Any, app: str) -> int | None:
        row = mon.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s "
            "AND datname = current_database() AND backend_type = 'client backend' "
            "ORDER BY backend_start DESC LIMIT 1",
            (app,),
        ).fetchone()
        return int(row[0]) if row else None

    def _watch_release(self, mon: Any, pid: int | None, found: list[float]) -> None:
        """Date the end of the blocker's transaction (for a dump: on its own thread while the
        dump drains).

        The release happened after the last poll that saw the transaction was sent, and
        before the first one that did not returned: `found` gets those two bounds. The poll
        runs every millisecond, so on an idle machine they are a millisecond or two apart;
        on a busy one, as far apart as this thread was kept off the CPU.
        """
        if pid is None:
            return
        deadline = time.monotonic() + 30
        last_seen = self._now()
        while time.monotonic() < deadline:
            sent = self._now()
            row = mon.execute(
                "SELECT xact_start IS NOT NULL FROM pg_stat_activity WHERE pid = %s", (pid,)
            ).fetchone()
            if not row or not row[0]:
                found[:] = [last_seen, self._now()]
                return
            last_seen = sent
            time.sleep(RELEASE_POLL)

    def _long_read(self) -> None:
        """One long analyst query over the table (ACCESS SHARE for the whole statement)."""
        import psycopg

        app = self.application_name or "analyst"
        with self._connect(app) as conn, self._connect("pgwarden-replay/monitor") as mon:
            self.pid = conn.info.backend_pid
            done = threading.Event()
            finished: list[float] = []

            def query() -> None:
                try:
                    conn.execute(
                        f"SELECT count(*), pg_sleep(%s) FROM {self.table}", (self.seconds,)
                    ).fetchone()
                except psycopg.Error as exc:
                    if not self._release.is_set():
                        self.error = f"{type(exc).__name__}: {exc}"
                finally:
                    finished.append(self._now())
                    done.set()

            worker = threading.Thread(target=query, daemon=True, name="analyst-query")
            worker.start()
            # The statement holds the lock from its start; date it by pg_locks.
            while not done.is_set():
                row = mon.execute(
                    "SELECT 1 FROM pg_locks WHERE pid = %s AND locktype = 'relation' "
                    "AND relation = %s::regclass AND granted",
                    (self.pid, self.table),
                ).fetchone()
                if row:
                    self.started = self._now()
                    break
                time.sleep(0.002)
            self._ready.set()
            # Until shortly before the statement ends; an early release cancels it instead
            # (pg_sleep would run on).
            near_end = (self.started or self._now()) + self.seconds - 0.15
            while not done.is_set() and self._now() < near_end:
                if self._release.wait(0.01):
                    mon.execute("SELECT pg_cancel_backend(%s)", (self.pid,))
                    break
            found: list[float] = []
            if not done.is_set():
                self._watch_release(mon, self.pid, found)
            worker.join()
            # Without the polls (it ended before they began), the client's receipt of the
            # result: a little after the release.
            self.ended, self.ended_by = found if found else (finished[0], finished[0])

    def _idle(self) -> None:
        app = self.application_name or "forgotten-console"
        with self._connect(app) as conn:
            self.pid = conn.info.backend_pid
            conn.execute("BEGIN")
            conn.execute(f"SELECT 1 FROM {self.table} LIMIT 1").fetchone()
            self.started = self._now()
            self._ready.set()
            self._release.wait(timeout=self.seconds)
            sent = self._now()  # the locks go while the server commits: between these two
            conn.execute("COMMIT")
            self.ended, self.ended_by = sent, self._now()


def _shrink_pipe(fd: int) -> None:
    """Linux: a one-page pipe, so the dump stalls as soon as the reader slows down."""
    with contextlib.suppress(ImportError, OSError):
        import fcntl

        op = getattr(fcntl, "F_SETPIPE_SZ", None)
        if op is not None:
            fcntl.fcntl(fd, op, 4096)


def _text_size(conn: Any, table: str) -> int:
    """About the size of the table's COPY text: its rows as text (one byte apart per row)."""
    from psycopg import sql

    name = sql.Identifier(*table.split("."))
    query = sql.SQL("SELECT coalesce(sum(octet_length(t::text)), 0) FROM {} t").format(name)
    row = conn.execute(query).fetchone()
    return int(row[0]) if row else 0
