"""Helpers for rehearse tests: source databases, fingerprints of their contents, kept copies."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from pgwarden.embedded import Cluster

PASSWORD = "Sup3r-Secret-pw"  # must never appear in any output


@dataclass(frozen=True)
class Prod:
    cluster: Cluster


@dataclass(frozen=True)
class Source:
    cluster: Cluster
    name: str

    @property
    def dsn(self) -> str:
        c = self.cluster
        return f"postgresql://app:{PASSWORD}@{c.host}:{c.port}/{self.name}"

    @property
    def admin_dsn(self) -> str:
        return self.cluster.dsn(self.name)

    def run(self, script: str) -> None:
        """Run SQL as `app` (the owner), as the application's migrations once did."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(script)

    def fingerprint(self) -> dict[str, Any]:
        """Row counts and checksums of every user table, and the schema as pg_dump prints it."""
        out: dict[str, Any] = {}
        with psycopg.connect(self.admin_dsn, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
                "('pg_catalog', 'information_schema', 'pg_toast') ORDER BY 1, 2"
            ).fetchall()
            for schema, name in tables:
                q = sql.SQL(
                    "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                    " FROM {} AS t"
                ).format(sql.Identifier(schema, name))
                out[f"{schema}.{name}"] = conn.execute(q).fetchone()
        dump = subprocess.run(
            [str(self.cluster.bin("pg_dump")), "--schema-only", "-d", self.admin_dsn],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        # pg_dump 18 fences its output with a random \restrict key: not part of the schema.
        out["schema"] = [
            ln for ln in dump.splitlines() if not ln.startswith(("\\restrict", "\\unrestrict"))
        ]
        return out


def write(dir_: Path, files: dict[str, str]) -> Path:
    dir_.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (dir_ / name).write_text(text)
    return dir_


def pgwarden(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pgwarden.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )


def stop_kept(pid: int, directory: str) -> None:
    """Stop a copy left running by --keep (it outlives the process that started it)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGINT)  # fast shutdown
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    shutil.rmtree(directory, ignore_errors=True)


def _alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reap it if it is our child (library-level --keep)
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
