"""Helpers for trace tests (types and lookups; the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from pgwarden.trace import TraceResult

Write = Callable[[str, str], Path]
Trace = Callable[..., TraceResult]


def tables(db: Any) -> set[str]:
    """User tables in the test database, as schema.name."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT schemaname || '.' || tablename FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {r[0] for r in rows}


def locks_of(stmt: Any) -> dict[str, str]:
    """Strongest observed mode per relation for one traced statement."""
    out: dict[str, Any] = {}
    for lk in stmt.locks:
        if lk.relation not in out or lk.mode > out[lk.relation]:
            out[lk.relation] = lk.mode
    return {k: v.name for k, v in out.items()}


def held_of(stmt: Any) -> dict[str, str]:
    out: dict[str, Any] = {}
    for lk in stmt.held:
        if lk.relation not in out or lk.mode > out[lk.relation]:
            out[lk.relation] = lk.mode
    return {k: v.name for k, v in out.items()}
