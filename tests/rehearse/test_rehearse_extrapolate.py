"""Scaling measured durations to the source's sizes, and lock windows against the budget."""

from __future__ import annotations

from pgwarden.locks.modes import LockMode
from pgwarden.rehearse.extrapolate import estimates, lock_windows
from pgwarden.rehearse.model import TableStats
from pgwarden.trace.model import FileTrace, ObservedLock, StatementTrace


def _stats(name: str, rows: int, size: int) -> TableStats:
    return TableStats(1, "public", name, float(rows), size // 8192, size, ("id",), rows)


def _st(
    line: int,
    ms: float,
    *,
    locks: tuple[ObservedLock, ...] = (),
    held: tuple[ObservedLock, ...] = (),
    rewrites: tuple[str, ...] = (),
    scans: tuple[str, ...] = (),
    path: str = "m.sql",
) -> StatementTrace:
    return StatementTrace(
        path, line, 1, line, "SELECT", "X", locks, held, rewrites, (), scans, ms, None,
        False, True, True,
    )  # fmt: skip


AEL = ObservedLock("public.big", LockMode.AccessExclusiveLock, "table")
RX = ObservedLock("public.big", LockMode.RowExclusiveLock, "table")
SOURCE = [_stats("big", 1_000_000, 800_000_000)]
COPY = [_stats("big", 10_000, 8_000_000)]


def test_scans_scale_by_rows_rewrites_by_size_metadata_not_at_all() -> None:
    f = FileTrace(
        "m.sql",
        "file",
        (
            _st(1, 2.0, locks=(AEL,)),  # metadata only
            _st(2, 10.0, held=(AEL,), scans=("public.big",)),
            _st(3, 10.0, held=(AEL,), rewrites=("public.big",), scans=("public.big",)),
            _st(4, 1.0, scans=("public.new_table",)),
        ),
    )
    found = estimates([f], SOURCE, COPY)
    assert [e.production_ms for e in found] == [2.0, 1000.0, 1000.0, 1.0]
    assert [e.factor for e in found] == [1.0, 100.0, 100.0, 1.0]
    assert "rewritten" in found[2].basis
    assert "created by the migrations" in found[3].basis


def test_empty_copy_cannot_be_scaled() -> None:
    f = FileTrace("m.sql", "file", (_st(1, 3.0, scans=("public.big",)),))
    (e,) = estimates([f], SOURCE, [_stats("big", 0, 0)])
    assert e.production_ms is None and "no rows in the copy" in e.basis


def test_a_window_lasts_while_the_lock_is_held() -> None:
    f = FileTrace(
        "m.sql",
        "file",
        (
            _st(1, 1.0, locks=(AEL,)),
            _st(2, 10.0, held=(AEL,), scans=("public.big",)),  # 1000 ms in production
            _st(3, 1.0, held=(AEL,)),
        ),
    )
    later = FileTrace(
        "n.sql", "file", (_st(1, 10.0, locks=(RX,), scans=("public.big",), path="n.sql"),)
    )
    found = estimates([f, later], SOURCE, COPY)
    (w,) = lock_windows([f, later], found, budget_ms=1000)
    assert (w.relation, w.mode, w.first_line, w.last_line) == (
        "public.big",
        "AccessExclusiveLock",
        1,
        3,
    )
    assert w.production_ms == 1002.0 and w.over_budget
    (w,) = lock_windows([f], found, budget_ms=2000)
    assert not w.over_budget


def test_new_tables_and_weak_locks_open_no_window() -> None:
    new = ObservedLock("public.fresh", LockMode.AccessExclusiveLock, "table", new=True)
    f = FileTrace("m.sql", "file", (_st(1, 5000.0, locks=(new, RX)),))
    assert lock_windows([f], estimates([f], SOURCE, COPY), budget_ms=1) == []
