"""Scale what a statement took on the copy to the source's table sizes, and check the budget.

A statement that scanned or rewrote tables is assumed to grow linearly with them: its measured
time times (source rows / copy rows) of the largest such ratio among those tables; for a
rewrite, the ratio of table sizes (pages) is preferred, as a rewrite copies pages. Statements
that touch no rows (metadata-only DDL) keep their measured time. The copy runs with fsync off
and a warm cache, so treat the figure as an order of magnitude, not a promise.

A lock window is a run of consecutive statements during which an existing table stays locked
in a mode that blocks writes (SHARE or stronger): the lock is held until the transaction ends,
so the window's length is the sum of its statements' production estimates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pgwarden.locks.modes import LockMode, is_dangerous
from pgwarden.rehearse.model import Estimate, LockWindow, TableStats
from pgwarden.trace.model import FileTrace, ObservedLock, StatementTrace

_TABLE_KINDS = ("table", "partitioned", "matview")


def _ratio(source: float | None, copy: float | None) -> float | None:
    if source is None or copy is None:
        return None
    if copy <= 0:
        return 1.0 if source <= 0 else None
    return max(source / copy, 1.0)  # the copy never holds more than the source


def table_factor(
    name: str, rewrite: bool, source: dict[str, TableStats], copy: dict[str, TableStats]
) -> tuple[float | None, str]:
    """How much bigger `name` is on the source than in the copy, and the figures behind it."""
    s, c = source.get(name), copy.get(name)
    if s is None or c is None:
        return 1.0, f"{name}: not on the source (created by the migrations)"
    by_rows = _ratio(s.rows, c.rows)
    by_size = _ratio(s.size_bytes, c.size_bytes)
    if rewrite and by_size is not None and c.size_bytes > 0:
        return by_size, f"{name} rewritten: {_size(s.size_bytes)} on the source, " + (
            f"{_size(c.size_bytes)} in the copy"
        )
    factor = by_rows if by_rows is not None else by_size
    if factor is None:
        return None, f"{name}: no rows in the copy to measure"
    rows = "?" if s.rows is None else f"{s.rows:,}"
    return factor, f"{name}: {rows} rows on the source, {c.rows or 0:,} in the copy"


def estimate(
    st: StatementTrace, source: dict[str, TableStats], copy: dict[str, TableStats]
) -> Estimate:
    touched = [(t, True) for t in st.rewrites] + [(t, False) for t in st.scans]
    if not touched:
        return Estimate(
            st.path, st.line, st.column, st.duration_ms, st.duration_ms, 1.0, "touches no rows"
        )
    scaled = [table_factor(name, rewrite, source, copy) for name, rewrite in touched]
    for factor, why in scaled:
        if factor is None:
            return Estimate(st.path, st.line, st.column, st.duration_ms, None, None, why)
    factor, why = max(scaled, key=lambda fw: fw[0] or 0.0)
    assert factor is not None
    return Estimate(
        st.path,
        st.line,
        st.column,
        st.duration_ms,
        round(st.duration_ms * factor, 3),
        round(factor, 3),
        why,
    )


def estimates(
    files: Iterable[FileTrace], source: Sequence[TableStats], copy: Sequence[TableStats]
) -> list[Estimate]:
    src = {t.qualified: t for t in source}
    cp = {t.qualified: t for t in copy}
    return [estimate(st, src, cp) for f in files for st in f.statements]


def _blocking(locks: Iterable[ObservedLock]) -> dict[str, LockMode]:
    """Existing tables locked against writes, with the strongest such mode."""
    out: dict[str, LockMode] = {}
    for lk in locks:
        if lk.new or lk.relkind not in _TABLE_KINDS or not is_dangerous(lk.mode):
            continue
        out[lk.relation] = max(out.get(lk.relation, lk.mode), lk.mode)
    return out


def lock_windows(
    files: Iterable[FileTrace], found: Sequence[Estimate], budget_ms: float
) -> list[LockWindow]:
    by_pos = {(e.path, e.line, e.column): e for e in found}
    windows: list[LockWindow] = []
    for f in files:
        open_: dict[str, tuple[LockMode, int, int, float | None]] = {}
        for st in f.statements:
            e = by_pos.get((st.path, st.line, st.column))
            ms = e.production_ms if e is not None else st.duration_ms
            now = _blocking((*st.locks, *st.held))
            for rel in [r for r in open_ if r not in now]:
                windows.append(_window(rel, open_.pop(rel), f.path, budget_ms))
            for rel, mode in now.items():
                prev = open_.get(rel)
                if prev is None:
                    open_[rel] = (mode, st.line, st.line, ms)
                else:
                    total = None if prev[3] is None or ms is None else prev[3] + ms
                    open_[rel] = (max(prev[0], mode), prev[1], st.line, total)
        for rel, w in open_.items():
            windows.append(_window(rel, w, f.path, budget_ms))
    return windows


def _window(
    rel: str, w: tuple[LockMode, int, int, float | None], path: str, budget_ms: float
) -> LockWindow:
    mode, first, last, ms = w
    over = ms is not None and ms > budget_ms
    return LockWindow(rel, mode.name, path, first, last, None if ms is None else round(ms, 3), over)


def _size(n: float) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.0f} TB"
