"""The traffic that would queue behind the migration: sessions on its tables now, and rates."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pgwarden.inspect.needs import Needs
from pgwarden.inspect.queries import resolve
from pgwarden.inspect.snapshot import Snapshot


@dataclass(frozen=True, slots=True)
class Counters:
    at: float
    scans: int
    writes: int


@dataclass(frozen=True, slots=True)
class TableTraffic:
    """One target table: who touches it now and how busy it has been over the sample.

    Rates come from cumulative statistics, which backends publish at most about once a second
    (PG 15+) or every 500 ms (older): over a short sample they are rough.
    """

    relation: str
    sessions: int  # sessions holding or awaiting a lock on it now
    applications: tuple[tuple[str, int], ...]  # application_name, sessions
    scans_per_s: float | None  # sequential + index scans started
    writes_per_s: float | None  # rows inserted, updated or deleted
    would_queue: str  # "reads and writes", "writes", "" (the migration's mode blocks nothing)


@dataclass(frozen=True, slots=True)
class Traffic:
    tables: tuple[TableTraffic, ...]
    sample: float  # seconds sampled; 0 when not sampled

    @property
    def sessions(self) -> int:
        return sum(t.sessions for t in self.tables)


def read_counters(conn: Any, oids: list[int]) -> dict[int, Counters]:
    if not oids:
        return {}
    rows = conn.execute(
        resolve("table_stats", conn.info.server_version), {"oids": oids}, prepare=False
    ).fetchall()
    return {int(r[0]): Counters(float(r[1]), int(r[2]), int(r[3])) for r in rows}


def measure(
    snap: Snapshot,
    needs: Needs,
    before: dict[int, Counters] | None = None,
    after: dict[int, Counters] | None = None,
    exclude: frozenset[int] = frozenset(),
) -> Traffic:
    """Combine the snapshot's sessions (but `exclude`: backups) with two counter readings."""
    tables = []
    sample = 0.0
    for need in needs.needs:
        rel = snap.relation_named(need.relation)
        if rel is None:
            continue
        apps: Counter[str] = Counter()
        for s in snap.sessions.values():
            if s.pid not in exclude and any(
                lk.oid == rel.oid and lk.locktype == "relation" for lk in s.locks
            ):
                apps[s.application or "(no application_name)"] += 1
        scans = writes = None
        if before and after and rel.oid in before and rel.oid in after:
            b, a = before[rel.oid], after[rel.oid]
            dt = a.at - b.at
            if dt > 0:
                scans, writes = (a.scans - b.scans) / dt, (a.writes - b.writes) / dt
                sample = max(sample, dt)
        queue = "reads and writes" if need.blocks_reads else "writes" if need.blocks_writes else ""
        tables.append(
            TableTraffic(
                need.relation,
                sum(apps.values()),
                tuple(sorted(apps.items(), key=lambda kv: (-kv[1], kv[0]))),
                scans,
                writes,
                queue,
            )
        )
    return Traffic(tuple(tables), sample)


def sample_counters(
    conn: Any, oids: list[int], seconds: float
) -> tuple[dict[int, Counters], dict[int, Counters]]:
    """Read the counters, sleep `seconds`, read them again (separate transactions: autocommit)."""
    before = read_counters(conn, oids)
    time.sleep(seconds)
    return before, read_counters(conn, oids)
