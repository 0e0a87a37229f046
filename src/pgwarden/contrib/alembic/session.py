"""Session settings for Alembic's migration connection: short lock waits, a recognisable name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pgwarden.errors import UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

_SET_CONFIG = (Path(__file__).with_name("set_config.sql")).read_text(encoding="utf-8")
# A Postgres time value: a number with an optional unit (no unit means milliseconds).
_DURATION = re.compile(r"^\s*\d+(\.\d+)?\s*(us|ms|s|min|h|d)?\s*$")


@dataclass(frozen=True, slots=True)
class SessionSettings:
    """The parameters pgwarden sets on a migration session; None leaves one as it is."""

    lock_timeout: str | None = "50ms"
    statement_timeout: str | None = None
    application_name: str | None = "pgwarden-alembic"

    def items(self) -> list[tuple[str, str]]:
        pairs = [
            ("lock_timeout", self.lock_timeout),
            ("statement_timeout", self.statement_timeout),
            ("application_name", self.application_name),
        ]
        return [(name, value) for name, value in pairs if value is not None]


def _settings(
    lock_timeout: str | int | None,
    statement_timeout: str | int | None,
    application_name: str | None,
) -> SessionSettings:
    for name, value in (("lock_timeout", lock_timeout), ("statement_timeout", statement_timeout)):
        if value is not None and not _DURATION.match(str(value)):
            raise UsageError(f"{name}={value!r} is not a duration like '50ms', '2s' or 0")
    if application_name is not None and "\x00" in application_name:
        raise UsageError("application_name must not contain NUL")
    return SessionSettings(
        None if lock_timeout is None else str(lock_timeout).strip(),
        None if statement_timeout is None else str(statement_timeout).strip(),
        application_name,
    )


def configure_session(
    connection: Connection,
    lock_timeout: str | int | None = "50ms",
    statement_timeout: str | int | None = None,
    application_name: str | None = "pgwarden-alembic",
) -> None:
    """Set lock_timeout, statement_timeout and application_name on Alembic's connection.

    Call it in `run_migrations_online()` before `context.configure(connection=...)`. Every
    statement of every migration then gives up after waiting `lock_timeout` for a lock (the
    migration fails with "canceling statement due to lock timeout" and, with transactional
    DDL, rolls back) instead of queueing behind a long transaction while every later query on
    the table queues behind it. `application_name` makes the session easy to find in
    pg_stat_activity. An integer means milliseconds; None leaves a parameter unchanged.

    The values are session-level (`set_config(..., false)`), so they survive Alembic's
    `autocommit_block()` and `transaction_per_migration`. Under `pgwarden run` (PGAPPNAME
    `pgwarden-run/...`) the application_name is left alone. If the connection was not in a
    transaction, the settings are committed at once: SQLAlchemy 2 begins one implicitly, and
    Alembic would otherwise treat it as the caller's transaction and never commit the migration.
    """
    from sqlalchemy import text

    from pgwarden.contrib.guard import keep_app_name

    if keep_app_name():
        application_name = None  # `pgwarden run`'s watchdog finds the session by its name
    settings = _settings(lock_timeout, statement_timeout, application_name)
    outside = not connection.in_transaction()
    for name, value in settings.items():
        connection.execute(text(_SET_CONFIG), {"name": name, "value": value})
    if outside and connection.in_transaction():
        connection.commit()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def session_statements(
    lock_timeout: str | int | None = "50ms",
    statement_timeout: str | int | None = None,
    application_name: str | None = "pgwarden-alembic",
) -> list[str]:
    """The same settings as `SET` statements, for offline scripts (`alembic upgrade --sql`).

    In `run_migrations_offline()`, pass each to `context.execute()` before
    `context.begin_transaction()`: the script then sets the timeouts the online run sets, and
    `pgwarden lint` sees them (no require-lock-timeout finding for a guarded script).
    """
    settings = _settings(lock_timeout, statement_timeout, application_name)
    return [f"SET {name} = {_literal(value)}" for name, value in settings.items()]
