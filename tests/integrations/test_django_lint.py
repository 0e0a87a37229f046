"""`manage.py pgwarden_lint` on a real Django project against a real Postgres."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

django = pytest.importorskip("django", reason="Django is in the dev extra")

PROJECT = Path(__file__).parent / "django_project"


def manage(
    dsn: str, *args: str, cwd: Path = PROJECT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        env={**os.environ, "PGWARDEN_TEST_DSN": dsn, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def test_flags_dangerous_migration_by_name(db: object) -> None:
    dsn = db.dsn  # type: ignore[attr-defined]
    assert manage(dsn, "migrate", "shop", "0001").returncode == 0
    assert manage(dsn, "migrate", "ledger").returncode == 0  # the other app: all applied
    r = manage(dsn, "pgwarden_lint", "--format", "json")
    assert r.returncode == 1, r.stderr
    data = json.loads(r.stdout)
    [f] = data["files"]
    assert f["path"].endswith("shop/migrations/0002_order_customer_and_index.py")
    findings = [x for s in f["statements"] for x in s["findings"]] + f["findings"]
    by_rule = {x["rule"]: x for x in findings}
    index = by_rule["require-concurrent-index-creation"]
    assert "shop.0002_order_customer_and_index" in index["message"]
    assert "public.shop_order" in index["message"]
    lines = {x["line"] for x in findings if x["rule"] == "require-concurrent-index-creation"}
    source = (PROJECT / "shop/migrations/0002_order_customer_and_index.py").read_text().splitlines()
    # Findings point at the operation that produced the SQL (AddField's FK index, AddIndex).
    assert {source[n - 1].strip() for n in lines} == {
        "migrations.AddField(",
        "migrations.AddIndex(",
    }
    assert any("RunPython" in x["message"] for x in findings if x["rule"] == "unknown-statement")


def test_applied_migrations_are_schema_not_findings(db: object) -> None:
    dsn = db.dsn  # type: ignore[attr-defined]
    assert manage(dsn, "migrate").returncode == 0
    r = manage(dsn, "pgwarden_lint", "--format", "json")
    assert r.returncode == 0, r.stdout + r.stderr
    assert json.loads(r.stdout)["files"] == []
    named = manage(dsn, "pgwarden_lint", "shop", "0001", "--format", "json")
    # CREATE TABLE of new tables takes no lock anyone waits for.
    assert named.returncode == 0, named.stdout
    [f] = json.loads(named.stdout)["files"]
    assert f["path"].endswith("0001_initial.py")
    assert all(lk["new"] for s in f["statements"] for lk in s["locks"])


def test_text_format_names_the_migration_and_operation(db: object) -> None:
    dsn = db.dsn  # type: ignore[attr-defined]
    assert manage(dsn, "migrate", "shop", "0001").returncode == 0
    assert manage(dsn, "migrate", "ledger").returncode == 0
    r = manage(dsn, "pgwarden_lint")
    assert r.returncode == 1, r.stderr
    path = PROJECT / "shop/migrations/0002_order_customer_and_index.py"
    lines = [ln for ln in r.stdout.splitlines() if "(require-concurrent-index-creation)" in ln]
    # Each finding: file:line:col of the operation, severity and code, the migration by name.
    assert lines and all(ln.startswith(f"{path}:") for ln in lines), r.stdout
    assert any(
        ln.startswith(f"{path}:13:1: error[PW101] shop.0002_order_customer_and_index operation 1")
        and "public.shop_order" in ln
        for ln in lines
    ), lines
    assert "13 |         migrations.AddField(" in r.stdout  # the source line, quoted
    assert "= help: use CREATE INDEX CONCURRENTLY" in r.stdout
    assert "0001_initial.py" not in r.stdout  # applied: schema, not findings
    # AddField runs two statements (ADD COLUMN, DROP DEFAULT): a finding that reads the same
    # on the operation is reported once.
    heads = [ln for ln in r.stdout.splitlines() if ln.startswith(f"{path}:")]
    assert len(heads) == len(set(heads)), heads


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("option", "--pg-version: expected a PostgreSQL major version such as 15, got 'banana'"),
        ("settings", "settings.PGWARDEN['pg_version']: expected a PostgreSQL major version"),
        ("pyproject", "unknown key(s) in [tool.pgwarden]: no-such-key"),
    ],
)
def test_config_errors_exit_2_as_pgwarden_lint_does(
    db: object, tmp_path: Path, how: str, message: str
) -> None:
    dsn = db.dsn  # type: ignore[attr-defined]
    args: list[str] = ["pgwarden_lint"]
    env: dict[str, str] = {}
    if how == "option":
        args += ["--pg-version", "banana"]
    elif how == "settings":
        env["PGWARDEN_TEST_SETTINGS"] = '{"pg_version": "banana"}'
    else:
        (tmp_path / "pyproject.toml").write_text("[tool.pgwarden]\nno-such-key = 1\n")
    r = manage(dsn, *args, cwd=tmp_path, env=env)
    assert r.returncode == 2, r.stdout + r.stderr
    assert message in r.stderr and "Traceback" not in r.stderr
    assert r.stdout == ""
    # The same error from `pgwarden lint` exits 2 as well.
    if how != "settings":
        lint_args = ["--pg-version", "banana"] if how == "option" else []
        sql = tmp_path / "x.sql"
        sql.write_text("SELECT 1;\n")
        lint = subprocess.run(
            [sys.executable, "-m", "pgwarden", "lint", *lint_args, str(sql)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            check=False,
        )
        assert lint.returncode == 2 and message in lint.stderr, lint.stderr
