"""`pgwarden rehearse` end to end: CMD mode, exit codes, redaction, --keep, usage errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
import pytest
from rehearse_support import PASSWORD, Source, pgwarden, stop_kept, write

from pgwarden.cli.main import main

ROWS = """
CREATE TABLE accounts (id int PRIMARY KEY, age text, nickname text);
INSERT INTO accounts SELECT g, (20 + g % 50)::text, 'n' || g FROM generate_series(1, 300) g;
UPDATE accounts SET age = 'abc' WHERE id = 217;
UPDATE accounts SET nickname = NULL WHERE id IN (42, 99);
"""


def _nulls(source: Source) -> int:
    with psycopg.connect(source.admin_dsn) as conn:
        row = conn.execute("SELECT count(*) FROM accounts WHERE nickname IS NULL").fetchone()
        assert row is not None
        return int(row[0])


def test_command_runs_against_the_copy_without_the_source_credentials(
    source: Source, tmp_path: Path
) -> None:
    source.run(ROWS)
    fix = tmp_path / "fix.sql"
    fix.write_text("UPDATE accounts SET nickname = '' WHERE nickname IS NULL;\n")
    # A user's environment may carry the source's password: CMD must not inherit it.
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    script = f"psql -X -v ON_ERROR_STOP=1 -f {fix} && env"
    argv = ["rehearse", "--from", source.dsn, "--format", "json", "--", "sh", "-c", script]
    done = pgwarden(*argv, env=env)
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    command = json.loads(done.stdout)["command"]
    assert command["exit_status"] == 0
    output = command["output"].splitlines()
    assert "UPDATE 2" in output
    url = next(ln for ln in output if ln.startswith("DATABASE_URL="))
    assert url.endswith(f"/{source.name}")
    assert f":{source.cluster.port}/" not in url  # the copy, not the source
    assert _nulls(source) == 2


def test_failing_command_exits_1(source: Source) -> None:
    source.run(ROWS)
    sql = "ALTER TABLE accounts ALTER COLUMN nickname SET NOT NULL"
    done = pgwarden(
        "rehearse", "--from", source.dsn, "--", "psql", "-X", "-v", "ON_ERROR_STOP=1", "-c", sql
    )
    assert done.returncode == 1, done.stderr
    assert 'column "nickname" of relation "accounts" contains null values' in done.stdout
    assert "exit 1" in done.stdout  # psql -c: a failed command exits 1


def test_password_is_never_printed(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    cast = "ALTER TABLE accounts ALTER age TYPE int USING age::int;\n"
    mig = write(tmp_path / "m", {"001.sql": cast})
    done = pgwarden("rehearse", str(mig), "--from", source.dsn)
    assert done.returncode == 1, done.stderr
    out = done.stdout + done.stderr
    assert PASSWORD not in out
    assert f"postgresql://app:***@127.0.0.1:{source.cluster.port}/{source.name}" in out
    assert "001.sql:1:1" in out and '"age":"abc"' in out  # the failure and its row
    # The table the migration alters is copied whole, and the report says why.
    touched = f"whole, 300 rows (touched by ALTER TABLE ALTER COLUMN TYPE at {mig / '001.sql'}:1)"
    assert touched in done.stdout
    wrong = source.dsn.replace(PASSWORD, "Wr0ng-" + PASSWORD)
    done = pgwarden("rehearse", str(mig), "--from", wrong)
    assert done.returncode == 2
    assert "password authentication failed" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_keep_leaves_a_copy_to_connect_to(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    mig = write(tmp_path / "m", {"001.sql": "ALTER TABLE accounts ADD COLUMN email text;\n"})
    done = pgwarden("rehearse", str(mig), "--from", source.dsn, "--keep", "--format", "json")
    assert done.returncode == 0, done.stderr
    copy = json.loads(done.stdout)["copy"]
    assert copy["kept"] and PASSWORD not in done.stdout
    try:
        with psycopg.connect(copy["dsn"]) as conn:
            # The migration ran on the copy and committed there, and only there.
            counts = conn.execute("SELECT count(email), count(*) FROM accounts").fetchone()
            assert counts == (0, 300)
    finally:
        stop_kept(copy["pid"], copy["directory"])
    with psycopg.connect(source.admin_dsn) as conn:
        assert conn.execute(
            "SELECT count(*) FROM information_schema.columns WHERE column_name = 'email'"
        ).fetchone() == (0,)


def test_usage_errors_exit_2_before_anything_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path / "m", {"001.sql": "SELECT 1;\nALTER TABLE x ADD COLUMN;\n"})
    cases = [
        (["rehearse", str(bad)], "--from DSN is required"),
        (["rehearse", "--from", "postgresql://u:pw@h/db"], "nothing to rehearse"),
        (["rehearse", str(bad), "--from", "x", "--full", "--sample-rows", "5"], "not both"),
        (["rehearse", str(bad), "--from", "x", "--whole-under", "-1"], "expected 0 or more"),
        (["rehearse", str(bad), "--from", "x", "--full", "--seed", "3"], "--seed applies to"),
        (["rehearse", str(bad), "--from", "x", "--seed", "-3"], "--seed -3: expected"),
        # Nothing is started and the (unreachable) source is not contacted: parsing comes first.
        (["rehearse", str(bad), "--from", "postgresql://127.0.0.1:1/db"], "001.sql:2:"),
        (["rehearse", "--from", "port=1 password=pw", "--", "true"], "port=1 password=***"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err, (argv, err)
        assert "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["rehearse", str(bad), "--from", "x", "--budget", "soon"])
    assert exit_.value.code == 2
    assert "invalid duration" in capsys.readouterr().err
