"""`manage.py pgwarden_migrate` and `pgwarden run -- manage.py migrate` on a real Django project."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _integration_helpers import (
    TIMEOUT,
    AppLoad,
    Blocker,
    Process,
    captured,
    install_capture,
    pgwarden_sessions,
    scalar,
    stopping,
    wait_until,
)

pytest.importorskip("django", reason="Django is in the dev extra")

from pgwarden.contrib.policy import defaults, policy_from
from pgwarden.errors import ConfigError

PROJECT = Path(__file__).parent / "django_project"
SHOP_0002 = "shop.0002_order_customer_and_index"
LEDGER_0002 = "ledger.0002_entry_memo"
pytestmark = pytest.mark.pg


def manage_argv(*args: str) -> list[str]:
    return [sys.executable, str(PROJECT / "manage.py"), *args]


def manage(dsn: str, *args: str, settings: Any = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGWARDEN_TEST_DSN": dsn}
    if settings is not None:
        env["PGWARDEN_TEST_SETTINGS"] = json.dumps(settings)
    return subprocess.run(
        manage_argv(*args), env=env, capture_output=True, text=True, timeout=TIMEOUT, cwd=PROJECT
    )


def pgwarden_migrate(dsn: str, *args: str, settings: Any = None) -> Process:
    env = {"PGWARDEN_TEST_DSN": dsn}
    if settings is not None:
        env["PGWARDEN_TEST_SETTINGS"] = json.dumps(settings)
    argv = manage_argv("pgwarden_migrate", *args, "--pgwarden-format", "json")
    return Process(argv, cwd=PROJECT, env=env)


def applied(dsn: str, app: str) -> list[str]:
    with_rows = scalar(
        dsn, "SELECT array_agg(name ORDER BY id) FROM django_migrations WHERE app = %s", (app,)
    )
    return list(with_rows or [])


def columns(dsn: str, table: str) -> list[str]:
    found = scalar(
        dsn,
        "SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute "
        "WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped",
        (table,),
    )
    return list(found or [])


def at_shop_0001(dsn: str, orders: int = 20) -> None:
    r = manage(dsn, "migrate", "shop", "0001")
    assert r.returncode == 0, r.stderr
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("INSERT INTO shop_customer (id, email) VALUES (1, 'a@example.com')")
        c.execute(
            "INSERT INTO shop_order (status, total) SELECT 'new', 1 FROM generate_series(1, %s)",
            (orders,),
        )


def test_waits_out_a_blocker_without_stalling_the_app(db: Any) -> None:
    at_shop_0001(db.dsn)
    app_queries = (
        "UPDATE shop_order SET total = total + 1 WHERE id = {id}",
        "SELECT status, total FROM shop_order WHERE id = {id}",
    )
    with AppLoad(db.dsn, app_queries) as app:
        backup = Blocker(db.dsn, "SELECT count(*) FROM shop_order")  # ACCESS SHARE, held
        run = pgwarden_migrate(db.dsn, "shop")
        with stopping(run, backup):
            waiting = run.wait_event("waiting")
            backup.release_after(2.0)  # a backup that ends while the deploy waits
            code = run.finish()
    assert code == 0, "".join(run.stderr)
    assert backup.released_at is not None
    # It waited for the backup by name, without queueing, and committed only after it left.
    # (An app transaction a busy machine slowed past the blocker age may be listed beside it.)
    assert any(b["pid"] == backup.pid and b["backup"] for b in waiting["blockers"])
    assert waiting["version"] == SHOP_0002
    done = [e for e in run.events if e["event"] == "migration_applied"]
    assert [e["version"] for e in done] == [SHOP_0002]
    assert done[0]["at"] >= backup.released_at
    assert "customer_id" in columns(db.dsn, "shop_order")
    assert applied(db.dsn, "shop") == ["0001_initial", "0002_order_customer_and_index"]
    # The pre-flight named the backup before anything ran.
    [pre] = [e for e in run.events if e["event"] == "preflight"]
    assert pre["verdict"] != "GO" and backup.pid in [b["pid"] for b in pre["blockers"]]
    # The application kept working while the backup held the table, and never queued
    # behind the migration for long.
    assert app.count(waiting["at"], backup.released_at) > 20
    assert not app.errors, app.errors[:3]
    assert app.max_latency() < 1.0, app.max_latency()
    assert "Applying shop.0002_order_customer_and_index... OK" in run.stdout


def test_lock_timeouts_are_retried(db: Any) -> None:
    """A DO block hides its table from the lock model: no waiting ahead, so the first attempt
    hits lock_timeout, rolls back, and the migration runs again once the blocker has gone."""
    r = manage(db.dsn, "migrate", "ledger", "0001")
    assert r.returncode == 0, r.stderr
    reader = Blocker(db.dsn, "SELECT count(*) FROM ledger_entry", app="report")
    run = pgwarden_migrate(db.dsn, "ledger", "0002")
    with stopping(run, reader):
        run.wait_event("lock_timeout")
        reader.release_after(0.5)
        code = run.finish()
    assert code == 0, "".join(run.stderr)
    timeouts = [e for e in run.events if e["event"] == "lock_timeout"]
    assert timeouts and {e["via"] for e in timeouts} <= {"lock_timeout", "watchdog"}
    assert all(e["version"] == LEDGER_0002 for e in timeouts)
    [done] = [e for e in run.events if e["event"] == "migration_applied"]
    assert done["version"] == LEDGER_0002
    assert done["attempts"] == len(timeouts) + 1 >= 2
    # Django ran the migration once per attempt; only the last one committed.
    assert run.stdout.count(f"Applying {LEDGER_0002}...") == done["attempts"]
    assert "memo" in columns(db.dsn, "ledger_entry")
    assert applied(db.dsn, "ledger") == ["0001_initial", "0002_entry_memo"]


def test_each_statement_runs_under_the_policy(db: Any) -> None:
    """Session settings on Django's connection, per-statement timeouts from the lock model."""
    install_capture(db.dsn)
    run = pgwarden_migrate(db.dsn, "ledger", settings={"statement_timeout": "5s"})
    assert run.finish() == 0, "".join(run.stderr)
    [started] = [e for e in run.events if e["event"] == "run_started"]
    app = f"pgwarden/{started['run_id']}"
    assert captured(db.dsn) == [
        # django_migrations, before any migration: the session's settings.
        ("CREATE TABLE", "50ms", "5s", app),
        # A new table blocks nobody: no lock_timeout, like the runner gives it.
        ("CREATE TABLE", "0", "5s", app),
        # The DO block cannot be modelled: the short lock_timeout guards it.
        ("ALTER TABLE", "50ms", "5s", app),
        # CONCURRENTLY blocks no traffic and may take hours: no timeouts at all.
        ("CREATE INDEX", "0", "0", app),
    ]
    assert applied(db.dsn, "ledger") == ["0001_initial", "0002_entry_memo", "0003_entry_amount_idx"]


