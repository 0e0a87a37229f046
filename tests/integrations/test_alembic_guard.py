"""`pgwarden.contrib.alembic.run_migrations_online` on a real Alembic project and Postgres."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytest.importorskip("alembic", reason="Alembic is in the dev extra")
pytest.importorskip("sqlalchemy", reason="SQLAlchemy is in the dev extra")

from _integration_helpers import (
    TIMEOUT,
    AppLoad,
    Blocker,
    Process,
    captured,
    install_capture,
    pgwarden_sessions,
    scalar,
    sqlalchemy_url,
    stopping,
    wait_until,
)

PROJECT = Path(__file__).parent / "alembic_project"
CREATE, UNSAFE, SAFE = "5a1f0c3e2b7d", "9c2e4b8d1a63", "d41b7e0f8c25"
JSON = ("-x", "pgwarden_output=json")
pytestmark = pytest.mark.pg


def alembic(db: Any, *args: str, env: dict[str, str] | None = None) -> Process:
    argv = [sys.executable, "-m", "alembic", "-c", str(PROJECT / "alembic.ini"), *args]
    return Process(argv, cwd=PROJECT, env={"DATABASE_URL": sqlalchemy_url(db.dsn), **(env or {})})


def version(dsn: str) -> str | None:
    return scalar(dsn, "SELECT version_num FROM alembic_version")  # type: ignore[no-any-return]


def at_create(db: Any, rows: int = 20) -> None:
    run = alembic(db, "upgrade", CREATE)
    assert run.finish() == 0, "".join(run.stderr)
    with psycopg.connect(db.dsn, autocommit=True) as c:
        c.execute(
            "INSERT INTO orders (id, account_id, total_cents) "
            "SELECT i, 1, 100 FROM generate_series(1, %s) i",
            (rows,),
        )


def test_waits_out_a_blocker_without_stalling_the_app(db: Any) -> None:
    at_create(db)
    queries = (
        "UPDATE orders SET total_cents = total_cents + 1 WHERE id = {id}",
        "SELECT total_cents FROM orders WHERE id = {id}",
    )
    with AppLoad(db.dsn, queries) as app:
        backup = Blocker(db.dsn, "SELECT count(*) FROM orders")
        run = alembic(db, *JSON, "upgrade", "head")
        with stopping(run, backup):
            waiting = run.wait_event("waiting")
            backup.release_after(2.0)
            code = run.finish()
    assert code == 0, "".join(run.stderr)
    assert backup.released_at is not None
    assert version(db.dsn) == SAFE
    # The backup (an app transaction a busy machine slowed past the blocker age may be
    # listed beside it).
    assert backup.pid in [b["pid"] for b in waiting["blockers"]]
    assert waiting["version"] == UNSAFE  # the revision about to run
    done = {e["version"]: e for e in run.events if e["event"] == "migration_applied"}
    assert list(done) == [UNSAFE, SAFE]
    assert done[UNSAFE]["at"] >= backup.released_at
    # CREATE INDEX does not conflict with the backup's ACCESS SHARE, the ALTER TABLE after it
    # does: the revision let go of its lock and waited, then ran again, once. (On a busy
    # machine an attempt can also lose a 50 ms race with the app's own UPDATEs: retried too.)
    lost = [e for e in run.events if e["event"] == "lock_timeout" and e["version"] == UNSAFE]
    [pre] = [e for e in lost if e["via"] == "pre-check"]
    assert backup.pid in [b["pid"] for b in pre["blockers"]]
    assert done[UNSAFE]["attempts"] == len(lost) + 1
    assert app.count(waiting["at"], backup.released_at) > 20
    assert not app.errors, app.errors[:3]
    assert app.max_latency() < 1.0, app.max_latency()


def test_every_statement_runs_under_the_policy(db: Any) -> None:
    install_capture(db.dsn)
    run = alembic(db, *JSON, "upgrade", "head")
    assert run.finish() == 0, "".join(run.stderr)
    [started] = [e for e in run.events if e["event"] == "run_started"]
    app = f"pgwarden/{started['run_id']}"
    seen = captured(db.dsn)
    assert {a for *_, a in seen} == {app}
    by_command: dict[str, set[tuple[str, str]]] = {}
    for command, lt, st, _ in seen:
        by_command.setdefault(command, set()).add((lt, st))
    # New tables block nobody; CREATE INDEX on orders (SHARE) and ALTER TABLE do: 50 ms.
    # The CONCURRENTLY build blocks no traffic and may take long: no timeouts at all.
    assert by_command["CREATE TABLE"] == {("0", "0")}
    assert by_command["ALTER TABLE"] == {("50ms", "0")}
    assert by_command["CREATE INDEX"] == {("50ms", "0"), ("0", "0")}
    assert version(db.dsn) == SAFE


def test_sigterm_while_waiting_exits_143_and_leaves_nothing(db: Any) -> None:
    at_create(db)
    backup = Blocker(db.dsn, "SELECT count(*) FROM orders")
    run = alembic(db, *JSON, "upgrade", "head")
    with stopping(run, backup):
        run.wait_event("waiting")
        run.proc.send_signal(signal.SIGTERM)
        code = run.finish()
    stderr = "".join(run.stderr)
    assert code == 143, stderr
    assert "pgwarden: aborted by SIGTERM" in stderr and "Traceback" not in stderr
    wait_until(lambda: not pgwarden_sessions(db.dsn), what="pgwarden's sessions to go")
    assert version(db.dsn) == CREATE
    indexes = scalar(db.dsn, "SELECT count(*) FROM pg_indexes WHERE tablename = 'orders'")
    assert indexes == 1  # the primary key: the revision's index rolled back


def test_gives_up_at_max_wait(db: Any) -> None:
    at_create(db)
    backup = Blocker(db.dsn, "SELECT count(*) FROM orders", app="Heroku Postgres Backups")
    run = alembic(db, *JSON, "-x", "max_wait=1s", "upgrade", "head")
    with stopping(run, backup):
        code = run.finish()
    stderr = "".join(run.stderr)
    assert code != 0, stderr
    # Alembic prints its CommandError on stdout.
    assert "FAILED:" in run.stdout and "gave up after" in run.stdout, run.stdout
    assert "Heroku Postgres Backups" in run.stdout
    assert "Traceback" not in stderr
    assert version(db.dsn) == CREATE


def test_under_pgwarden_run_the_sessions_keep_its_name(db: Any) -> None:
    """`pgwarden run -- alembic upgrade head`: the wrapper's watchdog finds the session by
    PGAPPNAME, so the helper leaves application_name alone."""
    install_capture(db.dsn)
    argv = [sys.executable, "-m", "pgwarden", "run", "--dsn", db.dsn, "--"]
    alembic_argv = [sys.executable, "-m", "alembic", "-c", str(PROJECT / "alembic.ini")]
    run = Process(
        [*argv, *alembic_argv, "upgrade", "head"],
        cwd=PROJECT,
        env={"DATABASE_URL": sqlalchemy_url(db.dsn)},
    )
    assert run.finish(timeout=TIMEOUT) == 0, "".join(run.stderr)
    apps = {a for *_, a in captured(db.dsn)}
    assert len(apps) == 1 and apps.pop().startswith("pgwarden-run/")
    assert version(db.dsn) == SAFE
