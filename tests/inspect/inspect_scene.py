"""Real blockers for the inspection tests: long transactions, idle sessions, queued DDL, pg_dump.

Every session and process a test starts is registered with a `Scene` and ended in its
finalizer, whatever the test's outcome. Every wait is bounded.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg

from pgwarden.embedded import Cluster
from pgwarden.inspect.snapshot import Snapshot, take_snapshot

T = TypeVar("T")
WAIT = 20.0  # seconds any condition may take to appear before a test fails

BIG_ROWS = 200_000


def wait_until(probe: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
    """Poll `probe` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = probe()
        if last:
            return last
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Dump:
    """A real pg_dump whose stdout is read slowly, so it stays in COPY holding its locks."""

    def __init__(
        self,
        cluster: Cluster,
        dbname: str,
        user: str | None = None,
        chunk: int = 4096,
        pause: float = 0.02,
    ) -> None:
        argv = [str(cluster.bin("pg_dump")), "-h", cluster.host, "-p", str(cluster.port)]
        argv += ["-U", user or cluster.user, "--no-sync", dbname]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.read = 0
        self._stop = threading.Event()
        self.paused = threading.Event()  # set: stop reading, so pg_dump blocks on its output
        self._chunk, self._pause = chunk, pause
        self._thread = threading.Thread(target=self._reader, daemon=True)
        self._thread.start()

    def _reader(self) -> None:
        assert self.proc.stdout is not None
        while not self._stop.is_set():
            if self.paused.is_set():
                time.sleep(0.02)
                continue
            data = self.proc.stdout.read1(self._chunk)
            if not data:
                return
            self.read += len(data)
            if self._pause:
                time.sleep(self._pause)

    def unthrottle(self) -> None:
        self._pause = 0.0

    def stop(self) -> None:
        self._stop.set()
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        self._thread.join(timeout=10)
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()


