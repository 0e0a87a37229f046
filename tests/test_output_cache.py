"""A warm `pgwarden lint` replays its saved output: byte for byte the cold run's, and only
while the files, the configuration and the format are unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.cache import ENV_DIR

FILES = {
    "0001_create.sql": "CREATE TABLE t (a int, note char(3));\nCREATE INDEX t_a ON t (a);\n",
    "0002_alter.sql": "ALTER TABLE t ALTER COLUMN a TYPE bigint;\n-- “quoted” ünïcode\n"
    "CREATE INDEX CONCURRENTLY t_b ON t (a);\n",
    "0003_bad.sql": "SELEC 1;\n",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    d = tmp_path / "migrations"
    d.mkdir()
    for name, sql in FILES.items():
        (d / name).write_text(sql, encoding="utf-8")
    return d


def lint(cwd: Path, *args: str, cache: Path | None = None) -> tuple[int, bytes, str]:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_DIR, "NO_COLOR", "FORCE_COLOR")}
    if cache is not None:
        env[ENV_DIR] = str(cache)
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        timeout=120,
    )
    return proc.returncode, proc.stdout, proc.stderr.decode()


def outputs(cache: Path) -> list[Path]:
    return sorted(cache.glob("v*/*.out"))


@pytest.mark.parametrize("fmt", ["json", "text", "sarif", "github"])
def test_warm_output_is_the_cold_output(project: Path, tmp_path: Path, fmt: str) -> None:
    cache = tmp_path / "cache"
    fresh = lint(tmp_path, "--format", fmt, "--no-cache", "migrations")
    assert fresh[0] == 2 and "0003_bad.sql:1:1" in fresh[2]  # a parse error: stderr, exit 2
    assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh  # cold: stores
    packs = list(cache.glob("v*/*.pack"))
    assert len(packs) == 1
    if fmt == "json":
        # Piped JSON is stored once, in the result pack: a warm run writes it out as it is
        # (marked here to tell it from a new lint).
        assert outputs(cache) == []
        assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh
        data = packs[0].read_bytes()
        marked = data.replace(b'"CREATE INDEX t_a ON t (a)"', b'"CREATE INDEX t_X ON t (a)"')
        assert marked != data
        packs[0].write_bytes(marked)
        replayed = lint(tmp_path, "--format", fmt, "migrations", cache=cache)
        assert replayed == (fresh[0], fresh[1].replace(b"t_a ON", b"t_X ON"), fresh[2])
        return
    assert len(outputs(cache)) == 1
    # Without the per-file pack a miss would lint again and write it back: a hit does not.
    packs[0].unlink()
    assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh
    assert not list(cache.glob("v*/*.pack"))


def test_changes_invalidate_the_saved_output(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"

    def check(*args: str) -> bytes:
        fresh = lint(tmp_path, *args, "--no-cache", "migrations")
        assert lint(tmp_path, *args, "migrations", cache=cache) == fresh
        assert lint(tmp_path, *args, "migrations", cache=cache) == fresh
        return fresh[1]

    first = check("--format", "json")
    # An earlier file changes: the saved output must not be replayed.
    (project / "0001_create.sql").write_text("CREATE TABLE t (a bigint, note text);\n")
    second = check("--format", "json")
    assert second != first and b"rewrites" in second
    # The configuration changes (a file, then an option).
    (tmp_path / "pgwarden.toml").write_text('ignore = ["changing-column-type"]\n')
    third = check("--format", "json")
    assert third != second
    assert check("--format", "json", "--assume-in-transaction") != third
    # Another format is another output, saved beside the first (JSON's is in the pack).
    assert check("--format", "text") != third
    assert check("--format", "sarif") != third
    assert len({p.name.split(".")[1] for p in outputs(cache)}) >= 2
    # A file added to the directory.
    (project / "0004_more.sql").write_text("DROP TABLE t;\n")
    assert b"0004_more.sql" in check("--format", "github")


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_a_corrupt_saved_output_is_a_miss(project: Path, tmp_path: Path, fmt: str) -> None:
    """A saved output (for piped JSON: the result pack) cut short or with a broken header
    is not written out: the files are linted again."""
    cache = tmp_path / "cache"
    fresh = lint(tmp_path, "--format", fmt, "--no-cache", "migrations")
    assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh
    (saved,) = outputs(cache) if fmt != "json" else cache.glob("v*/*.pack")
    data = saved.read_bytes()
    body = data.partition(b"\n")[2]
    saved.write_bytes(data[:-1])  # cut short (by its last newline)
    assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh
    saved.write_bytes(b"not a header\n" + body)
    assert lint(tmp_path, "--format", fmt, "migrations", cache=cache) == fresh


def test_unreadable_input_and_stdin_are_not_saved(project: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (tmp_path / "x.sql").symlink_to(tmp_path / "gone.sql")  # its error is not in the key
    code, _, err = lint(tmp_path, "--format", "json", "migrations", "x.sql", cache=cache)
    assert code == 2 and "x.sql:1:1: cannot read file" in err
    assert outputs(cache) == []
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", "--format", "json", "-"],
        input=b"CREATE INDEX i ON t (a);\n",
        cwd=tmp_path,
        env={**os.environ, ENV_DIR: str(cache)},
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 1 and outputs(cache) == []
