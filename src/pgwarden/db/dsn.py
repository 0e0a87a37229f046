"""Find the DSN (flag, DATABASE_URL or libpq PG* variables) and redact passwords for output."""

from __future__ import annotations

import os
import re

from pgwarden.errors import UsageError

_URL_PASSWORD = re.compile(r"(?P<pre>postgres(?:ql)?://[^:/@\s]*:)(?P<pw>[^@\s]*)(?P<post>@)")
_KV_PASSWORD = re.compile(r"(?P<pre>\bpassword\s*=\s*)(?P<pw>'(?:[^'\\]|\\.)*'|\S+)", re.IGNORECASE)
_QUERY_PASSWORD = re.compile(r"(?P<pre>[?&]password=)(?P<pw>[^&\s]*)", re.IGNORECASE)


def redact(text: str) -> str:
    """Replace every password in a DSN (URL or key=value form), or in text containing one."""
    text = _URL_PASSWORD.sub(lambda m: f"{m['pre']}***{m['post']}", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m['pre']}***", text)
    return _QUERY_PASSWORD.sub(lambda m: f"{m['pre']}***", text)


def resolve_dsn(flag: str | None, *, required: bool = True) -> str:
    """The DSN from --dsn, else DATABASE_URL, else "" meaning libpq's PG* variables."""
    if flag:
        return flag
    env = os.environ.get("DATABASE_URL")
    if env:
        return env
    if any(k in os.environ for k in ("PGHOST", "PGDATABASE", "PGSERVICE", "PGPORT", "PGUSER")):
        return ""  # libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE itself
    if required:
        raise UsageError("no database given: pass --dsn, or set DATABASE_URL or the PG* variables")
    return ""
