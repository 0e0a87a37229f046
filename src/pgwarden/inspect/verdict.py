"""GO / WAIT / NO-GO: what the live database means for a migration that needs given locks."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pgwarden.inspect.backups import Backup
from pgwarden.inspect.needs import Need, Needs
from pgwarden.inspect.snapshot import Lock, Session, Snapshot
from pgwarden.inspect.units import format_bytes
from pgwarden.inspect.units import format_duration as fd
from pgwarden.locks.modes import LockMode


class Verdict(enum.Enum):
    GO = "GO"
    WAIT = "WAIT"
    NO_GO = "NO-GO"

    @property
    def exit_code(self) -> int:
        return _EXIT[self]


_EXIT = {Verdict.GO: 0, Verdict.WAIT: 3, Verdict.NO_GO: 4}
_RANK = {Verdict.NO_GO: 0, Verdict.WAIT: 1, Verdict.GO: 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    long_query: float = 300.0  # a conflicting transaction older than this: NO-GO
    idle_in_tx: float = 60.0  # idle in transaction longer than this while conflicting: NO-GO
    max_slot_lag: int = 1 << 30  # WAL retained by a replication slot
    # Conflicting transactions younger than this are ordinary traffic (reported as such), not
    # blockers: on a busy table some short transaction always holds a lock.
    traffic_age: float = 2.0


@dataclass(frozen=True, slots=True)
class Reason:
    verdict: Verdict  # GO: a note that does not change the verdict
    code: str
    message: str
    pid: int | None = None
    relation: str | None = None
    eta: float | None = None  # seconds until it should end (WAIT)
    action: str = ""  # what a person can do about it


@dataclass(frozen=True, slots=True)
class Conflict:
    """A session holding (or queued for) a lock that conflicts with a mode the migration needs."""

    session: Session
    lock: Lock
    need: Need
    kind: str  # backup, autovacuum, wraparound, idle-in-transaction, long, running, queued,
    #            hidden, traffic
    verdict: Verdict


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


def _who(s: Session) -> str:
    app = f" {s.application}" if s.application else ""
    user = f" {s.user}" if s.user else ""
    return f"pid {s.pid} ({(app + user).strip() or 'no application_name'})"


def _lock_text(lk: Lock) -> str:
    mode = lk.lock_mode
    name = mode.sql_name if mode else lk.mode
    verb = "holds" if lk.granted else "waits for"
    return f"{verb} {name} on {lk.target}"


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
    return tuple(
        sorted(out, key=lambda c: (_RANK[c.verdict], -(c.session.age or 0), c.session.pid))
    )


def _conflict_reason(c: Conflict, th: Thresholds) -> Reason | None:
    s, lk, rel = c.session, c.lock, c.lock.relation
    head = f"{_who(s)} {_lock_text(lk)}, which conflicts with {c.need.mode.sql_name}"
    age = f"transaction {fd(s.xact_age)}, query {fd(s.query_age)}"
    if c.kind == "backup" or c.kind == "traffic":
        return None  # backups get their own reason; traffic is reported as traffic
    if c.kind == "autovacuum":
        return Reason(
            Verdict.GO,
            "autovacuum",
            f"{_who(s)} is vacuuming {rel}; it yields: Postgres cancels it once the migration "
            "has waited deadlock_timeout",
            s.pid,
            rel,
        )
    if c.kind == "wraparound":
        return Reason(
            Verdict.NO_GO,
            "wraparound-vacuum",
            f"autovacuum {_who(s)} is vacuuming {rel} to prevent wraparound: it is not "
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
            f"{head}; its state and age are hidden from {(s.user and 'this role') or 'you'}",
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
            action=f"find its owner, or `pgwarden cancel --terminate {s.pid}` (a cancel does "
            "nothing to an idle transaction)",
        )
    if c.kind == "long":
        return Reason(
            Verdict.NO_GO,
            "long-transaction",
            f"{head}; running for {fd(s.age)} ({age}), over the {fd(th.long_query)} threshold",
            s.pid,
            rel,
            action=f"wait for it, or `pgwarden cancel {s.pid}`",
        )
    return Reason(
        Verdict.WAIT,
        "running",
        f"{head}; {age}",
        s.pid,
        rel,
        action="it should end soon; `--wait` waits for it",
    )


def _backup_reason(b: Backup, needs: Needs, conflicting: bool) -> Reason:
    what = f"{b.tool} (pid {b.pid})"
    if b.copying:
        part = f"copying {b.copying}"
        if b.table_fraction is not None:
            part += f" ({b.table_fraction:.0%} of the table)"
        what += f" is {part}"
    else:
        what += " is running"
    if b.dump_fraction is not None:
        what += f", {b.dump_fraction:.0%} of the dump"
    if b.eta is not None:
        what += f"; ETA {fd(b.eta)}" + (" for this table" if b.eta_scope == "table" else "")
    if not b.same_database and b.tool not in ("pg_basebackup", "pg_receivewal"):
        return Reason(Verdict.GO, "backup-elsewhere", f"{what} on database {b.database}", b.pid)
    if b.tool in ("pg_basebackup", "pg_receivewal"):
        return Reason(
            Verdict.GO,
            "base-backup",
            f"{what}: it takes no table locks, but a table rewrite adds WAL it must copy",
            b.pid,
        )
    strongest = max((n.mode for n in needs.needs), default=None)
    blocks_reads = strongest is not None and strongest.conflicts_with(LockMode.AccessShareLock)
    if conflicting or (blocks_reads and b.tables == 0):
        held = [
            f"{r} (copied already, still locked)"
            if r in b.passed
            else f"{r} (not reached yet)"
            if r in b.ahead
            else f"{r} (being copied)"
            if r == b.copying
            else r
            for r in b.holds
        ]
        locked = (
            f"; it holds ACCESS SHARE on {', '.join(held)} until it ends"
            if held
            else "; it takes ACCESS SHARE on every table it dumps and keeps it to the end"
        )
        return Reason(
            Verdict.WAIT,
            "backup",
            what + locked,
            b.pid,
            b.holds[0] if b.holds else None,
            b.eta if b.eta_scope == "dump" else None,
            action=f"wait for it (`--wait`), or end it: `pgwarden cancel {b.pid}`",
        )
    return Reason(Verdict.GO, "backup", f"{what}; no conflict with the migration's locks", b.pid)


def decide(snap: Snapshot, needs: Needs, backups: tuple[Backup, ...], th: Thresholds) -> Decision:
    """The verdict and every reason for it."""
    conflicts = find_conflicts(snap, needs, th, backups)
    reasons: list[Reason] = []
    conflicting_pids = {c.session.pid for c in conflicts}
    for c in conflicts:
        r = _conflict_reason(c, th)
        if r is not None:
            reasons.append(r)
    for b in backups:
        reasons.append(_backup_reason(b, needs, b.pid in conflicting_pids))
    reasons.extend(_lock_queues(snap, needs))
    reasons.extend(_prepared(snap, needs, th))
    reasons.extend(_snapshot_holders(snap, needs, th, conflicting_pids, backups))
    reasons.extend(_slots(snap, needs, th))
    reasons.extend(_relations(snap, needs))
    reasons.sort(key=lambda r: _RANK[r.verdict])
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


def _lock_queues(snap: Snapshot, needs: Needs) -> list[Reason]:
    out = []
    for need in needs.needs:
        waiters = [
            (s, lk)
            for s in snap.sessions.values()
            for lk in s.awaited
            if lk.locktype == "relation" and lk.relation == need.relation
        ]
        if not waiters:
            continue
        roots = sorted({p for s, _ in waiters for p in s.blocked_by} - {s.pid for s, _ in waiters})
        longest = max((lk.waiting for _, lk in waiters if lk.waiting is not None), default=None)
        msg = f"{len(waiters)} session(s) already queued for locks on {need.relation}"
        if longest is not None:
            msg += f" (longest waiting {fd(longest)})"
        if roots:
            msg += f", behind pid {', '.join(map(str, roots))}"
        out.append(
            Reason(
                Verdict.WAIT,
                "lock-queue",
                msg + ": the migration would join the end of the queue",
                relation=need.relation,
                action="`pgwarden blockers` shows the queue",
            )
        )
    return out


def _prepared(snap: Snapshot, needs: Needs, th: Thresholds) -> list[Reason]:
    out = []
    for p in snap.prepared:
        hits = [
            lk
            for lk in p.locks
            if (n := needs.need(lk.relation)) is not None
            and (m := lk.lock_mode) is not None
            and n.conflicts_with(m)
        ]
        action = f"COMMIT PREPARED '{p.gid}' or ROLLBACK PREPARED '{p.gid}' (as {p.owner})"
        if hits:
            out.append(
                Reason(
                    Verdict.NO_GO,
                    "prepared-transaction",
                    f"prepared transaction '{p.gid}' (owner {p.owner}, prepared {fd(p.age)} ago) "
                    f"{_lock_text(hits[0])}: it holds its locks until someone commits or rolls "
                    "it back; no session to cancel",
                    relation=hits[0].relation,
                    action=action,
                )
            )
        elif p.database == snap.database and p.age >= th.idle_in_tx:
            out.append(
                Reason(
                    Verdict.GO,
                    "prepared-transaction",
                    f"prepared transaction '{p.gid}' open for {fd(p.age)}: it holds back vacuum",
                    action=action,
                )
            )
    return out


def _snapshot_holders(
    snap: Snapshot,
    needs: Needs,
    th: Thresholds,
    already: set[int],
    backups: tuple[Backup, ...],
) -> list[Reason]:
    """CREATE INDEX CONCURRENTLY waits for every older transaction in the database."""
    if not needs.waits_for_snapshots:
        return []
    where = needs.waits_for_snapshots[0]
    skip = already | {b.pid for b in backups if b.same_database}
    out = []
    for s in snap.sessions.values():
        if s.pid in skip or s.database != snap.database or s.backend_type == "autovacuum worker":
            continue
        if s.xact_age is None or s.xact_age < th.traffic_age:
            continue
        idle = s.idle_in_transaction and (s.state_age or 0) >= th.idle_in_tx
        out.append(
            Reason(
                Verdict.NO_GO if idle else Verdict.WAIT,
                "old-snapshot",
                f"{_who(s)} has a transaction open for {fd(s.xact_age)}"
                + (" (idle)" if s.idle_in_transaction else "")
                + f": the CONCURRENTLY statement at {where} waits for it to end",
                s.pid,
                action=f"`pgwarden cancel --terminate {s.pid}`" if idle else "",
            )
        )
    backup_pids = [b for b in backups if b.same_database and b.pid not in already]
    for b in backup_pids:
        out.append(
            Reason(
                Verdict.WAIT,
                "old-snapshot",
                f"{b.tool} (pid {b.pid}) holds its snapshot until it ends: the CONCURRENTLY "
                f"statement at {where} waits for it",
                b.pid,
                eta=b.eta if b.eta_scope == "dump" else None,
            )
        )
    return out


def _slots(snap: Snapshot, needs: Needs, th: Thresholds) -> list[Reason]:
    out = []
    for slot in snap.slots:
        if slot.retained_bytes is None or slot.retained_bytes < th.max_slot_lag:
            continue
        lag = format_bytes(slot.retained_bytes)
        state = "active" if slot.active else "inactive"
        msg = f"replication slot {slot.name} ({slot.slot_type}, {state}) retains {lag} of WAL"
        if not needs.rewrites:
            out.append(Reason(Verdict.GO, "replication-lag", msg))
        elif slot.active:
            out.append(
                Reason(
                    Verdict.WAIT,
                    "replication-lag",
                    msg + f": rewriting {', '.join(needs.rewrites)} adds WAL it must also replay",
                    action="wait for the consumer to catch up",
                )
            )
        else:
            out.append(
                Reason(
                    Verdict.NO_GO,
                    "replication-lag",
                    msg + f": nobody consumes it, and rewriting {', '.join(needs.rewrites)} adds "
                    "more WAL that cannot be removed (risk: disk full)",
                    action="drop the slot if unused: "
                    f"SELECT pg_drop_replication_slot('{slot.name}')",
                )
            )
    return out


def _relations(snap: Snapshot, needs: Needs) -> list[Reason]:
    out = []
    for need in needs.needs:
        rel = snap.relation_named(need.relation)
        if rel is None:
            out.append(
                Reason(
                    Verdict.GO,
                    "not-found",
                    f"{need.relation} does not exist in {snap.database}: nothing can block it",
                    relation=need.relation,
                )
            )
        elif rel.frozen_age is not None and rel.frozen_age > rel.freeze_max_age:
            out.append(
                Reason(
                    Verdict.GO,
                    "wraparound-due",
                    f"{rel.name} is past autovacuum_freeze_max_age (xid age "
                    f"{rel.frozen_age:,}): an anti-wraparound autovacuum may start on it at any "
                    "time and will not yield",
                    relation=rel.name,
                )
            )
    if not snap.visibility.complete:
        v = snap.visibility
        out.append(
            Reason(
                Verdict.GO,
                "visibility",
                f"{v.hidden_sessions} session(s) of other roles hide their query, state and ages "
                f"from {v.user}: conflicts are still found from pg_locks, but not how old they are",
                action=f"GRANT pg_read_all_stats TO {v.user}; (or pg_monitor)",
            )
        )
    return out
