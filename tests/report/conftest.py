"""A small migrations project on disk whose lint result has findings, a notice and a parse error."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_paths

SCHEMA = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total int);\n"
INDEX = "\\set ON_ERROR_STOP 1\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n"
BAD = "SELECT 1;\nALTER TABLE orders ADD COLUM x int;\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "schema.sql").write_text(SCHEMA)
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "0001_index.sql").write_text(INDEX)
    (mig / "0002_bad.sql").write_text(BAD)
    return tmp_path


@pytest.fixture
def result(project: Path) -> LintResult:
    # Only the two rules the tests look at: other rules come and go without breaking them.
    cfg = LintConfig(schema=("schema.sql",), select=frozenset({"PW101", "PW114"}), cache=False)
    return lint_paths(["migrations"], cfg)
