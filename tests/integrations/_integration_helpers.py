"""Helpers for the framework integration tests: blockers, application load, live event streams."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from pgtools import AppLoad, Blocker, Proc, pgwarden_sessions, wait_until

__all__ = [
    "CAPTURE",
    "TIMEOUT",
    "AppLoad",
    "Blocker",
    "Process",
    "captured",
    "events_of",
    "install_capture",
    "pgwarden_sessions",
    "scalar",
    "sqlalchemy_url",
    "stopping",
    "wait_until",
]

TIMEOUT = 120  # seconds; a run stuck on a lock fails the test instead of hanging it


class Process(Proc):
    """A command whose stderr JSON-lines events are read as they come."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: dict[str, str]) -> None:
        super().__init__(argv, env=env, cwd=cwd, events_from=("stderr",))

    @property
    def stderr(self) -> list[str]:
        return self.err

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    def wait_event(
        self,
        kind: str,
        timeout: float = TIMEOUT,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        return super().wait_event(kind, timeout, where)

    def finish(self, timeout: float = TIMEOUT) -> int:
        return super().finish(timeout)


@contextmanager
def stopping(run: Process, *blockers: Blocker) -> Iterator[Process]:
    """Kill `run` and release `blockers` when the block ends, whatever happened in it."""
    try:
        yield run
    finally:
        run.kill()
        for b in blockers:
            b.release()


def events_of(stderr: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def scalar(dsn: str, sql: str, params: Any = None) -> Any:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(sql, params).fetchone()
    return None if row is None else row[0]


# The server records the settings each DDL statement ran under (an event trigger).
CAPTURE = """
CREATE TABLE seen (command text, lock_timeout text, statement_timeout text, app text);
CREATE FUNCTION record_settings() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO public.seen VALUES (tg_tag, current_setting('lock_timeout'),
    current_setting('statement_timeout'), current_setting('application_name'));
END $$;
CREATE EVENT TRIGGER record_settings ON ddl_command_end EXECUTE FUNCTION record_settings();
"""


def install_capture(dsn: str) -> None:
    """Start recording the settings of every DDL statement run from now on (see CAPTURE)."""
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute(CAPTURE)


def captured(dsn: str) -> list[tuple[str, str, str, str]]:
    """(command, lock_timeout, statement_timeout, application_name) of each DDL, in order."""
    with psycopg.connect(dsn, autocommit=True) as c:
        rows = c.execute("SELECT command, lock_timeout, statement_timeout, app FROM seen")
        return [(str(a), str(b), str(c_), str(d)) for a, b, c_, d in rows.fetchall()]


def sqlalchemy_url(dsn: str) -> str:
    """The libpq DSN as a SQLAlchemy URL for psycopg 3."""
    from psycopg.conninfo import conninfo_to_dict
    from sqlalchemy.engine import URL

    d = conninfo_to_dict(dsn)
    url = URL.create(
        "postgresql+psycopg",
        username=str(d.get("user") or "") or None,
        password=str(d.get("password") or "") or None,
        host=str(d.get("host") or "") or None,
        port=int(d["port"]) if d.get("port") else None,
        database=str(d.get("dbname") or "") or None,
    )
    return url.render_as_string(hide_password=False)
