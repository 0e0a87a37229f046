"""Helpers for the runner tests: migration dirs, blockers, app load, the CLI in a subprocess."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path
from typing import Any

import psycopg

import pgtools
from pgtools import TEMPLATE, pgwarden_sessions, wait_until, write_migrations

__all__ = [
    "TEMPLATE",
    "AppLoad",
    "Blocker",
    "Cli",
    "Db18",
    "pgwarden_sessions",
    "race_two_runners",
    "runner_lock_held",
    "wait_until",
    "write_migrations",
]

Db18 = pgtools.Db

# A migration that runs until the test inserts a row into `gate` (created by race_two_runners).
GATED = (
    "INSERT INTO log VALUES (2);\n"
    "DO $$ BEGIN\n"
    "  WHILE NOT EXISTS (SELECT FROM gate) LOOP PERFORM pg_sleep(0.01); END LOOP;\n"
    "END $$;\n"
)


def race_two_runners(
    db: pgtools.Db, migrations: Path, timeout: float = 30.0
) -> tuple[list[Any], list[list[Any]], list[BaseException]]:
    """Start two `migrate` runs on `migrations` at once; the one that wins the runner lock
    stays in GATED's migration until the other has reported waiting for the lock (a fixed
    sleep let the first finish before a slowly started second ever asked). Returns the run
    results, each runner's events and the exceptions raised."""
    from pgwarden.runner import migrate
    from pgwarden.runner.events import RunnerLockWaiting

    db.run("CREATE TABLE gate (open bool)")
    results: list[Any] = []
    events: list[list[Any]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        try:
            results.append(migrate(migrations, db.dsn, events=events[i].append))
        except BaseException as exc:  # reported by the caller's assertions
            errors.append(exc)

    def lock_waited() -> bool:
        return any(isinstance(e, RunnerLockWaiting) for evs in events for e in list(evs))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        wait_until(lock_waited, timeout=timeout, what="the second runner to wait for the lock")
    finally:
        db.run("INSERT INTO gate VALUES (true)")
        for t in threads:
            t.join(timeout=60)
    return results, events, errors


class Blocker(pgtools.Blocker):
    """A session holding ACCESS SHARE on a table in an open transaction, like pg_dump."""

    def __init__(self, dsn: str, table: str, app: str = "pg_dump") -> None:
        super().__init__(dsn, f"SELECT count(*) FROM {table}", app, clock=time.monotonic)


class AppLoad(pgtools.AppLoad):
    """Application threads running short UPDATE/SELECT on a table, timed by time.monotonic()."""

    def __init__(self, dsn: str, table: str, threads: int = 6) -> None:
        queries = (
            f"UPDATE {table} SET a = a + 1 WHERE id = {{id}}",
            f"SELECT a FROM {table} WHERE id = {{id}}",
        )
        super().__init__(dsn, queries, threads, clock=time.monotonic)


class Cli(pgtools.Proc):
    """`python -m pgwarden ...` in a subprocess, its JSON-lines stdout (or, for `run`, whose
    stdout is the command's, stderr) read as it comes."""

    def __init__(
        self, *args: str, env: dict[str, str] | None = None, events_from: str = "stdout"
    ) -> None:
        super().__init__(
            [sys.executable, "-m", "pgwarden", *args], env=env, events_from=(events_from,)
        )

    def wait_event(  # type: ignore[override]
        self, kind: str, timeout: float = 30.0, **match: Any
    ) -> dict[str, Any]:
        """The next JSON event of this kind (and field values)."""

        def matches(ev: dict[str, Any]) -> bool:
            return all(str(v) in str(ev.get(k)) for k, v in match.items())

        return super().wait_event(kind, timeout, matches)

    def finish(self, timeout: float = 30.0) -> tuple[int, str, str]:  # type: ignore[override]
        code = super().finish(timeout)
        return code, "".join(self.out), "".join(self.err)


def runner_lock_held(dsn: str) -> bool:
    from pgwarden.runner.lock import RUNNER_LOCK_KEY

    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
            "AND classid = %s::oid AND objid = %s::oid AND objsubid = 1 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            (RUNNER_LOCK_KEY >> 32, RUNNER_LOCK_KEY & 0xFFFFFFFF),
        ).fetchone()
    return bool(row and row[0])
