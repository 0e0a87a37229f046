"""Replay metrics on synthetic samples: stalls, percentiles, the migration window, lateness."""

from __future__ import annotations

import pytest

from pgwarden.replay.load import QuerySample
from pgwarden.replay.metrics import in_window, longest_gap, percentile, summarise


def q(start: float, end: float, ok: bool = True) -> QuerySample:
    return QuerySample(start, end, ok, "select")


def test_longest_gap_is_the_longest_silence_between_completions() -> None:
    samples = [q(0.9, 1.0), q(1.0, 1.1), q(1.2, 3.0), q(3.0, 3.05)]
    # Completions at 1.0, 1.1, 3.0, 3.05 inside [0.5, 4.0]: the silence 1.1 -> 3.0 is longest.
    assert longest_gap(samples, 0.5, 4.0) == pytest.approx(1.9)


def test_longest_gap_counts_the_edges_of_the_window() -> None:
    samples = [q(0.0, 1.0), q(1.0, 1.2)]
    # Nothing completes after 1.2 until the end of the window at 5.0.
    assert longest_gap(samples, 0.5, 5.0) == pytest.approx(3.8)
    # Nothing at all completes: the whole window is one stall.
    assert longest_gap([], 2.0, 3.5) == pytest.approx(1.5)
    assert longest_gap(samples, 3.0, 3.0) == 0.0


def test_longest_gap_ignores_completions_outside_the_window() -> None:
    samples = [q(0.0, 0.1), q(9.0, 9.5), q(1.0, 2.0)]
    assert longest_gap(samples, 1.5, 3.0) == pytest.approx(1.0)  # 2.0 -> 3.0


def test_longest_gap_sees_a_stall_that_one_slow_query_hides_from_the_max() -> None:
    """Eight clients stuck behind one queued ALTER: nobody completes for two seconds."""
    before = [q(i * 0.01, i * 0.01 + 0.001) for i in range(100)]  # up to 1.0 s
    stuck = [q(1.0 + i * 0.001, 3.0 + i * 0.0001) for i in range(8)]
    after = [q(3.01 + i * 0.01, 3.011 + i * 0.01) for i in range(50)]
    assert longest_gap(before + stuck + after, 0.5, 3.5) == pytest.approx(2.0, abs=0.01)


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert percentile(values, 0.5) == 50.0
    assert percentile(values, 0.99) == 99.0
    assert percentile(values, 1.0) == 100.0
    assert percentile(values, 0.0) == 1.0
    assert percentile([7.0], 0.99) == 7.0
    assert percentile([], 0.5) == 0.0
    # 1000 fast queries and 5 stalled ones: the stall is beyond p99 but it is the max.
    tail = [1.0] * 1000 + [2000.0] * 5
    assert percentile(tail, 0.99) == 1.0
    assert percentile(tail, 0.999) == 2000.0


def test_window_keeps_every_query_that_overlapped_the_migration() -> None:
    inside = q(3.2, 3.3)
    queued_before = q(2.5, 3.1)  # began before the migration, ended during it
    still_running = q(3.9, 4.5)  # began during, ended after
    spans_all = q(2.0, 5.0)
    before = q(1.0, 2.9)
    after = q(4.1, 4.2)
    got = in_window([inside, queued_before, still_running, spans_all, before, after], 3.0, 4.0)
    assert got == [inside, queued_before, still_running, spans_all]


def test_summary_of_a_run() -> None:
    samples = [q(0.1 * i, 0.1 * i + 0.001) for i in range(1, 30)]  # 1 ms queries to 2.9 s
    samples += [q(3.0, 5.0), q(5.0, 5.002, ok=False), q(5.1, 5.101)]
    s = summarise(
        "naive",
        samples,
        window=(3.0, 5.0),
        run=(0.5, 5.5),
        migration_ok=True,
        attempts=1,
        blocker_end=4.99,
        migration_end=5.0,
    )
    assert s.queries == 32 and s.errors == 1
    assert s.max_ms == pytest.approx(2000.0)
    assert s.window_max_ms == pytest.approx(2000.0)  # the stalled query overlapped the window
    assert s.p50_ms == pytest.approx(1.0)
    assert s.longest_gap_ms == pytest.approx(2099.0, abs=0.5)  # 2.901 -> 5.0
    assert s.late_ms == pytest.approx(10.0)


def test_lateness_only_for_a_migration_that_succeeded() -> None:
    s = summarise("timeout10", [q(1.0, 1.001)], (3.0, 13.0), (0.5, 14.0), False, 1, 11.0, 13.0)
    assert s.late_ms is None
    s = summarise("x", [q(1.0, 1.001)], (3.0, 4.0), (0.5, 5.0), True, 1, None, 4.0)
    assert s.late_ms is None  # the blocker never ended: nothing to be late after
