"""Turn a server error into a located ServerError (file:line:col from the error position)."""

from __future__ import annotations

from typing import Any

from pgwarden.db import redact
from pgwarden.sql import Statement
from pgwarden.trace.model import ServerError


def locate(stmt: Statement, position: int | None) -> tuple[int, int]:
    """Line and column in the file of character `position` (1-based) of the statement text.

    The server counts the error cursor in characters of the query string it received, which
    is exactly `stmt.text`; the statement's own start places it in the file.
    """
    if not position or position < 1:
        return stmt.line, stmt.column
    offset = min(position - 1, len(stmt.text))
    before = stmt.text[:offset]
    newlines = before.count("\n")
    if newlines == 0:
        return stmt.line, stmt.column + offset
    return stmt.line + newlines, offset - before.rfind("\n")


def server_error(exc: Any, stmt: Statement, path: str) -> ServerError:
    """A psycopg error raised by `stmt` as a ServerError; passwords never reach the message."""
    diag = getattr(exc, "diag", None)
    raw_pos = getattr(diag, "statement_position", None) if diag is not None else None
    try:
        position = int(raw_pos) if raw_pos else None
    except ValueError:
        position = None
    line, column = locate(stmt, position)
    message = (getattr(diag, "message_primary", None) if diag else None) or str(exc)
    return ServerError(
        path,
        line,
        column,
        (getattr(diag, "sqlstate", None) if diag else None) or getattr(exc, "sqlstate", "") or "",
        redact(message.strip()),
        redact((getattr(diag, "message_detail", None) if diag else None) or ""),
        redact((getattr(diag, "message_hint", None) if diag else None) or ""),
        stmt.text,
        stmt.line,
    )
