"""Open connections with a recognisable application_name; load catalog queries from .sql files."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from pgwarden.db.dsn import redact
from pgwarden.errors import PgwardenError


class ConnectionFailed(PgwardenError):
    """The database could not be reached; the message never contains the password."""


def connect(
    dsn: str, *, application_name: str = "pgwarden", autocommit: bool = True, **kw: Any
) -> Any:
    """A psycopg connection; errors are re-raised with the DSN redacted."""
    import psycopg

    try:
        return psycopg.connect(dsn, application_name=application_name, autocommit=autocommit, **kw)
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(
            f"cannot connect to {redact(dsn) or 'the PG* database'}: {redact(str(exc)).strip()}"
        ) from None


@cache
def load_sql(package: str, name: str) -> str:
    """Read `name` (a .sql file) shipped beside the module `package`."""
    return resources.files(package).joinpath(name).read_text(encoding="utf-8")
