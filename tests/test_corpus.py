"""Smoke test on 2,671 real migrations: every file lints or fails cleanly, never a crash."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.config import LintConfig
from pgwarden.lint import lint_paths

CORPUS = Path(
    os.environ.get("PGWARDEN_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus")
)
# The one file of the corpus that is not valid SQL (MANIFEST.md: a `;` is missing upstream).
KNOWN_BAD = "rust-lang__crates.io/migrations/20170318181441_downloads_need_no_id/down.sql"

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"migration corpus not found at {CORPUS} (set PGWARDEN_CORPUS)"
)


def sql_files(root: Path) -> set[str]:
    return {
        str(p)
        for p in root.rglob("*.sql")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
    }


def projects() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.is_dir()) if CORPUS.is_dir() else []


@pytest.mark.parametrize("project", projects(), ids=lambda p: p.name)
def test_every_file_lints_or_fails_cleanly(project: Path) -> None:
    result = lint_paths([str(project)], LintConfig(cache=False))
    linted = [f.path for f in result.files]
    failed = {e.display: e for e in result.errors}
    assert len(set(linted)) == len(linted)
    assert set(linted).isdisjoint(failed)
    assert set(linted) | set(failed) == sql_files(project)
    expected = {str(CORPUS / KNOWN_BAD)} if KNOWN_BAD.startswith(project.name + "/") else set()
    assert set(failed) == expected
    for err in failed.values():
        assert (err.line, err.column) == (2, 1)
        assert err.message == 'syntax error at or near "ALTER"'
    assert sum(len(f.statements) for f in result.files) > 0


def test_cli_over_the_whole_corpus(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", "--format", "json", str(CORPUS)],
        cwd=tmp_path,
        env={**os.environ, "PGWARDEN_CACHE_DIR": str(tmp_path / "cache")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode in (0, 1, 2), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "internal error" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f'{CORPUS / KNOWN_BAD}:2:1: syntax error at or near "ALTER"'
    ]
    assert proc.stdout.lstrip().startswith("{")
