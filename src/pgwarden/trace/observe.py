"""Observe one statement inside the migration's transaction: pg_locks, relfilenodes, scans."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pgwarden.db import load_sql
from pgwarden.locks.modes import LockMode
from pgwarden.trace.model import RELKINDS, ObservedLock, Relation

_PKG = __package__ or "pgwarden.trace"

LockKey = tuple[int, LockMode]  # (relation oid, mode)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The session's relation locks, the user relations and its pending scan counts."""

    locks: dict[LockKey, bool]  # -> granted
    relations: dict[int, Relation]
    scans: dict[int, int]


def relations(conn: Any) -> dict[int, Relation]:
    rows = conn.execute(load_sql(_PKG, "relations.sql")).fetchall()
    return {
        int(oid): Relation(int(oid), nsp, name, RELKINDS.get(kind, kind), int(node))
        for oid, nsp, name, kind, node in rows
    }


def own_locks(conn: Any) -> dict[LockKey, bool]:
    rows = conn.execute(load_sql(_PKG, "own_locks.sql")).fetchall()
    return {(int(oid), LockMode[mode]): bool(granted) for oid, mode, granted in rows}


def snapshot(conn: Any, *, scans: bool = True) -> Snapshot:
    counts: dict[int, int] = {}
    if scans:
        rows = conn.execute(load_sql(_PKG, "xact_scans.sql")).fetchall()
        counts = {int(relid): int(n) for relid, n in rows}
    return Snapshot(own_locks(conn), relations(conn), counts)


@dataclass(slots=True)
class Names:
    """oid -> relation, remembered across a file: a dropped table keeps its name in reports."""

    known: dict[int, Relation] = field(default_factory=dict)
    existing_at_start: frozenset[int] = frozenset()

    def learn(self, rels: dict[int, Relation]) -> None:
        self.known.update(rels)

    def lock(
        self, oid: int, mode: LockMode, granted: bool, prefer: dict[int, Relation] | None = None
    ) -> ObservedLock | None:
        """None for relations we cannot or should not show (TOAST, transient relations).

        `prefer`: the relations as the statement found them, so a table it renames is shown
        under the name the statement locked it by.
        """
        rel = (prefer or {}).get(oid) or self.known.get(oid)
        if rel is None or rel.internal:
            return None
        return ObservedLock(
            rel.qualified, mode, rel.relkind, granted, oid not in self.existing_at_start
        )

    def locks(
        self, keys: Iterable[tuple[LockKey, bool]], prefer: dict[int, Relation] | None = None
    ) -> tuple[ObservedLock, ...]:
        out = [self.lock(oid, mode, granted, prefer) for (oid, mode), granted in keys]
        return tuple(sorted((lk for lk in out if lk), key=lambda lk: (lk.relation, -lk.mode)))


@dataclass(frozen=True, slots=True)
class Observation:
    """The raw facts of one executed statement (before naming and comparison)."""

    new: dict[LockKey, bool]
    before: dict[LockKey, bool]  # everything the session held when the statement started
    rewrites: tuple[Relation, ...]
    index_rebuilds: tuple[Relation, ...]
    scans: tuple[Relation, ...]
    duration_ms: float
    rows: int | None
    problem: str = ""  # e.g. the sampling session failed: the locks may be incomplete


def changed_storage(before: dict[int, Relation], after: dict[int, Relation]) -> list[Relation]:
    """Relations whose storage changed: rewritten tables and rebuilt indexes.

    Same oid, new relfilenode: a rewrite (or TRUNCATE, REINDEX). An index can also be rebuilt
    as a new relation under its old name (ALTER COLUMN TYPE drops and recreates the indexes on
    the column), so indexes are matched by name too.
    """
    by_name = {r.qualified: r for r in after.values() if r.relkind == "index"}
    out = []
    for oid, old in before.items():
        if old.filenode == 0 or old.internal:
            continue
        new = after.get(oid)
        if new is None and old.relkind == "index":
            new = by_name.get(old.qualified)
            if new is not None and new.oid != oid and new.oid not in before:
                out.append(new)
            continue
        if new is not None and new.filenode not in (0, old.filenode):
            out.append(new)
    return sorted(out, key=lambda r: r.qualified)


def diff(before: Snapshot, after: Snapshot, duration_ms: float, rows: int | None) -> Observation:
    new = {k: g for k, g in after.locks.items() if k not in before.locks}
    changed = changed_storage(before.relations, after.relations)
    scanned = [
        after.relations[oid]
        for oid, n in after.scans.items()
        if n > before.scans.get(oid, 0) and oid in after.relations
    ]
    return Observation(
        new,
        dict(before.locks),
        tuple(r for r in changed if r.relkind in ("table", "matview")),
        tuple(r for r in changed if r.relkind == "index"),
        tuple(sorted(scanned, key=lambda r: r.qualified)),
        duration_ms,
        rows,
    )


def copy_direction(node: Any) -> str | None:
    """ "to"/"from" for COPY to the client or from the client (psql's stdin/stdout), else None."""
    if type(node).__name__ != "CopyStmt" or getattr(node, "filename", None) is not None:
        return None
    if getattr(node, "is_program", False):
        return None
    return "from" if node.is_from else "to"


def execute(conn: Any, sql: str, copy: str | None = None) -> tuple[float, int | None]:
    """Run one statement; (duration in ms, rows affected or None).

    COPY with the client end goes through the copy protocol: output is read and discarded,
    input is empty (a migration file cannot carry psql's inline data here).
    """
    start = time.perf_counter()
    cur = conn.cursor()
    if copy is None:
        cur.execute(sql)
    else:
        with cur.copy(sql) as cp:
            if copy == "to":
                for _ in cp:
                    pass
    duration_ms = (time.perf_counter() - start) * 1000
    return duration_ms, (cur.rowcount if cur.rowcount >= 0 else None)


def run_observed(
    conn: Any, sql: str, before: Snapshot, copy: str | None = None
) -> tuple[Observation, Snapshot]:
    """Run `sql` in the session's open transaction and observe it; returns the next `before`."""
    duration_ms, rows = execute(conn, sql, copy)
    after = snapshot(conn)
    return diff(before, after, duration_ms, rows), after