def test_invalid_index_of_a_failed_concurrent_build_is_dropped_before_the_next(db: Any) -> None:
    r = manage(db.dsn, "migrate", "ledger", "0002")
    assert r.returncode == 0, r.stderr
    valid = "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('ledger_entry_amount')"
    # An open writer: CREATE INDEX CONCURRENTLY waits for it after creating the index entry.
    writer = Blocker(db.dsn, "INSERT INTO ledger_entry (amount) VALUES (1)", app="writer")
    try:
        run = pgwarden_migrate(db.dsn, "ledger", settings={"max_wait": "1s"})
        code = run.finish()
    finally:
        run.kill()
        writer.release()
    assert code == 1, "".join(run.stderr)
    assert "gave up after" in "".join(run.stderr)
    assert scalar(db.dsn, valid) is False  # what a failed concurrent build leaves
    again = pgwarden_migrate(db.dsn, "ledger")
    assert again.finish() == 0, "".join(again.stderr)
    notes = [e["message"] for e in again.events if e["event"] == "notice"]
    assert any("dropping INVALID index" in n and "ledger_entry_amount" in n for n in notes)
    assert scalar(db.dsn, valid) is True
    assert applied(db.dsn, "ledger")[-1] == "0003_entry_amount_idx"


def test_sigterm_while_waiting_exits_143_and_leaves_nothing(db: Any) -> None:
    at_shop_0001(db.dsn)
    backup = Blocker(db.dsn, "SELECT count(*) FROM shop_order")
    run = pgwarden_migrate(db.dsn, "shop")
    with stopping(run, backup):
        started = run.wait_event("run_started")
        run.wait_event("waiting")
        # The migration's own session carries the run id while it waits.
        names = {name for _, name in pgwarden_sessions(db.dsn)}
        assert f"pgwarden/{started['run_id']}" in names, names
        run.proc.send_signal(signal.SIGTERM)
        code = run.finish()
    assert code == 143, "".join(run.stderr)
    stderr = "".join(run.stderr)
    assert "aborted by SIGTERM" in stderr and "Traceback" not in stderr
    assert [e["event"] for e in run.events][-2:] == ["migration_aborted", "run_finished"]
    wait_until(lambda: not pgwarden_sessions(db.dsn), what="pgwarden's sessions to go")
    assert applied(db.dsn, "shop") == ["0001_initial"]
    assert "customer_id" not in columns(db.dsn, "shop_order")


