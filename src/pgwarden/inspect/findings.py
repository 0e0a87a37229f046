"""Reasons beyond conflicting sessions: backups, lock queues, prepared transactions, old
snapshots (CONCURRENTLY), replication slots, wraparound, and what the role cannot see."""

from __future__ import annotations

from pgwarden.inspect.backups import Backup
from pgwarden.inspect.cancel import command
from pgwarden.inspect.needs import Needs
from pgwarden.inspect.reasons import Reason, Thresholds, Verdict, lock_text, who
from pgwarden.inspect.snapshot import Snapshot
from pgwarden.inspect.units import format_bytes
from pgwarden.inspect.units import format_duration as fd
from pgwarden.locks.modes import LockMode


def backup_reason(b: Backup, needs: Needs, conflicting: bool) -> Reason:
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
            action=f"wait for it (`--wait`), or end it: `{command(b.pid, superuser=b.superuser)}`",
        )
    return Reason(Verdict.GO, "backup", f"{what}; no conflict with the migration's locks", b.pid)


def lock_queues(snap: Snapshot, needs: Needs) -> list[Reason]:
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


def prepared(snap: Snapshot, needs: Needs, th: Thresholds) -> list[Reason]:
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
                    f"{lock_text(hits[0])}: it holds its locks until someone commits or rolls "
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


def snapshot_holders(
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
                f"{who(s)} has a transaction open for {fd(s.xact_age)}"
                + (" (idle)" if s.idle_in_transaction else "")
                + f": the CONCURRENTLY statement at {where} waits for it to end",
                s.pid,
                action=f"`{command(s.pid, terminate=True, superuser=s.superuser)}`" if idle else "",
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


def slots(snap: Snapshot, needs: Needs, th: Thresholds) -> list[Reason]:
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


def relations(snap: Snapshot, needs: Needs) -> list[Reason]:
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


def other_long_sessions(
    snap: Snapshot, th: Thresholds, skip: set[int], limit: int = 5
) -> list[Reason]:
    """Long or idle transactions that do not touch the migration's tables: a note only (they
    hold back vacuum, and may still take a conflicting lock before the migration starts)."""
    found = []
    for s in snap.sessions.values():
        if s.pid in skip or s.database != snap.database or not s.visible or not s.is_client:
            continue
        if s.idle_in_transaction and (s.state_age or 0) >= th.idle_in_tx:
            found.append((s.xact_age or 0, s, f"idle in transaction for {fd(s.state_age)}"))
        elif s.xact_age is not None and s.xact_age >= th.long_query:
            found.append((s.xact_age, s, f"in a transaction for {fd(s.xact_age)}"))
    found.sort(key=lambda t: -t[0])
    out = [
        Reason(
            Verdict.GO,
            "long-session",
            f"{who(s)} has been {what}; it holds no lock the migration needs",
            s.pid,
        )
        for _, s, what in found[:limit]
    ]
    if len(found) > limit:
        out.append(Reason(Verdict.GO, "long-session", f"and {len(found) - limit} more"))
    return out
