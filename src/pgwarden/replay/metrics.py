"""Numbers a person cares about during a migration: stalls, tail latency, errors, lateness."""

from __future__ import annotations

import itertools
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


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * (len(s) - 1) + 0.5))]


def longest_gap(samples: list[QuerySample], start: float, end: float) -> float:
    """Longest interval in [start, end] during which no query completed."""
    ends = sorted(s.end for s in samples if start <= s.end <= end)
    points = [start, *ends, end]
    return max((b - a for a, b in itertools.pairwise(points)), default=0.0)


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
    lat = [s.latency * 1000 for s in samples]
    # A query is "in the window" if it overlapped the migration at all.
    win = [s.latency * 1000 for s in samples if s.end >= window[0] and s.start <= window[1]]
    late = None
    if blocker_end is not None and migration_end is not None and migration_ok:
        late = (migration_end - blocker_end) * 1000
    return Summary(
        strategy,
        len(samples),
        sum(1 for s in samples if not s.ok),
        _pct(lat, 0.5),
        _pct(lat, 0.99),
        max(lat, default=0.0),
        _pct(win, 0.99),
        max(win, default=0.0),
        longest_gap(samples, *run) * 1000,
        migration_ok,
        attempts,
        late,
        error,
    )
