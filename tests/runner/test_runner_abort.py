"""SIGTERM/SIGINT and a server-side kill: nothing left running, history consistent (PG 18)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest
from _runner_helpers import (
    Blocker,
    Cli,
    Db18,
    pgwarden_sessions,
    runner_lock_held,
    wait_until,
    write_migrations,
)

import pgtools
from pgwarden.runner import Abort, migrate
from pgwarden.runner.errors import RunAborted
from pgwarden.runner.events import Event, StatementStarted


def _history(db: Db18) -> dict[str, str]:
    with db.connect() as c:
        rows = c.execute("SELECT version, outcome FROM pgwarden.migrations").fetchall()
    return dict(rows)  # type: ignore[arg-type]


def _assert_clean(db: Db18) -> None:
    # The server may take a moment to reap a backend whose client went away.
    wait_until(lambda: not pgwarden_sessions(db.dsn), timeout=30, what="pgwarden sessions to end")
    assert not runner_lock_held(db.dsn)
    with db.connect() as c:
        held = c.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE a.application_name LIKE 'pgwarden%'"
        ).fetchone()
    assert held == (0,)


def _setup(db: Db18, tmp_path: Path, second: str) -> Path:
    with db.connect() as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY)")
    return write_migrations(
        tmp_path,
        {"0001_a.sql": "CREATE TABLE a (id int);\n", "0002_b.sql": second},
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_while_waiting_for_a_backup(
    db18: Db18, tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    d = _setup(db18, tmp_path, "ALTER TABLE t ADD COLUMN b int;\n")
    backup = Blocker(db18.dsn, "t")
    try:
        time.sleep(0.2)
        cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
        cli.wait_event("waiting", version="0002_b")
        sent = time.monotonic()
        cli.proc.send_signal(sig)
        rc, out, err = cli.finish()
        print(f"exited {time.monotonic() - sent:.3f} s after the signal")
    finally:
        backup.release()
    assert rc == code, err
    assert f"aborted by {sig.name}" in err and "Traceback" not in err
    assert '"event": "migration_aborted"' in out
    _assert_clean(db18)
    assert _history(db18) == {"0001_a": "applied", "0002_b": "aborted"}


def test_sigterm_mid_statement(db18: Db18, tmp_path: Path) -> None:
    d = _setup(db18, tmp_path, "CREATE TABLE b (id int);\nSELECT pg_sleep(60);\n")
    cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
    cli.wait_event("statement_started", sql="pg_sleep")
    wait_until(
        lambda: (
            db18.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT pg_sleep%%' "
                "AND state = 'active' AND datname = current_database()"
            )
            == 1
        ),
        what="pg_sleep to run",
    )
    cli.proc.send_signal(signal.SIGTERM)
    rc, _, err = cli.finish()
    assert rc == 143, err
    _assert_clean(db18)
    assert _history(db18) == {"0001_a": "applied", "0002_b": "aborted"}
    assert db18.scalar("SELECT to_regclass('b')") is None  # rolled back


def test_abort_from_the_library(db18: Db18, tmp_path: Path) -> None:
    import threading

    d = _setup(db18, tmp_path, "SELECT pg_sleep(60);\n")
    abort = Abort()

    def sink(e: Event) -> None:
        if isinstance(e, StatementStarted) and "pg_sleep" in e.sql:
            threading.Timer(0.3, abort.request, args=(signal.SIGTERM,)).start()

    with pytest.raises(RunAborted) as err:
        migrate(d, db18.dsn, events=sink, abort=abort)
    assert err.value.exit_code == 143
    _assert_clean(db18)
    assert _history(db18)["0002_b"] == "aborted"


def test_connection_killed_by_the_server(db18: Db18, tmp_path: Path) -> None:
    with db18.connect() as c:
        c.execute("CREATE TABLE sleepcfg (s float8)")
        c.execute("INSERT INTO sleepcfg VALUES (60)")
    d = write_migrations(
        tmp_path,
        {
            "0001_a.sql": "CREATE TABLE a (id int);\n",
            "0002_b.sql": "CREATE TABLE b (id int);\nSELECT pg_sleep((SELECT s FROM sleepcfg));\n",
            "0003_c.sql": "CREATE TABLE c (id int);\n",
        },
    )
    cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
    ev = cli.wait_event("run_started")
    cli.wait_event("statement_started", sql="pg_sleep")
    with db18.connect() as c:
        c.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
            (f"pgwarden/{ev['run_id']}",),
        )
    rc, _, err = cli.finish()
    assert rc == 1
    assert "0002_b.sql: lost the connection to the server" in err and "Traceback" not in err
    _assert_clean(db18)
    assert _history(db18) == {"0001_a": "applied", "0002_b": "failed"}
    assert db18.scalar("SELECT to_regclass('b')") is None

    with db18.connect() as c:
        c.execute("UPDATE sleepcfg SET s = 0")
    rc2 = Cli("migrate", str(d), "--dsn", db18.dsn).finish()
    assert rc2[0] == 0, rc2[2]  # 0001 is not re-run (CREATE TABLE a would fail)
    assert _history(db18) == dict.fromkeys(("0001_a", "0002_b", "0003_c"), "applied")


def test_sigkill_mid_statement_does_not_leave_the_statement_running(
    db18: Db18, tmp_path: Path
) -> None:
    """No handler runs on SIGKILL: the session settings must end the orphaned statement."""
    d = _setup(db18, tmp_path, "CREATE TABLE b (id int);\nSELECT pg_sleep(60);\n")
    cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
    cli.wait_event("statement_started", sql="pg_sleep")
    cli.proc.send_signal(signal.SIGKILL)
    assert cli.finish()[0] == -signal.SIGKILL
    # client_connection_check_interval makes the server notice within about a second,
    # where a bare pg_sleep(60) would otherwise hold its locks for a minute.
    wait_until(lambda: not pgwarden_sessions(db18.dsn), timeout=15, what="orphan to end")
    assert not runner_lock_held(db18.dsn)
    assert db18.scalar("SELECT to_regclass('b')") is None
    assert _history(db18) == {"0001_a": "applied"}  # 0002 never committed: still pending


def _index_valid(db: Db18, name: str) -> bool | None:
    row = db.scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,))
    return None if row is None else bool(row)


def test_concurrently_file_interrupted_then_rerun_succeeds(db18: Db18, tmp_path: Path) -> None:
    with db18.connect() as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY, email text)")
        c.execute("INSERT INTO t SELECT g, 'u' || g FROM generate_series(1, 100) g")
    d = write_migrations(
        tmp_path,
        {
            "0001_a.sql": "CREATE TABLE a (id int);\n",
            "0002_idx.sql": "CREATE INDEX CONCURRENTLY t_email ON t (email);\n",
        },
    )
    # An application transaction that wrote to t and stays open: the build records its index
    # (INVALID) and then waits for every transaction that may still write to the table.
    writer = pgtools.Blocker(db18.dsn, "UPDATE t SET email = email WHERE id = 1", "app")
    try:
        cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
        cli.wait_event("statement_started", version="0002_idx")
        wait_until(
            lambda: (
                _index_valid(db18, "t_email") is False
                and any(state == "active" for *_, state in pgtools.sessions(db18, "pgwarden/"))
                and pgtools.lock_waiters(db18, "pgwarden/")
            ),
            what="the index build to wait for the writer",
        )
        cli.proc.send_signal(signal.SIGTERM)
        rc, out, err = cli.finish()
        assert rc == 143, err
        assert "aborted by SIGTERM" in err and "Traceback" not in err
        # Not "rolled back ... nothing is left": the build's INVALID index is still there.
        assert "stopped after 0 of 1 statement(s)" in err and "rolled back" not in err
        assert "left INVALID index" in err and "t_email" in err
        _assert_clean(db18)
        assert _history(db18) == {"0001_a": "applied", "0002_idx": "aborted"}
        assert _index_valid(db18, "t_email") is False
    finally:
        writer.release()

    rc, out, err = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json").finish()
    assert rc == 0, out + err
    assert "dropping INVALID index" in out
    assert _index_valid(db18, "t_email") is True
    assert _history(db18) == {"0001_a": "applied", "0002_idx": "applied"}
