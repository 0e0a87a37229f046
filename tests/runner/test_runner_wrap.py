"""`pgwarden run -- psql ...`: PGOPTIONS, PGAPPNAME, retries on lock timeouts, clean abort."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

from _runner_helpers import Blocker, Cli, Db18, pgwarden_sessions, wait_until


def _psql(db: Db18, *args: str) -> list[str]:
    return [str(db.cluster.bin("psql")), db.dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]


def _events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def test_settings_reach_the_command(db18: Db18) -> None:
    cmd = _psql(
        db18,
        "-At",
        "-c",
        "SHOW lock_timeout",
        "-c",
        "SHOW work_mem",
        "-c",
        "SHOW idle_in_transaction_session_timeout",
        "-c",
        "SHOW application_name",
    )
    rc, out, err = Cli(
        "run", "--dsn", db18.dsn, "--", *cmd, env={"PGOPTIONS": "-c work_mem=7MB"}
    ).finish()
    assert rc == 0, err
    lt, wm, idle, app = out.split()
    assert (lt, wm, idle) == ("50ms", "7MB", "10s")  # ours appended, the user's kept
    assert app.startswith("pgwarden-run/")


def test_lock_timeout_in_the_command_is_retried(db18: Db18, tmp_path: Path) -> None:
    with db18.connect() as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY)")
    sql = tmp_path / "m.sql"
    sql.write_text("ALTER TABLE t ADD COLUMN b int;\n")
    backup = Blocker(db18.dsn, "t")
    cli = Cli(
        "run",
        "--dsn",
        db18.dsn,
        "--format",
        "json",
        "--",
        *_psql(db18, "-1", "-f", str(sql)),
        events_from="stderr",
    )
    try:
        # Held until the first run of the command has given up: however long pgwarden and
        # psql take to start, the ALTER meets the backup.
        cli.wait_event("command_exited")
    finally:
        backup.release()
    rc, _, err = cli.finish()
    assert rc == 0, err
    assert "canceling statement due to lock timeout" in err  # psql's own output, passed through
    runs = [e for e in _events(err) if e["event"] == "command_exited"]
    assert len(runs) >= 2 and runs[0]["lock_timeout"] and runs[-1]["returncode"] == 0
    assert (
        db18.scalar(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'b'"
        )
        == 1
    )


def test_other_failures_are_not_retried(db18: Db18) -> None:
    rc, _, err = Cli(
        "run", "--dsn", db18.dsn, "--format", "json", "--", *_psql(db18, "-c", "SELECT 1/0")
    ).finish()
    assert rc == 1  # psql -c exits 1 when the statement fails: passed on as is
    assert [e["event"] for e in _events(err)].count("command_started") == 1


def test_sigterm_cancels_the_commands_statements_first(db18: Db18) -> None:
    cli = Cli("run", "--dsn", db18.dsn, "--", *_psql(db18, "-c", "SELECT pg_sleep(60)"))
    wait_until(
        lambda: (
            db18.scalar(
                "SELECT count(*) FROM pg_stat_activity WHERE starts_with(application_name, "
                "'pgwarden-run/') AND state = 'active' AND query LIKE '%%pg_sleep%%' "
                "AND datname = current_database()"
            )
            == 1
        ),
        what="the command's statement",
    )
    sent = time.monotonic()
    cli.proc.send_signal(signal.SIGTERM)
    rc, _, err = cli.finish()
    print(f"exited {time.monotonic() - sent:.3f} s after SIGTERM")
    assert rc == 143, err
    assert "aborted by SIGTERM" in err
    wait_until(lambda: not pgwarden_sessions(db18.dsn), timeout=30, what="sessions to end")


def test_command_not_found(db18: Db18) -> None:
    rc, _, err = Cli("run", "--dsn", db18.dsn, "--", "/nonexistent/migrate").finish()
    assert rc == 2 and "cannot run /nonexistent/migrate" in err and "Traceback" not in err