class Scene:
    """Sessions and processes of one test, all ended by `close()`."""

    def __init__(self, cluster: Cluster, dbname: str) -> None:
        self.cluster = cluster
        self.dbname = dbname
        self.dsn = cluster.dsn(dbname)
        self.admin = psycopg.connect(self.dsn, autocommit=True)
        self._conns: list[psycopg.Connection[Any]] = []
        self._threads: list[threading.Thread] = []
        self._pids: list[int] = []
        self._dumps: list[Dump] = []
        self._roles: list[str] = []
        self._stopping = threading.Event()
        self.errors: dict[int, BaseException] = {}

    def role(self, name: str, *grants: str) -> str:
        """A login role (cluster-wide: named per test, dropped by close()) member of `grants`."""
        role = f"{name}_{self.dbname[-8:]}"
        self.admin.execute(f'CREATE ROLE "{role}" LOGIN')
        self._roles.append(role)
        for g in grants:
            self.admin.execute(f'GRANT {g} TO "{role}"')
        self.admin.execute(f'GRANT ALL ON ALL TABLES IN SCHEMA public TO "{role}"')
        return role

    def dsn_as(self, role: str) -> str:
        return self.cluster.dsn(self.dbname).replace(f"user={self.cluster.user}", f"user={role}")

    def connect(
        self, application: str, autocommit: bool = False, user: str | None = None, **kw: Any
    ) -> Any:
        dsn = self.dsn_as(user) if user else self.dsn
        conn = psycopg.connect(dsn, application_name=application, autocommit=autocommit, **kw)
        self._conns.append(conn)
        self._pids.append(conn.info.backend_pid)
        return conn

    def idle_in_transaction(
        self, sql: str, application: str = "forgotten-console", user: str | None = None
    ) -> int:
        """A session that ran `sql` in a transaction and went idle, keeping its locks."""
        conn = self.connect(application, user=user)
        conn.execute(sql)
        return int(conn.info.backend_pid)

    def running(
        self, sql: str, application: str, lock_timeout: str = "60s", user: str | None = None
    ) -> int:
        """Run `sql` in a thread (it may block for long); returns the session's pid at once."""
        conn = self.connect(application, autocommit=True, user=user)
        conn.execute("SELECT set_config('lock_timeout', %s, false)", (lock_timeout,))
        pid = int(conn.info.backend_pid)

        def work() -> None:
            try:
                conn.execute(sql)
            except psycopg.Error as exc:  # cancelled or terminated by the test or its cleanup
                self.errors[pid] = exc

        t = threading.Thread(target=work, daemon=True)
        self._threads.append(t)
        t.start()
        return pid

    def loop(self, sql: str, application: str, pause: float = 0.01) -> int:
        """Run `sql` again and again (autocommit, one statement per round trip) until close()."""
        conn = self.connect(application, autocommit=True)
        pid = int(conn.info.backend_pid)

        def work() -> None:
            try:
                while not self._stopping.is_set():
                    conn.execute(sql)
                    time.sleep(pause)
            except psycopg.Error as exc:
                self.errors[pid] = exc

        t = threading.Thread(target=work, daemon=True)
        self._threads.append(t)
        t.start()
        return pid

    def pg_dump(self, **kw: Any) -> Dump:
        dump = Dump(self.cluster, self.dbname, **kw)
        self._dumps.append(dump)
        return dump

    def snapshot(self, relations: tuple[str, ...] = ()) -> Snapshot:
        return take_snapshot(self.admin, relations)

    def wait_waiting(self, pid: int) -> Snapshot:
        """Until `pid` waits for a lock."""

        def probe() -> Snapshot | None:
            if pid in self.errors:
                raise AssertionError(f"pid {pid} failed instead of waiting: {self.errors[pid]}")
            snap = self.snapshot()
            s = snap.sessions.get(pid)
            return snap if s is not None and s.blocked_by else None

        return wait_until(probe, f"pid {pid} to wait for a lock")

    def wait_until_holding(self, pid: int, relation: str) -> Snapshot:
        """Until `pid` holds a lock on `relation` (a thread's query has really started)."""

        def probe() -> Snapshot | None:
            if pid in self.errors:
                raise AssertionError(f"pid {pid} failed: {self.errors[pid]}")
            snap = self.snapshot((relation,))
            s = snap.sessions.get(pid)
            held = s is not None and any(lk.relation == relation for lk in s.held)
            return snap if held else None

        return wait_until(probe, f"pid {pid} to hold a lock on {relation}")

    def wait_dump_copying(self, table: str) -> int:
        """Until pg_dump runs COPY of `table`; returns its pid."""

        def probe() -> int | None:
            row = self.admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'pg_dump' "
                "AND datname = %s AND query ILIKE %s",
                (self.dbname, f"COPY {table} %"),
            ).fetchone()
            return int(row[0]) if row else None

        return wait_until(probe, f"pg_dump to copy {table}")

    def close(self) -> None:
        self._stopping.set()
        for dump in self._dumps:
            dump.stop()
        if self._pids:
            # Terminate rather than cancel: idle-in-transaction sessions ignore a cancel.
            self.admin.execute(
                "SELECT pg_terminate_backend(p) FROM unnest(%s::int[]) p", (self._pids,)
            )
        for t in self._threads:
            t.join(timeout=10)
        for conn in self._conns:
            conn.close()
        for role in self._roles:
            # The database (and the role's grants in it) is dropped by the `db` fixture after us.
            self.admin.execute(f'REVOKE ALL ON ALL TABLES IN SCHEMA public FROM "{role}"')
            self.admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        self.admin.close()


def make_tables(db: Any, big_rows: int = 0) -> None:
    """`a_done` (dumped before), `b_big` (copied slowly), `orders` and `customers` (targets)."""
    with db.connect(autocommit=True) as conn:
        conn.execute("CREATE TABLE a_done (id int PRIMARY KEY)")
        conn.execute("INSERT INTO a_done SELECT generate_series(1, 100)")
        conn.execute("CREATE TABLE b_big (id int, payload text)")
        if big_rows:
            conn.execute(
                "INSERT INTO b_big SELECT g, repeat('x', 40) FROM generate_series(1, %s) g",
                (big_rows,),
            )
        conn.execute("CREATE TABLE customers (id int PRIMARY KEY, name text)")
        conn.execute("INSERT INTO customers SELECT g, 'c' || g FROM generate_series(1, 100) g")
        conn.execute("CREATE TABLE orders (id int PRIMARY KEY, customer_id int, total numeric)")
        conn.execute("INSERT INTO orders SELECT g, g % 100 + 1, g FROM generate_series(1, 1000) g")
        conn.execute("ANALYZE")
