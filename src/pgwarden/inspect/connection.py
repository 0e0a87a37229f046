"""Connections for inspection: named, read-only, bounded; database errors become PgwardenErrors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pgwarden.db import connect, redact
from pgwarden.errors import PgwardenError

# Our own queries must never hang an incident response: they wait for no relation lock, but a
# catalog read can still queue behind an ACCESS EXCLUSIVE on a catalog.
STATEMENT_TIMEOUT = "15s"
LOCK_TIMEOUT = "2s"


class InspectError(PgwardenError):
    """A query against the live database failed (message redacted, no traceback)."""


def open_connection(dsn: str, purpose: str) -> Any:
    """An autocommit connection named `pgwarden-<purpose>` (not `pgwarden/`, the runner's tag)."""
    conn = connect(dsn, application_name=f"pgwarden-{purpose}", autocommit=True)
    with guard():
        for name, value in (
            ("statement_timeout", STATEMENT_TIMEOUT),
            ("lock_timeout", LOCK_TIMEOUT),
            ("default_transaction_read_only", "on"),
        ):
            conn.execute("SELECT set_config(%s, %s, false)", (name, value))
    return conn


@contextmanager
def guard() -> Iterator[None]:
    """Turn database errors into an InspectError saying what failed and what to do."""
    import psycopg

    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise InspectError(
            f"permission denied: {redact(exc.diag.message_primary or str(exc))}; pgwarden only "
            "reads pg_stat_activity, pg_locks and the pg_stat views, which every role may read"
        ) from None
    except psycopg.errors.QueryCanceled:
        raise InspectError(
            f"the inspection query ran over statement_timeout ({STATEMENT_TIMEOUT}); "
            "the server may be overloaded"
        ) from None
    except psycopg.Error as exc:
        raise InspectError(f"database error: {redact(str(exc)).strip()}") from None