def test_gives_up_at_max_wait(db: Any) -> None:
    at_shop_0001(db.dsn)
    backup = Blocker(db.dsn, "SELECT count(*) FROM shop_order")
    run = pgwarden_migrate(db.dsn, "shop", settings={"max_wait": "1s"})
    with stopping(run, backup):
        code = run.finish()
    stderr = "".join(run.stderr)
    assert code == 1, stderr
    assert "gave up after" in stderr and f"pid {backup.pid}" in stderr
    assert "Traceback" not in stderr
    [failed] = [e for e in run.events if e["event"] == "migration_failed"]
    assert failed["version"] == SHOP_0002
    assert applied(db.dsn, "shop") == ["0001_initial"]


def test_bad_settings_are_a_clear_error(db: Any) -> None:
    r = manage(db.dsn, "pgwarden_migrate", settings={"lock_timout": "1s"})
    assert r.returncode == 2
    assert "settings.PGWARDEN: unknown key 'lock_timout'" in r.stderr
    assert "Traceback" not in r.stderr
    assert scalar(db.dsn, "SELECT to_regclass('django_migrations')") is None  # nothing ran


def test_settings_map_onto_the_policy() -> None:
    p = policy_from(
        {"lock_timeout": "100ms", "max_wait": 90, "statement_timeout": None, "pg_version": 16},
        "settings.PGWARDEN",
        other_keys=("pg_version",),
    )
    assert (p.lock_timeout, p.max_wait, p.statement_timeout) == (0.1, 90.0, None)
    assert p.max_queue == defaults()["max_queue"] == 0.05
    assert policy_from({"idle_timeout": "1m"}, "x").idle_in_transaction_timeout == 60.0
    with pytest.raises(ConfigError, match=r"settings.PGWARDEN\['max_wait'\]: a duration"):
        policy_from({"max_wait": None}, "settings.PGWARDEN")
    with pytest.raises(ConfigError, match=r"\['lock_timeout'\]: invalid duration '5 parsecs'"):
        policy_from({"lock_timeout": "5 parsecs"}, "settings.PGWARDEN")
    with pytest.raises(ConfigError, match="lock-timeout must be greater than 0"):
        policy_from({"lock_timeout": 0}, "settings.PGWARDEN")


def test_pgwarden_run_wraps_plain_migrate(db: Any) -> None:
    """The generic wrapper: Django's own migrate, retried when it fails on a lock timeout."""
    at_shop_0001(db.dsn)
    backup = Blocker(db.dsn, "SELECT count(*) FROM shop_order")
    argv = [sys.executable, "-m", "pgwarden", "run", "--dsn", db.dsn, "--format", "json", "--"]
    run = Process(
        [*argv, *manage_argv("migrate", "shop")], cwd=PROJECT, env={"PGWARDEN_TEST_DSN": db.dsn}
    )
    with stopping(run, backup):
        first = run.wait_event("command_exited")
        backup.release_after(0.5)
        code = run.finish()
    stderr = "".join(run.stderr)
    assert code == 0, stderr
    assert first["lock_timeout"] and first["returncode"] != 0
    runs = [e for e in run.events if e["event"] == "command_exited"]
    assert len(runs) >= 2 and runs[-1]["returncode"] == 0
    assert "canceling statement due to lock timeout" in stderr  # Django's own traceback
    assert applied(db.dsn, "shop") == ["0001_initial", "0002_order_customer_and_index"]
