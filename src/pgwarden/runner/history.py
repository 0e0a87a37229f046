"""The history table `pgwarden.migrations`: what ran, when, how often, and how it ended."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pgwarden.db import load_sql

_Q = "pgwarden.runner.queries"
OUTCOMES = ("applied", "failed", "aborted", "running")


@dataclass(frozen=True, slots=True)
class HistoryRow:
    version: str
    name: str
    checksum: str
    started_at: datetime
    finished_at: datetime | None
    duration_ms: int | None
    attempts: int
    outcome: str
    error: str | None
    progress: int = 0
    progress_checksum: str | None = None
    run_id: str | None = None


@dataclass(frozen=True, slots=True)
class Outcome:
    """What to write for one migration."""

    version: str
    name: str
    checksum: str
    started_at: datetime
    duration_ms: int | None
    attempts: int
    outcome: str
    error: str | None = None
    progress: int = 0
    progress_checksum: str | None = None
    run_id: str | None = None


def ensure(conn: Any) -> None:
    """Create schema and table if missing (callers hold the runner lock, so no race)."""
    conn.execute(load_sql(_Q, "history_create.sql"))


def exists(conn: Any) -> bool:
    row = conn.execute(load_sql(_Q, "history_exists.sql")).fetchone()
    return bool(row and row[0])


def read(conn: Any) -> dict[str, HistoryRow]:
    """All rows by version; an empty dict when the table does not exist yet."""
    if not exists(conn):
        return {}
    rows = conn.execute(load_sql(_Q, "history_select.sql")).fetchall()
    return {r[0]: HistoryRow(*r) for r in rows}


def record(conn: Any, out: Outcome) -> None:
    """Upsert one row; inside the migration's transaction it commits (or not) with it."""
    assert out.outcome in OUTCOMES
    conn.execute(
        load_sql(_Q, "history_upsert.sql"),
        {
            "version": out.version,
            "name": out.name,
            "checksum": out.checksum,
            "started_at": out.started_at,
            "duration_ms": out.duration_ms,
            "attempts": out.attempts,
            "outcome": out.outcome,
            "error": out.error,
            "progress": out.progress,
            "progress_checksum": out.progress_checksum,
            "run_id": out.run_id,
        },
        prepare=False,
    )
