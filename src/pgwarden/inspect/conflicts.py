"""Sessions whose locks conflict with what the migration needs, and what each one means."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.inspect.backups import Backup
from pgwarden.inspect.cancel import command
from pgwarden.inspect.needs import Need, Needs
from pgwarden.inspect.reasons import RANK, Reason, Thresholds, Verdict, lock_text, who
from pgwarden.inspect.snapshot import Lock, Session, Snapshot
from pgwarden.inspect.units import format_duration as fd


@dataclass(frozen=True, slots=True)
class Conflict:
    """A session holding (or queued for) a lock that conflicts with a mode the migration needs."""

    session: Session
    lock: Lock
    need: Need
    kind: str  # backup, autovacuum, wraparound, idle-in-transaction, long, running, queued,
    #            hidden, traffic
    verdict: Verdict


def _classify(
    s: Session, lk: Lock, th: Thresholds, backups: dict[int, Backup]
) -> tuple[str, Verdict]:
    if s.pid in backups:
        return "backup", Verdict.WAIT
    query = s.query or ""
    if s.backend_type == "autovacuum worker" or query.startswith("autovacuum:"):
        if "to prevent wraparound" in query:
            return "wraparound", Verdict.NO_GO
        return "autovacuum", Verdict.GO
    if not lk.granted:
        return "queued", Verdict.WAIT
    if not s.visible or s.age is None:
        return "hidden", Verdict.WAIT
    if s.idle_in_transaction:
        idle = s.state_age if s.state_age is not None else s.age
        if idle >= th.idle_in_tx:
            return "idle-in-transaction", Verdict.NO_GO
        return ("running", Verdict.WAIT) if s.age >= th.traffic_age else ("traffic", Verdict.GO)
    if s.age >= th.long_query:
        return "long", Verdict.NO_GO
    if s.age >= th.traffic_age:
        return "running", Verdict.WAIT
    return "traffic", Verdict.GO


def find_conflicts(
    snap: Snapshot, needs: Needs, th: Thresholds, backups: tuple[Backup, ...] = ()
) -> tuple[Conflict, ...]:
    """Sessions whose locks on the migration's relations conflict with what it needs."""
    by_pid = {b.pid: b for b in backups}
    out = []
    for s in snap.sessions.values():
        best: tuple[Lock, Need] | None = None
        for lk in s.locks:
            need = needs.need(lk.relation) if lk.locktype == "relation" else None
            mode = lk.lock_mode
            if need is None or mode is None or not need.conflicts_with(mode):
                continue
            if best is None or need.mode > best[1].mode or (lk.granted and not best[0].granted):
                best = (lk, need)
        if best is not None:
            kind, verdict = _classify(s, best[0], th, by_pid)
            out.append(Conflict(s, best[0], best[1], kind, verdict))
    return tuple(sorted(out, key=lambda c: (RANK[c.verdict], -(c.session.age or 0), c.session.pid)))


def conflict_reason(c: Conflict, th: Thresholds) -> Reason | None:
    s, lk, rel = c.session, c.lock, c.lock.relation
    head = f"{who(s)} {lock_text(lk)}, which conflicts with {c.need.mode.sql_name}"
    age = f"transaction {fd(s.xact_age)}, query {fd(s.query_age)}"
    if c.kind == "backup" or c.kind == "traffic":
        return None  # backups get their own reason; traffic is reported as traffic
    if c.kind == "autovacuum":
        return Reason(
            Verdict.GO,
            "autovacuum",
            f"{who(s)} is vacuuming {rel}; it yields: Postgres cancels it once the migration "
            "has waited deadlock_timeout",
            s.pid,
            rel,
        )
    if c.kind == "wraparound":
        return Reason(
            Verdict.NO_GO,
            "wraparound-vacuum",
            f"autovacuum {who(s)} is vacuuming {rel} to prevent wraparound: it is not "
            "cancelled for DDL, and the migration would queue behind it "
            f"(running {fd(s.query_age)})",
            s.pid,
            rel,
            action="wait for it to finish (pg_stat_progress_vacuum shows its progress)",
        )
    if c.kind == "queued":
        return None  # reported once per relation as a lock queue
    if c.kind == "hidden":
        return Reason(
            Verdict.WAIT,
            "hidden-session",
            f"{head}; its state and age are hidden from this role",
            s.pid,
            rel,
            action="grant pg_read_all_stats (or pg_monitor) to see it",
        )
    if c.kind == "idle-in-transaction":
        return Reason(
            Verdict.NO_GO,
            "idle-in-transaction",
            f"{head}; idle in transaction for {fd(s.state_age)} ({age}): it keeps the lock until "
            "its application commits or rolls back",
            s.pid,
            rel,
            action=f"find its owner, or `{command(s.pid, terminate=True, superuser=s.superuser)}`"
            " (a cancel does "
            "nothing to an idle transaction)",
        )
    if c.kind == "long":
        return Reason(
            Verdict.NO_GO,
            "long-transaction",
            f"{head}; running for {fd(s.age)} ({age}), over the {fd(th.long_query)} threshold",
            s.pid,
            rel,
            action=f"wait for it, or `{command(s.pid, superuser=s.superuser)}`",
        )
    return Reason(
        Verdict.WAIT,
        "running",
        f"{head}; {age}",
        s.pid,
        rel,
        action="it should end soon; `--wait` waits for it",
    )
