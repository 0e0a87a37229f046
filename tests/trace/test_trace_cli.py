"""`pgwarden trace` on the command line: formats, exit codes, DSN safety, usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from trace_support import Write, tables

from pgwarden.cli.main import main

SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, a int);\n"
MIGRATION = "ALTER TABLE t ADD COLUMN b int;\nCREATE INDEX t_a ON t (a);\n"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["trace", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_output(db: Any, write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    schema, mig = write("schema.sql", SCHEMA), write("0002.sql", MIGRATION)
    code, out, _ = _run(
        capsys,
        *(str(mig), "--schema", str(schema), "--dsn", db.dsn, "--commit"),
        *("--format", "json", "--compare"),
    )
    assert code == 0
    doc = json.loads(out)
    assert doc["observed"] is True and doc["target"]["major"] == db.major
    assert doc["target"]["committed"] is True and doc["compare"]["disagree"] == 0
    (f,) = doc["files"]
    assert f["transaction"] == "file" and f["error"] is None
    _, idx = f["statements"]
    # lint's statement keys, plus what was observed.
    for key in ("line", "column", "sql", "kind", "locks", "held", "rewrites", "scans", "findings"):
        assert key in idx
    assert idx["observed"] is True and idx["sampled"] is False and idx["granted"] is True
    assert isinstance(idx["duration_ms"], float)
    share = next(lk for lk in idx["locks"] if lk["relation"] == "public.t")
    assert share == {
        "relation": "public.t",
        "mode": "ShareLock",
        "kind": "table",
        "new": False,
        "blocks_reads": False,
        "blocks_writes": True,
        "reason": "",
        "granted": True,
    }
    assert [h["mode"] for h in idx["held"] if h["relation"] == "public.t"] == [
        "AccessExclusiveLock"
    ]
    assert idx["comparison"]["status"] == "agree"
    assert idx["predicted"]["locks"][0]["mode"] == "ShareLock"


def test_markdown_output(db: Any, write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    schema, mig = write("schema.sql", SCHEMA), write("0002.sql", MIGRATION)
    code, out, _ = _run(
        capsys,
        str(mig),
        "--schema",
        str(schema),
        "--dsn",
        db.dsn,
        "--commit",
        "--format",
        "markdown",
    )
    assert code == 0
    head = "| Line | Statement | New locks | Blocked while it runs | Held | Rewrites | Time |"
    assert head in out
    # CREATE INDEX takes SHARE, but ADD COLUMN's ACCESS EXCLUSIVE is still held.
    row = "| 2 | `CREATE INDEX t_a ON t (a)` | **ShareLock** on `public.t` | "
    assert row + "`public.t`: blocks reads and writes | AccessExclusiveLock on `public.t` |" in out
    # Lint's findings follow the file's table, located like `pgwarden lint` locates them.
    assert "Lint findings:" in out
    assert "- line 2: **error** `require-concurrent-index-creation` (PW101): " in out


def test_text_output_prints_lint_findings_per_statement(
    db: Any, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    schema, mig = write("schema.sql", SCHEMA), write("0002.sql", MIGRATION)
    code, out, _ = _run(capsys, str(mig), "--schema", str(schema), "--dsn", db.dsn, "--commit")
    assert code == 0
    block = out[out.index("2:1 CREATE INDEX") :]
    assert "lint error[PW101] CREATE INDEX takes SHARE" in block
    assert "(require-concurrent-index-creation)" in block
    assert "lint finding(s)" in out


def test_text_output_and_failure_exit(
    db: Any, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    schema = write("schema.sql", SCHEMA)
    bad = write("0003.sql", "ALTER TABLE t ADD COLUMN c int;\nALTER TABLE t ADD COLUMN c int;\n")
    code, out, _ = _run(capsys, str(bad), "--schema", str(schema), "--dsn", db.dsn, "--commit")
    assert code == 1
    assert "AccessExclusiveLock public.t — blocks reads and writes" in out
    assert f'{bad}:2:1: failed: column "c" of relation "t" already exists' in out
    assert "(SQLSTATE 42701)" in out and "rolled back" in out


def test_dsn_refuses_a_non_empty_database(
    db: Any, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    with db.connect() as conn:
        conn.execute("CREATE TABLE precious (id int)")
        conn.commit()
    mig = write("m.sql", "CREATE TABLE x (id int);\nALTER TABLE precious ADD COLUMN y int;\n")
    code, out, err = _run(capsys, str(mig), "--dsn", db.dsn)
    assert code == 2 and out == ""
    assert "is not empty (relation public.precious)" in err and "--allow-existing" in err
    # --allow-existing traces against it, and rolls everything back.
    code, out, _ = _run(capsys, str(mig), "--dsn", db.dsn, "--allow-existing")
    assert code == 0 and "AccessExclusiveLock public.precious" in out
    assert tables(db) == {"public.precious"}
    with db.connect() as conn:
        cols = conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'precious'::regclass AND attnum > 0"
        ).fetchone()
    assert cols == (1,)


def test_commit_keeps_the_changes(
    db: Any, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    mig = write("m.sql", "CREATE TABLE kept (id int);\n")
    code, out, _ = _run(capsys, str(mig), "--dsn", db.dsn, "--commit")
    assert code == 0 and "committed (--commit)" in out
    assert tables(db) == {"public.kept"}


def test_passwords_never_printed(write: Write, capsys: pytest.CaptureFixture[str]) -> None:
    mig = write("m.sql", "SELECT 1;\n")
    dsn = "postgresql://alice:s3cret-pw@127.0.0.1:1/nowhere?connect_timeout=2"
    code, out, err = _run(capsys, str(mig), "--dsn", dsn)
    assert code == 2
    assert "s3cret-pw" not in out + err
    assert "alice:***@127.0.0.1" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give the migration files"),
        (["m.sql", "--commit"], "--allow-existing and --commit only apply with --dsn"),
        (["m.sql", "--rows", "0"], "--rows 0: expected a positive number"),
        (["m.sql", "--since", "nope.sql"], "--since nope.sql: not among the migration files"),
        (["--self-check", "m.sql"], "--self-check takes only --pg-bin and --format; not PATH"),
        (["m.sql", "--pg-bin", "/nonexistent"], "--pg-bin /nonexistent: no such directory"),
    ],
)
def test_usage_errors(
    argv: list[str],
    message: str,
    write: Write,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    write("m.sql", "SELECT 1;\n")
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


def test_unparsable_file_is_located(
    write: Write, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = write("bad.sql", "SELECT 1;\nALTER TABLE t ADD COLUMN;\n")
    code, out, err = _run(capsys, str(bad))
    assert code == 2 and out == ""
    assert f"{bad}:2:" in err and "syntax error" in err


def test_compare_prints_the_prediction_beside_the_observation(
    db: Any, write: Write, capsys: pytest.CaptureFixture[str]
) -> None:
    schema, mig = write("schema.sql", SCHEMA), write("0002.sql", MIGRATION)
    argv = (str(mig), "--schema", str(schema), "--dsn", db.dsn, "--compare")
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    block = out[out.index("2:1 CREATE INDEX") :]
    assert "model agrees — predicted ShareLock on public.t" in block
    code, out, _ = _run(capsys, *argv, "--format", "markdown")
    assert code == 0
    assert "✅<br>predicted ShareLock on public.t |" in out
