"""`pgwarden explain`: real invocations, text and JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.explain import HELD_COMMIT, HELD_STATEMENT, explain
from pgwarden.lint import lint_text


@pytest.fixture(autouse=True)
def no_project_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml above: defaults apply


def test_drop_constraint_blocks_reads_and_writes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "ALTER TABLE t DROP CONSTRAINT c"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    header = next(ln for ln in out.splitlines() if "relation" in ln).split()
    assert header[:3] == ["relation", "lock", "mode"]
    row = next(ln for ln in out.splitlines() if ln.strip().startswith("public.t ")).split()
    # relation, lock mode, blocks reads?, blocks writes?, rewrite, scan, held until
    assert row[:6] == ["public.t", "AccessExclusiveLock", "yes", "yes", "no", "no"]
    assert " ".join(row[6:]) == "end of statement"
    assert "safer alternative: SET lock_timeout" in out


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--format", "json", "ALTER TABLE t DROP CONSTRAINT c"]) == 0
    data = json.loads(capsys.readouterr().out)
    [st] = data["statements"]
    [lock] = st["locks"]
    assert lock["relation"] == "public.t"
    assert lock["mode"] == "AccessExclusiveLock"
    assert lock["blocks_reads"] is True and lock["blocks_writes"] is True
    assert lock["held_until"] == "end of statement"
    assert st["safer_alternatives"]


def test_file_with_schema_and_transaction(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "schema.sql").write_text("CREATE TABLE orders (id bigint, total int);\n")
    (tmp_path / "m.sql").write_text(
        "BEGIN;\nALTER TABLE orders ALTER COLUMN total TYPE bigint;\n"
        "CREATE INDEX CONCURRENTLY i ON orders (id);\nCOMMIT;\n"
    )
    assert main(["explain", "--schema", "schema.sql", "--format", "json", "m.sql"]) == 0
    sts = json.loads(capsys.readouterr().out)["statements"]
    assert sts[0]["kind"] == "BEGIN"
    [alter] = sts[1]["locks"]
    assert (alter["mode"], alter["rewrite"], alter["scan"]) == (
        "AccessExclusiveLock",
        "table",
        True,
    )
    assert alter["held_until"] == HELD_COMMIT
    assert any(f["code"] == "PW201" for f in sts[1]["findings"])
    assert sts[2]["transactional"] is False
    assert [h["mode"] for h in sts[2]["held"]] == ["AccessExclusiveLock"]

    assert main(["explain", "--schema", "schema.sql", "m.sql"]) == 0
    out = capsys.readouterr().out
    assert "fails here: cannot run inside a transaction block" in out
    assert "ends the transaction, releasing: public.orders AccessExclusiveLock" in out


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("CREATE INDEX i ON t (x);\n"))
    assert main(["explain", "-"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("<stdin>:1:1  CREATE INDEX i ON t (x)")
    assert "ShareLock" in out and "safer alternative: use CREATE INDEX CONCURRENTLY" in out


def test_pg_version_changes_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    # PostgreSQL 18 accepts NOT NULL constraints NOT VALID: no scan until VALIDATE.
    sql = "ALTER TABLE t ADD CONSTRAINT c NOT NULL x NOT VALID"
    scans = {}
    for version in ("17", "18"):
        assert main(["explain", "--pg-version", version, "--format", "json", sql]) == 0
        [lock] = json.loads(capsys.readouterr().out)["statements"][0]["locks"]
        scans[version] = lock["scan"]
    assert scans == {"17": True, "18": False}


def test_syntax_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "SELEC 1"]) == 2
    err = capsys.readouterr().err
    assert '<sql>:1:1: syntax error at or near "SELEC"' in err
    assert "Traceback" not in err


def test_missing_file_is_not_read_as_sql(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "migrations/0001_init.sql"]) == 2
    assert "migrations/0001_init.sql: no such file" in capsys.readouterr().err


def test_long_sql_is_not_mistaken_for_a_path() -> None:
    sql = "SELECT " + " + ".join(["1"] * 400)  # longer than any file name
    ex = explain(sql, LintConfig(cache=False))
    assert [s.kind for s in ex.statements] == ["SELECT"]
    assert ex.statements[0].locks == ()


def test_held_until_commit_with_assume_in_transaction() -> None:
    from pgwarden.explain import explain_result

    cfg = LintConfig(assume_in_transaction=True, cache=False)
    ex = explain_result(lint_text("ALTER TABLE t DROP CONSTRAINT c;", cfg))
    assert ex.statements[0].locks[0].held_until == HELD_COMMIT
    ex = explain_result(lint_text("ALTER TABLE t DROP CONSTRAINT c;", LintConfig(cache=False)))
    assert ex.statements[0].locks[0].held_until == HELD_STATEMENT
