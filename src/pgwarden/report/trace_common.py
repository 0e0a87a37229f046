"""Shared by the trace formatters: locks grouped per relation, short SQL, summary counts."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.locks.modes import LockMode, blocks
from pgwarden.trace.model import ObservedLock, StatementTrace, TraceResult

TRANSACTION_LABEL = {
    "file": "one transaction",
    "as-written": "transactions as written",
    "shared": "inside trace's rolled-back transaction",
}


@dataclass(frozen=True, slots=True)
class RelationLocks:
    """All modes one statement took on one relation; the strongest decides what it blocks."""

    relation: str
    relkind: str
    strongest: LockMode
    weaker: tuple[LockMode, ...]
    new: bool
    granted: bool

    @property
    def blocks(self) -> str:
        if self.new:
            return "new relation: nobody else uses it yet"
        return blocks(self.strongest).summary


def grouped(locks: tuple[ObservedLock, ...]) -> list[RelationLocks]:
    """One entry per relation, tables before indexes, strongest lock first."""
    by_rel: dict[str, list[ObservedLock]] = {}
    for lk in locks:
        by_rel.setdefault(lk.relation, []).append(lk)
    out = []
    for rel, lks in by_rel.items():
        modes = sorted({lk.mode for lk in lks}, reverse=True)
        out.append(
            RelationLocks(
                rel,
                lks[0].relkind,
                modes[0],
                tuple(modes[1:]),
                all(lk.new for lk in lks),
                all(lk.granted for lk in lks),
            )
        )
    return sorted(out, key=lambda g: (g.relkind == "index", -g.strongest, g.relation))


def short_sql(sql: str, lines: int = 4, width: int = 160) -> str:
    rows = sql.strip().splitlines() or [""]
    cut = [r if len(r) <= width else r[: width - 1] + "…" for r in rows[:lines]]
    if len(rows) > lines:
        cut.append("…")
    return "\n".join(cut)


def duration(ms: float) -> str:
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms:.1f} ms"


def compare_counts(result: TraceResult) -> dict[str, int]:
    counts = {"agree": 0, "disagree": 0, "unconfirmed": 0}
    for s in result.statements():
        if s.comparison is not None:
            counts[s.comparison.status] += 1
    return counts


def statement_ref(s: StatementTrace) -> str:
    return f"{s.path}:{s.line}:{s.column}"


def predicted_summary(s: StatementTrace) -> str:
    """Lint's prediction in one line: the strongest mode per relation that existed before,
    `ShareLock on public.orders, AccessExclusiveLock on public.orders_a_idx`, or `no locks`."""
    p = s.predicted
    strongest: dict[str, LockMode] = {}
    for lk in p.locks if p is not None else ():
        if lk.new:
            continue
        mode = LockMode[lk.mode]
        if lk.relation not in strongest or mode > strongest[lk.relation]:
            strongest[lk.relation] = mode
    parts = [f"{m.name} on {rel}" for rel, m in strongest.items()]
    return ", ".join(parts) if parts else "no locks on existing relations"
