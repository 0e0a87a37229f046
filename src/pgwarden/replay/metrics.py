"""Numbers a person cares about during a migration: stalls, tail latency, errors, lateness."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from pgwarden.replay.load import QuerySample


@dataclass(frozen=True, slots=True)
class Summary:
    strategy: str
    queries: int
    errors: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    window_p99_ms: float  # during the migration window
    window_max_ms: float
    longest_gap_ms: float  # longest stretch with no app query completing
    migration_ok: bool
    attempts: int
    late_ms: float | None  # migration end minus blocker end
    error: str


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]): the smallest value with at least q of the
    values at or below it; 0.0 for no values."""
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def longest_gap(samples: list[QuerySample], start: float, end: float) -> float:
    """Longest interval in [start, end] during which no query completed.

    With every client stuck behind a lock, nothing completes: this is the stall the
    application saw, whichever client was unlucky enough to wait longest.
    """
    if end <= start:
        return 0.0
    ends = sorted(s.end for s in samples if start <= s.end <= end)
    points = [start, *ends, end]
    return max(b - a for a, b in itertools.pairwise(points))


def in_window(samples: list[QuerySample], start: float, end: float) -> list[QuerySample]:
    """Queries that overlapped [start, end] at all (began before its end, ended after its
    start): a query stuck behind the migration's lock wait counts even if it began earlier."""
    return [s for s in samples if s.end >= start and s.start <= end]


def summarise(
    strategy: str,
    samples: list[QuerySample],
    window: tuple[float, float],
    run: tuple[float, float],
    migration_ok: bool,
    attempts: int,
    blocker_end: float | None,
    migration_end: float | None,
    error: str = "",
) -> Summary:
    """The numbers of one run. `window` is the migration (start, end), `run` the measured
    stretch for stalls, both in scenario seconds; lateness is only defined for a migration
    that succeeded after a blocker that ended."""
    lat = [s.latency * 1000 for s in samples]
    win = [s.latency * 1000 for s in in_window(samples, *window)]
    late = None
    if blocker_end is not None and migration_end is not None and migration_ok:
        late = (migration_end - blocker_end) * 1000
    return Summary(
        strategy,
        len(samples),
        sum(1 for s in samples if not s.ok),
        percentile(lat, 0.5),
        percentile(lat, 0.99),
        max(lat, default=0.0),
        percentile(win, 0.99),
        max(win, default=0.0),
        longest_gap(samples, *run) * 1000,
        migration_ok,
        attempts,
        late,
        error,
    )
