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


def manage(dsn: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PGWARDEN_TEST_DSN": dsn}
    return subprocess.run(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT,
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
