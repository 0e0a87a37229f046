"""Shared pieces of the live-inspection formatters: how a session and a lock are shown."""

from __future__ import annotations

from typing import Any, TextIO

from pgwarden.inspect.snapshot import Lock, Session, Snapshot
from pgwarden.inspect.units import format_duration as fd

QUERY_WIDTH = 120  # characters of query text shown in text output


def console(out: TextIO) -> Any:
    """Rich console; lines are not wrapped when writing to a file or pipe (logs, CI, grep)."""
    from rich.console import Console

    tty = out.isatty()
    return Console(file=out, highlight=False, soft_wrap=True, width=None if tty else 4000)


def mode_name(lk: Lock) -> str:
    m = lk.lock_mode
    return m.sql_name if m else lk.mode


def lock_text(lk: Lock) -> str:
    waited = f" {fd(lk.waiting)}" if not lk.granted and lk.waiting is not None else ""
    verb = "holds" if lk.granted else f"waits{waited} for"
    return f"{verb} {mode_name(lk)} on {lk.target}"


def short_query(q: str | None, width: int = QUERY_WIDTH) -> str:
    if q is None:
        return "<query hidden: needs pg_read_all_stats>"
    q = " ".join(q.split())
    return q if len(q) <= width else q[: width - 1] + "…"


def who(s: Session) -> str:
    """`psql alice@10.0.0.5` (application, user, client)."""
    user = s.user or "?"
    client = f"@{s.client}" if s.client else ""
    app = s.application or "(no application_name)"
    return f"{app} {user}{client}"


def state_text(s: Session) -> str:
    if not s.visible:
        return "state hidden"
    state = s.state or "?"
    if s.idle_in_transaction:
        return f"{state} {fd(s.state_age)} (tx {fd(s.xact_age)})"
    if s.xact_age is not None and s.query_age is not None and s.xact_age - s.query_age > 1:
        return f"{state} {fd(s.query_age)} (tx {fd(s.xact_age)})"
    return f"{state} {fd(s.query_age)}"


def server_text(snap: Snapshot) -> str:
    v = snap.version_num
    return f"PostgreSQL {v // 10000}.{v % 10000}, database {snap.database}"


def lock_dict(lk: Lock | None) -> dict[str, Any] | None:
    if lk is None:
        return None
    return {
        "locktype": lk.locktype,
        "mode": lk.mode,
        "granted": lk.granted,
        "relation": lk.relation,
        "target": lk.target,
        "waiting_s": lk.waiting,
    }


def session_dict(s: Session) -> dict[str, Any]:
    return {
        "pid": s.pid,
        "database": s.database,
        "user": s.user,
        "application": s.application,
        "client": s.client,
        "backend_type": s.backend_type,
        "state": s.state,
        "visible": s.visible,
        "superuser": s.superuser,
        "xact_age_s": s.xact_age,
        "query_age_s": s.query_age,
        "state_age_s": s.state_age,
        "wait_event": s.wait_event,
        "query": s.query,
        "blocked_by": list(s.blocked_by),
        "lock_count": s.lock_count,
    }
