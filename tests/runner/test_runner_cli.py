"""The `migrate`, `status` and `run` commands: output formats and errors a person can act on."""

from __future__ import annotations

import json
import time
from pathlib import Path

from _runner_helpers import Blocker, Cli, Db18, write_migrations

from pgwarden.cli.main import main

FILES = {
    "0001_t.sql": "CREATE TABLE t (id int PRIMARY KEY);\n",
    "0002_col.sql": "ALTER TABLE t ADD COLUMN c int;\n",
}


def test_text_log_and_status(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    rc, out, err = Cli("migrate", str(d), "--dsn", db18.dsn).finish()
    assert rc == 0, err
    assert "0001_t: applied in" in out and "done: 2 applied" in out
    write_migrations(d, {"0003_new.sql": "SELECT 1;\n"})
    rc, out, _ = Cli("status", str(d), "--dsn", db18.dsn).finish()
    assert rc == 0
    lines = [line.split() for line in out.splitlines()]
    assert lines[2][:2] == ["applied", "0001_t"] and lines[4][:2] == ["pending", "0003_new"]
    assert "2 applied, 1 pending" in out
    rc, out, _ = Cli("status", str(d), "--dsn", db18.dsn, "--format", "json").finish()
    doc = json.loads(out)
    assert [(m["version"], m["state"]) for m in doc["migrations"]] == [
        ("0001_t", "applied"),
        ("0002_col", "applied"),
        ("0003_new", "pending"),
    ]


def test_json_event_log(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    rc, out, _ = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json").finish()
    assert rc == 0
    kinds = [json.loads(line)["event"] for line in out.splitlines()]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("migration_applied") == 2 and "statement_done" in kinds


def test_dry_run_lints_and_checks_without_changing_anything(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    assert Cli("migrate", str(d), "--dsn", db18.dsn).finish()[0] == 0
    write_migrations(d, {"0003_idx.sql": "ALTER TABLE t ADD d int;\nCREATE INDEX t_c ON t (c);\n"})
    backup = Blocker(db18.dsn, "t")
    try:
        time.sleep(0.2)
        rc, out, err = Cli("migrate", str(d), "--dsn", db18.dsn, "--dry-run").finish()
        rc_json, out_json, _ = Cli(
            "migrate", str(d), "--dsn", db18.dsn, "--dry-run", "--format", "json"
        ).finish()
    finally:
        backup.release()
    assert "would apply 0003_idx" in out
    assert f"pid {backup.pid} `pg_dump` (backup)" in out
    assert "require-concurrent-index-creation" in out  # lint of the pending file
    assert rc == rc_json == 1, err  # lint found an error
    doc = json.loads(out_json)
    assert doc["would_run"] == ["0003_idx"]
    assert doc["preflight"]["blockers"][0]["pid"] == backup.pid
    assert db18.scalar("SELECT to_regclass('t_c')") is None
    assert db18.scalar("SELECT count(*) FROM pgwarden.migrations") == 2


def test_errors_are_messages_not_tracebacks(tmp_path: Path, capsys: object) -> None:
    cases = [
        (["migrate", str(tmp_path / "missing"), "--dsn", "host=/nonexistent"], "not a directory"),
        (
            ["migrate", str(tmp_path), "--dsn", "postgresql://u:s3cret@127.0.0.1:1/x"],
            "cannot connect",
        ),
        (["run", "--dsn", "host=/x"], "nothing to run"),
    ]
    for argv, expected in cases:
        assert main(argv) == 2
        err = capsys.readouterr().err  # type: ignore[attr-defined]
        assert expected in err and "Traceback" not in err and "s3cret" not in err


def test_bad_duration_is_a_usage_error(tmp_path: Path) -> None:
    rc, _, err = Cli("migrate", str(tmp_path), "--lock-timeout", "soon").finish()
    assert rc == 2 and "invalid duration 'soon'" in err


def test_sql_error_points_at_the_file(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, {"0001_bad.sql": "SELECT 1;\nSELEC 2;\n"})
    rc, _, err = Cli("migrate", str(d), "--dsn", db18.dsn).finish()
    assert rc == 2 and "0001_bad.sql:2:1:" in err and "Traceback" not in err
