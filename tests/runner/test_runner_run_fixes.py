"""`pgwarden run` after the issue 5 audit: max-wait counts waiting only, the pre-flight says what
it does, its own sessions carry its tag, no `--long-statement-timeout`; servers before 12."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _runner_helpers import Cli, Db18, wait_until

import pgtools
from pgwarden.runner.errors import UnsupportedServer
from pgwarden.runner.script import require_supported

GATE = 4242  # advisory lock key the blocker holds; later runs of the command wait on it


def _events(stderr: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]


def _psql(db: Db18, *args: str) -> list[str]:
    return [str(db.cluster.bin("psql")), db.dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1", *args]


def _waiting_at_gate(db: Db18) -> bool:
    n = db.scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgwarden-run/%%' "
        "AND wait_event_type = 'Lock' AND wait_event = 'advisory' "
        "AND datname = current_database()"
    )
    return bool(n)


def test_max_wait_does_not_count_the_time_the_command_runs(db18: Db18, tmp_path: Path) -> None:
    """A command that has run longer than --max-wait when it meets a lock timeout is retried.

    The first run sleeps 100 ms (ten times --max-wait) before its ALTER meets the backup's lock.
    Later runs first wait at an advisory lock the backup also holds, so the re-run's ALTER
    comes after the backup has gone whatever the timing; the test lets the backup go once a
    re-run is seen waiting there.
    """
    db18.run("CREATE TABLE t (id int PRIMARY KEY)")
    first = tmp_path / "first.sql"
    first.write_text("SELECT pg_sleep(0.1);\nALTER TABLE t ADD COLUMN b int;\n")
    again = tmp_path / "again.sql"
    again.write_text(
        "SET lock_timeout = 0;\n"
        f"SELECT pg_advisory_lock_shared({GATE});\n"
        "RESET lock_timeout;\n"
        "ALTER TABLE t ADD COLUMN b int;\n"
    )
    marker = tmp_path / "ran-once"
    script = tmp_path / "migrate.sh"
    psql = " ".join(f'"{a}"' for a in _psql(db18)[2:])
    script.write_text(
        f'if [ -e "{marker}" ]; then f="{again}"; else touch "{marker}"; f="{first}"; fi\n'
        f'exec "{db18.cluster.bin("psql")}" "$DSN" {psql} -f "$f"\n'
    )
    backup = pgtools.Blocker(
        db18.dsn, f"SELECT count(*) FROM t; SELECT pg_advisory_xact_lock({GATE})", "pg_dump"
    )
    cli = Cli(
        "run",
        "--dsn",
        db18.dsn,
        "--max-wait",
        "10ms",
        "--format",
        "json",
        "--",
        "sh",
        str(script),
        env={"DSN": db18.dsn},
        events_from="stderr",
    )
    try:
        cli.wait_event("command_started", attempt=2)
        wait_until(lambda: _waiting_at_gate(db18), timeout=30, what="the re-run at the gate")
    finally:
        backup.release()
    rc, _, err = cli.finish()
    assert rc == 0, err
    runs = [e for e in _events(err) if e["event"] == "command_exited"]
    assert [e["lock_timeout"] for e in runs] == [True, False], runs
    assert "canceling statement due to lock timeout" in err and "gave up" not in err
    assert (
        db18.scalar(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'b'"
        )
        == 1
    )


def test_preflight_reports_long_transactions_without_claiming_to_wait(db18: Db18) -> None:
    db18.run("CREATE TABLE t (id int PRIMARY KEY)")
    backup = pgtools.Blocker(db18.dsn, "SELECT count(*) FROM t", "pg_dump")
    try:
        rc, _, err = Cli("run", "--dsn", db18.dsn, "--", *_psql(db18, "-c", "SELECT 1")).finish()
        assert rc == 0, err
        assert (
            "pre-flight: 1 long transaction(s) or backup(s) open (the command may have to wait "
            f"for them): pid {backup.pid} `pg_dump`" in err
        ), err
        assert "to wait for:" not in err
        rc, _, err = Cli(
            "run", "--dsn", db18.dsn, "--format", "json", "--", *_psql(db18, "-c", "SELECT 1")
        ).finish()
        assert rc == 0, err
    finally:
        backup.release()
    (pre,) = [e for e in _events(err) if e["event"] == "preflight"]
    assert pre["source"] == "long-transactions"
    assert [b["pid"] for b in pre["blockers"]] == [backup.pid]  # type: ignore[union-attr]


def test_runs_own_sessions_carry_its_tag(db18: Db18) -> None:
    """Control and watchdog are `pgwarden-run/<id>/control`, `/watchdog`, so `pgwarden
    blockers` labels them as this run, and the command's own session is the bare tag."""
    cmd = _psql(
        db18,
        "-At",
        "-c",
        "SELECT string_agg(application_name, ',' ORDER BY application_name) FROM "
        "pg_stat_activity WHERE application_name LIKE 'pgwarden%' "
        "AND datname = current_database()",
    )
    rc, out, err = Cli("run", "--dsn", db18.dsn, "--", *cmd).finish()
    assert rc == 0, err
    names = out.strip().split(",")
    (child,) = [n for n in names if n.count("/") == 1]
    assert child.startswith("pgwarden-run/")
    assert sorted(names) == sorted([child, f"{child}/control", f"{child}/watchdog"])


def test_run_has_no_long_statement_timeout() -> None:
    rc, _, err = Cli("run", "--long-statement-timeout", "1h", "--", "true").finish()
    assert rc == 2 and "unrecognized arguments: --long-statement-timeout" in err
    rc, out, _ = Cli("migrate", "--help").finish()
    assert rc == 0 and "--long-statement-timeout" in out


@pytest.mark.parametrize(
    ("num", "shown"), [(110022, "PostgreSQL 11;"), (100005, "PostgreSQL 10;"), (90624, "9.6;")]
)
def test_servers_before_12_are_refused(num: int, shown: str) -> None:
    with pytest.raises(UnsupportedServer) as err:
        require_supported(num, "pgwarden migrate")
    assert err.value.exit_code == 2
    msg = str(err.value)
    assert msg.startswith("pgwarden migrate needs PostgreSQL 12 or later") and shown in msg
    assert "nothing was run" in msg


@pytest.mark.parametrize("num", [120000, 150010, 180001, 190000])
def test_supported_and_newer_servers_are_accepted(num: int) -> None:
    require_supported(num, "pgwarden run")
