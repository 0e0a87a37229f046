"""GO / WAIT / NO-GO: what the live database means for a migration that needs given locks."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.inspect import findings
from pgwarden.inspect.backups import Backup
from pgwarden.inspect.conflicts import Conflict, conflict_reason, find_conflicts
from pgwarden.inspect.needs import Needs
from pgwarden.inspect.reasons import RANK, Reason, Thresholds, Verdict
from pgwarden.inspect.snapshot import Snapshot

__all__ = ["Conflict", "Decision", "Reason", "Thresholds", "Verdict", "decide"]


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    reasons: tuple[Reason, ...]  # NO-GO first, then WAIT, then notes
    conflicts: tuple[Conflict, ...]
    expected_wait: float | None  # the longest known ETA among WAIT reasons
    wait_known: bool  # every WAIT reason had an ETA

    @property
    def exit_code(self) -> int:
        return self.verdict.exit_code

    @property
    def blocking(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.verdict is not Verdict.GO)

    @property
    def notes(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if r.verdict is Verdict.GO)


def decide(snap: Snapshot, needs: Needs, backups: tuple[Backup, ...], th: Thresholds) -> Decision:
    """The verdict and every reason for it."""
    conflicts = find_conflicts(snap, needs, th, backups)
    reasons: list[Reason] = []
    conflicting_pids = {c.session.pid for c in conflicts}
    for c in conflicts:
        r = conflict_reason(c, th)
        if r is not None:
            reasons.append(r)
    for b in backups:
        reasons.append(findings.backup_reason(b, needs, b.pid in conflicting_pids))
    reasons.extend(findings.lock_queues(snap, needs))
    reasons.extend(findings.prepared(snap, needs, th))
    reasons.extend(findings.snapshot_holders(snap, needs, th, conflicting_pids, backups))
    if not needs.waits_for_snapshots:  # else snapshot_holders already named them
        skip = conflicting_pids | {b.pid for b in backups}
        reasons.extend(findings.other_long_sessions(snap, th, skip))
    reasons.extend(findings.slots(snap, needs, th))
    reasons.extend(findings.relations(snap, needs))
    reasons.sort(key=lambda r: RANK[r.verdict])
    verdict = Verdict.GO
    if any(r.verdict is Verdict.NO_GO for r in reasons):
        verdict = Verdict.NO_GO
    elif any(r.verdict is Verdict.WAIT for r in reasons):
        verdict = Verdict.WAIT
    waits = [r for r in reasons if r.verdict is Verdict.WAIT]
    etas = [r.eta for r in waits if r.eta is not None]
    return Decision(
        verdict,
        tuple(reasons),
        conflicts,
        max(etas) if etas else None,
        bool(waits) and len(etas) == len(waits),
    )
