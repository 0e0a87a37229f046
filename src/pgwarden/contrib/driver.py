"""The DB-API side of the framework integrations: psycopg 3 or psycopg2 under Django/SQLAlchemy."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_READS = ("SELECT", "SHOW")


def db_error(exc: BaseException) -> tuple[str, str] | None:
    """(SQLSTATE, message) of the driver error behind a framework's exception, if there is one.

    Django wraps driver errors (`__cause__`), SQLAlchemy too (`.orig`); psycopg 3 errors carry
    `sqlstate`, psycopg2's `pgcode` (both None for a lost connection).
    """
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        e = todo.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        if hasattr(e, "sqlstate") or hasattr(e, "pgcode"):
            state = getattr(e, "sqlstate", None) or getattr(e, "pgcode", None) or ""
            diag = getattr(e, "diag", None)
            text = getattr(diag, "message_primary", None) or str(e)
            return str(state), " ".join(str(text).split())
        todo.extend([getattr(e, "orig", None), e.__cause__, e.__context__])
    return None


def is_read(sql: str) -> bool:
    """Introspection and SELECTs commit nothing a re-run would repeat."""
    words = sql.lstrip(" \t\r\n(").split(None, 1)
    return bool(words) and words[0].upper() in _READS


def backend_pid(raw: Any) -> int:
    """The server pid of a psycopg 3 or psycopg2 connection."""
    return int(raw.info.backend_pid)


def dsn_of(raw: Any) -> str:
    """A libpq conninfo for the database a psycopg 3 or psycopg2 connection is connected to.

    From the connection itself, so whatever the framework's settings or libpq's PG* variables
    said, our own sessions reach the same server and database.
    """
    from psycopg.conninfo import make_conninfo

    info = raw.info
    if hasattr(info, "get_parameters"):  # psycopg 3: non-default values, no password
        params = dict(info.get_parameters())
    else:  # psycopg2
        params = {k: v for k, v in info.dsn_parameters.items() if k != "password"}
    for key in ("application_name", "client_encoding", "fallback_application_name"):
        params.pop(key, None)  # ours are named by the Guard
    if params.get("hostaddr") == params.get("host"):
        params.pop("hostaddr")  # libpq reports both for a numeric host
    if params.get("sslcertmode") == "allow":
        params.pop("sslcertmode")  # the default, reported anyway
    if info.password:
        params["password"] = info.password
    return make_conninfo("", **params)


def run_raw(raw: Any, sql: str, params: Mapping[str, Any] | None = None) -> Any:
    """Execute on a DB-API connection (psycopg 3 or 2), bypassing the framework's hooks."""
    cur = raw.cursor()
    try:
        cur.execute(sql, params)
        return cur.fetchone() if cur.description else None
    finally:
        cur.close()
