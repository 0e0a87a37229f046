"""Cancel or terminate sessions under an explicit policy, and report exactly what happened."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pgwarden.inspect.queries import resolve
from pgwarden.inspect.snapshot import Session, Snapshot
from pgwarden.inspect.tree import BlockerTree

# Backend types that may be signalled at all; everything else is Postgres' own machinery.
_CLIENT_TYPES = {"client backend"}


@dataclass(frozen=True, slots=True)
class Policy:
    terminate: bool = False
    force: bool = False  # allow superuser sessions and sessions whose details are hidden
    include_autovacuum: bool = False


@dataclass(frozen=True, slots=True)
class Action:
    """One intended signal. `refused` says why the policy does not allow it ("" = allowed)."""

    pid: int
    signal: str  # "cancel" or "terminate"
    session: Session | None
    refused: str = ""
    blocking: int = 0  # sessions waiting behind it (from the blocker tree)

    @property
    def allowed(self) -> bool:
        return not self.refused


@dataclass(frozen=True, slots=True)
class Outcome:
    action: Action
    sent: bool  # the signal was sent (the function returned true)
    result: str  # what happened, for people


def command(pid: int, *, terminate: bool = False, superuser: bool | None = False) -> str:
    """The `pgwarden cancel` command line that will act on this session (`--force` for a
    superuser's, which check_policy refuses without it)."""
    flags = (" --terminate" if terminate else "") + (" --force" if superuser else "")
    return f"pgwarden cancel{flags} {pid}"


def check_policy(snap: Snapshot, pid: int, policy: Policy, blocking: int = 0) -> Action:
    """The action for `pid`, refused with the reason when the policy forbids it."""
    signal = "terminate" if policy.terminate else "cancel"
    s = snap.sessions.get(pid)

    def refuse(why: str) -> Action:
        return Action(pid, signal, s, why, blocking)

    if pid == snap.own_pid:
        return refuse("it is pgwarden's own session")
    if s is None:
        return refuse(f"no session with pid {pid} (ended, or not a backend)")
    if s.backend_type == "walsender":
        return refuse("replication connection (walsender): never signalled")
    if s.backend_type == "autovacuum worker":
        if not policy.include_autovacuum:
            return refuse("autovacuum worker: pass --include-autovacuum to cancel it")
    elif s.backend_type is not None and s.backend_type not in _CLIENT_TYPES:
        hint = f"; signal its leader {s.leader_pid}" if s.leader_pid else ""
        return refuse(f"{s.backend_type}: not a client session{hint}")
    if not s.visible and not policy.force:
        return refuse(
            "its details are hidden from this role (needs pg_read_all_stats): pass --force to "
            "signal it anyway"
        )
    if s.superuser and not policy.force:
        return refuse(f"superuser session ({s.user}): pass --force to signal it")
    if not policy.terminate and s.state in (
        "idle",
        "idle in transaction",
        "idle in transaction (aborted)",
    ):
        return refuse(
            f"{s.state}: a cancel only stops a running query and would change nothing; "
            "use --terminate to end the session"
        )
    return Action(pid, signal, s, "", blocking)


def plan_pids(
    snap: Snapshot, pids: Iterable[int], policy: Policy, tree: BlockerTree | None = None
) -> list[Action]:
    counts = _blocking_counts(tree)
    return [check_policy(snap, pid, policy, counts.get(pid, 0)) for pid in dict.fromkeys(pids)]


def select_roots(
    tree: BlockerTree,
    *,
    min_age: float = 0.0,
    application: str | None = None,
    query: str | None = None,
) -> list[Session]:
    """Root blockers (blocking someone, blocked by no one) matching every given filter.

    Patterns are regular expressions searched case-insensitively; a hidden query never matches.
    """
    app_re = re.compile(application, re.IGNORECASE) if application else None
    query_re = re.compile(query, re.IGNORECASE | re.DOTALL) if query else None
    out = []
    for s in tree.root_sessions:
        if min_age > 0 and (s.age is None or s.age < min_age):
            continue
        if app_re and not app_re.search(s.application):
            continue
        if query_re and not (s.query and query_re.search(s.query)):
            continue
        out.append(s)
    return out


def plan_unblock(tree: BlockerTree, roots: Sequence[Session], policy: Policy) -> list[Action]:
    counts = _blocking_counts(tree)
    return [check_policy(tree.snapshot, s.pid, policy, counts.get(s.pid, 0)) for s in roots]


def _blocking_counts(tree: BlockerTree | None) -> dict[int, int]:
    return {r.pid: r.total_waiters for r in tree.roots} if tree else {}


def execute(conn: Any, actions: Sequence[Action], *, settle: float = 3.0) -> list[Outcome]:
    """Send the allowed signals, then watch (up to `settle` seconds) what became of each pid."""
    import psycopg

    sent: dict[int, str] = {}
    outcomes: dict[int, Outcome] = {}
    signal_sql = resolve("signal", conn.info.server_version)
    for a in actions:
        if not a.allowed:
            outcomes[a.pid] = Outcome(a, False, f"not signalled: {a.refused}")
            continue
        try:
            row = conn.execute(
                signal_sql, {"pid": a.pid, "terminate": a.signal == "terminate"}, prepare=False
            ).fetchone()
        except psycopg.errors.InsufficientPrivilege as exc:
            detail = exc.diag.message_detail or ""
            outcomes[a.pid] = Outcome(
                a, False, f"not allowed: {exc.diag.message_primary}. {detail}".strip()
            )
            continue
        if not row or not row[0]:
            outcomes[a.pid] = Outcome(a, False, "not signalled: the session had already ended")
            continue
        sent[a.pid] = a.signal
    states = _settle(conn, list(sent), settle)
    for a in actions:
        if a.pid in outcomes:
            continue
        verb = "terminated" if a.signal == "terminate" else "cancelled"
        st = states.get(a.pid)
        if st is None:
            result = f"{verb}: the session has ended"
        elif st.blocking:
            result = f"{verb}, but it still blocks {st.blocking} session(s) (state {st.state})"
            if a.signal == "cancel" and st.wait_event == "ClientWrite":
                # postgres.c ProcessClientWriteInterrupt(): while a write to the client is
                # blocked, only a terminate is acted on; a cancel waits for the write.
                result += (
                    "; it is blocked sending to a client that is not reading (ClientWrite), "
                    "and Postgres acts on a cancel only once that write completes: "
                    "--terminate ends it now"
                )
            elif a.signal == "cancel":
                result += "; check again with `pgwarden blockers`, or use --terminate"
        else:
            result = f"{verb}: the session is now {st.state} and blocks nobody"
        outcomes[a.pid] = Outcome(a, True, result)
    return [outcomes[a.pid] for a in actions]


@dataclass(frozen=True, slots=True)
class _After:
    state: str
    in_transaction: bool
    wait_event: str | None
    blocking: int


def _settle(conn: Any, pids: list[int], seconds: float) -> dict[int, _After]:
    """Poll until every pid has ended or stopped blocking, or `seconds` pass."""
    if not pids:
        return {}
    sql = resolve("after_signal", conn.info.server_version)
    deadline = time.monotonic() + seconds

    def look() -> dict[int, _After]:
        rows = conn.execute(sql, {"pids": pids}, prepare=False).fetchall()
        return {int(r[0]): _After(r[1] or "unknown", bool(r[2]), r[3], int(r[4])) for r in rows}

    while True:
        states = look()
        released = all(st.blocking == 0 for st in states.values())
        if released or time.monotonic() >= deadline:
            if states and released and time.monotonic() < deadline:
                time.sleep(0.2)  # locks are released at abort; give the session time to exit
                states = look()
            return states
        time.sleep(0.1)
