"""Who blocks whom: root blockers first, each waiter under the session it waits for."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pgwarden.inspect.backups import recognise
from pgwarden.inspect.snapshot import Lock, PreparedXact, Session, Snapshot, runner_label


@dataclass(frozen=True, slots=True)
class Node:
    """A session in the tree. For a root, `holds` is the lock its waiters want; for a waiter,
    `waits_for` is the lock it is queued for (and `holds` what the ones under it want)."""

    pid: int  # 0 for a prepared transaction (pg_blocking_pids reports it as 0)
    session: Session | None
    tag: str  # pg_dump backup, autovacuum, pgwarden migrate/run <id>, prepared transaction, ...
    waits_for: Lock | None
    holds: Lock | None
    also_blocked_by: tuple[int, ...]
    children: tuple[Node, ...]
    prepared: tuple[PreparedXact, ...] = ()
    also_blocks: tuple[int, ...] = ()  # waiters it blocks that are shown under another session

    @property
    def total_waiters(self) -> int:
        """Sessions waiting on it, directly or behind a waiter, as placed in the tree."""
        return sum(1 + c.total_waiters for c in self.children) + len(self.also_blocks)


@dataclass(frozen=True, slots=True)
class BlockerTree:
    roots: tuple[Node, ...]
    waiting: int  # sessions waiting for a lock held or queued by another session
    snapshot: Snapshot

    @property
    def root_sessions(self) -> tuple[Session, ...]:
        return tuple(r.session for r in self.roots if r.session is not None)


def session_tag(s: Session, patterns: Sequence[re.Pattern[str]] = ()) -> str:
    """A short label for well-known kinds of session; "" for ordinary clients."""
    runner = runner_label(s.application)
    if runner is not None:
        return f"{runner} (left over if that run has ended)"
    found = recognise(s, patterns)
    if found is not None:
        return f"backup: {found[0]}"
    query = s.query or ""
    if s.backend_type == "autovacuum worker" or query.startswith("autovacuum:"):
        return "autovacuum (to prevent wraparound)" if "wraparound" in query else "autovacuum"
    if s.backend_type == "walsender":
        return "replication (walsender)"
    if s.backend_type and s.backend_type != "client backend":
        return s.backend_type
    return ""


def build_tree(snap: Snapshot, patterns: Sequence[re.Pattern[str]] = ()) -> BlockerTree:
    """Arrange every waiting session under the one it waits for.

    pg_blocking_pids() lists both hard blockers (holding a conflicting lock) and soft ones (queued
    ahead with a conflicting request): a SELECT behind a queued ALTER lists only the ALTER. When
    several sessions block a waiter, it goes under the one that is itself waiting (the nearest
    in the queue), and the others are listed as `also_blocked_by`.
    """
    sessions = snap.sessions
    waiters = {s.pid: s for s in sessions.values() if s.blocked_by}
    blocked_by_waiter: dict[int, int] = {}
    for pid, s in waiters.items():
        candidates = sorted(s.blocked_by, key=lambda p: (p not in waiters, p))
        blocked_by_waiter[pid] = candidates[0]
    children: dict[int, list[int]] = {}
    for pid, parent in blocked_by_waiter.items():
        children.setdefault(parent, []).append(pid)
    blocks: dict[int, list[int]] = {}
    for pid, s in waiters.items():
        for p in s.blocked_by:
            blocks.setdefault(p, []).append(pid)

    def node(pid: int, parent_wants: Lock | None, seen: frozenset[int]) -> Node:
        s = sessions.get(pid)
        kids = [
            node(c, _awaited_lock(sessions[c]), seen | {pid})
            for c in sorted(children.get(pid, ()))
            if c not in seen
        ]
        wanted = [lk for w in blocks.get(pid, ()) if (lk := _awaited_lock(sessions.get(w)))]
        return Node(
            pid=pid,
            session=s,
            tag=session_tag(s, patterns) if s else "prepared transaction" if pid == 0 else "",
            waits_for=_awaited_lock(s) if s and pid in waiters else None,
            holds=_holding(s, wanted) if s else None,
            also_blocked_by=tuple(
                p for p in (s.blocked_by if s else ()) if p != blocked_by_waiter.get(pid)
            ),
            children=tuple(sorted(kids, key=lambda n: (-n.total_waiters, n.pid))),
            prepared=_prepared_holding(snap, wanted) if pid == 0 else (),
            also_blocks=tuple(
                sorted(w for w in blocks.get(pid, ()) if blocked_by_waiter.get(w) != pid)
            ),
        )

    # Every blocker that waits for nobody is a root, even when its waiters are shown elsewhere.
    roots = sorted(p for p in blocks if p not in waiters)
    # A cycle (a deadlock before the detector runs) has no root: start from its oldest member.
    placed = _reachable(roots, children)
    for pid in sorted(set(waiters) - placed, key=lambda p: -(sessions[p].age or 0)):
        if pid not in placed:
            roots.append(pid)
            placed |= _reachable([pid], children)
    tree = [node(p, None, frozenset()) for p in roots]
    tree.sort(key=lambda n: (-n.total_waiters, -((n.session.age if n.session else 0) or 0), n.pid))
    return BlockerTree(tuple(tree), len(waiters), snap)


def _reachable(starts: list[int], children: dict[int, list[int]]) -> set[int]:
    out: set[int] = set()
    stack = list(starts)
    while stack:
        p = stack.pop()
        if p in out:
            continue
        out.add(p)
        stack.extend(children.get(p, ()))
    return out


def _awaited_lock(s: Session | None) -> Lock | None:
    if s is None:
        return None
    awaited = s.awaited
    return awaited[0] if awaited else None


def _holding(s: Session, wanted: list[Lock]) -> Lock | None:
    """The lock of `s` on the object its waiters want: held, else queued for."""
    keys = {w.key for w in wanted}
    mine = [lk for lk in s.locks if lk.key in keys]
    mine.sort(key=lambda lk: (not lk.granted, lk.key))
    return mine[0] if mine else None


def _prepared_holding(snap: Snapshot, wanted: list[Lock]) -> tuple[PreparedXact, ...]:
    keys = {w.key for w in wanted}
    return tuple(p for p in snap.prepared if any(lk.key in keys for lk in p.locks))
