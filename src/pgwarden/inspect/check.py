"""`check` as a library: one inspection pass (or passes until GO) for a migration's needs."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pgwarden.inspect.backups import Backup, compile_patterns, find_backups
from pgwarden.inspect.needs import Needs
from pgwarden.inspect.snapshot import Snapshot, take_snapshot
from pgwarden.inspect.traffic import Traffic, measure, sample_counters
from pgwarden.inspect.verdict import Decision, Thresholds, Verdict, decide


@dataclass(frozen=True, slots=True)
class CheckOptions:
    thresholds: Thresholds = field(default_factory=Thresholds)
    sample: float = 1.0  # seconds between the two reads of the table counters; 0: no rates
    patterns: tuple[re.Pattern[str], ...] = field(default_factory=compile_patterns)


@dataclass(frozen=True, slots=True)
class CheckReport:
    needs: Needs
    snapshot: Snapshot
    backups: tuple[Backup, ...]
    traffic: Traffic
    decision: Decision
    pass_ms: float  # time of the inspection query and the analysis (the sample excluded)

    @property
    def verdict(self) -> Verdict:
        return self.decision.verdict


def check_once(conn: Any, needs: Needs, options: CheckOptions | None = None) -> CheckReport:
    """Snapshot, classify, decide; then sample table counters for traffic rates."""
    opts = options or CheckOptions()
    t0 = time.perf_counter()
    snap = take_snapshot(conn, needs.relations)
    backups = find_backups(snap, opts.patterns, needs.relations)
    decision = decide(snap, needs, backups, opts.thresholds)
    pass_ms = (time.perf_counter() - t0) * 1000
    oids = [r.oid for r in snap.relations.values() if r.target]
    before = after = None
    if opts.sample > 0 and oids:
        before, after = sample_counters(conn, oids, opts.sample)
    traffic = measure(snap, needs, before, after, frozenset(b.pid for b in backups))
    return CheckReport(needs, snap, backups, traffic, decision, pass_ms)


def wait_for_go(
    conn: Any,
    needs: Needs,
    options: CheckOptions,
    *,
    max_wait: float,
    interval: float = 2.0,
    on_pass: Callable[[CheckReport, float], None] | None = None,
) -> tuple[CheckReport, bool]:
    """Check repeatedly until GO or `max_wait` seconds; returns the last report and timed_out."""
    start = time.monotonic()
    while True:
        report = check_once(conn, needs, options)
        waited = time.monotonic() - start
        if on_pass is not None:
            on_pass(report, waited)
        if report.verdict is Verdict.GO:
            return report, False
        if waited >= max_wait:
            return report, True
        time.sleep(max(0.0, min(interval - options.sample, max_wait - waited)))
