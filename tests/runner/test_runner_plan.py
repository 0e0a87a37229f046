"""Migration files, their order and identity, and the plan against history (no database)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from _runner_helpers import write_migrations

from pgwarden.errors import InputError
from pgwarden.runner.history import HistoryRow
from pgwarden.runner.plan import build_plan, identify, load_directory


@pytest.mark.parametrize(
    ("rel", "version", "name", "repeatable"),
    [
        ("0001_init.sql", "0001_init", "init", False),
        ("V1_2__add_col.sql", "V1_2__add_col", "add_col", False),
        ("R__views.sql", "R__views", "views", True),
        ("20240101120000_add/up.sql", "20240101120000_add", "add", False),
        ("003_x.up.sql", "003_x", "x", False),
        ("2024/0001_x.sql", "2024/0001_x", "x", False),
    ],
)
def test_identify(rel: str, version: str, name: str, repeatable: bool) -> None:
    assert identify(rel) == (version, name, repeatable)


def test_order_matches_lint_and_skips_down_files(tmp_path: Path) -> None:
    write_migrations(
        tmp_path,
        {
            "0010_c.sql": "SELECT 1;",
            "0002_b.sql": "SELECT 1;",
            "0002_b.down.sql": "SELECT 1;",
            "0001_a/up.sql": "SELECT 1;",
            "0001_a/down.sql": "SELECT 1;",
            "notes.txt": "not sql",
        },
    )
    versions = [m.version for m in load_directory(tmp_path)]
    assert versions == ["0001_a", "0002_b", "0010_c"]


def test_flyway_order(tmp_path: Path) -> None:
    write_migrations(
        tmp_path,
        {"V10__g.sql": "SELECT 1;", "V2__f.sql": "SELECT 1;", "U2__f.sql": "SELECT 1;"},
    )
    assert [m.version for m in load_directory(tmp_path)] == ["V2__f", "V10__g"]


def test_same_order_as_lint(tmp_path: Path) -> None:
    from pgwarden.sql.discover import discover

    names = ["20240102_b.sql", "20240101_a.sql", "3_x.sql", "10_y.sql", "2_z/up.sql"]
    write_migrations(tmp_path, dict.fromkeys(names, "SELECT 1;"))
    linted = [s.path for s in discover([str(tmp_path)])]
    assert [m.path for m in load_directory(tmp_path)] == linted


def test_checksum_is_sha256_of_bytes(tmp_path: Path) -> None:
    import hashlib

    write_migrations(tmp_path, {"1_a.sql": "SELECT 1;\n"})
    (m,) = load_directory(tmp_path)
    assert m.checksum == hashlib.sha256(b"SELECT 1;\n").hexdigest()


def test_duplicate_versions_are_refused(tmp_path: Path) -> None:
    write_migrations(tmp_path, {"1_a/up.sql": "SELECT 1;", "1_a.sql": "SELECT 2;"})
    with pytest.raises(InputError, match="same migration version '1_a'"):
        load_directory(tmp_path)


def test_not_a_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a directory"):
        load_directory(tmp_path / "nope")


def _row(version: str, checksum: str, outcome: str, progress: int = 0) -> HistoryRow:
    now = datetime.now(timezone.utc)
    return HistoryRow(version, version, checksum, now, now, 1, 1, outcome, None, progress)


def test_plan_states(tmp_path: Path) -> None:
    write_migrations(
        tmp_path,
        {
            "1_applied.sql": "SELECT 1;",
            "2_changed.sql": "SELECT 2;",
            "3_failed.sql": "SELECT 3;",
            "4_partial.sql": "SELECT 4;",
            "5_pending.sql": "SELECT 5;",
            "R__view.sql": "SELECT 6;",
        },
    )
    files = {m.version: m for m in load_directory(tmp_path)}
    rows = {
        "1_applied": _row("1_applied", files["1_applied"].checksum, "applied"),
        "2_changed": _row("2_changed", "old", "applied"),
        "3_failed": _row("3_failed", files["3_failed"].checksum, "failed"),
        "4_partial": _row("4_partial", files["4_partial"].checksum, "running", progress=1),
        "R__view": _row("R__view", "old", "applied"),
        "0_gone": _row("0_gone", "x", "applied"),
    }
    plan = build_plan(list(files.values()), rows)
    states = {e.version: e.state for e in plan}
    assert states == {
        "1_applied": "applied",
        "2_changed": "changed",
        "3_failed": "failed",
        "4_partial": "partial",
        "5_pending": "pending",
        "R__view": "changed",
        "0_gone": "missing",
    }
    runnable = {e.version for e in plan if e.runnable}
    # A changed versioned file is refused, a changed repeatable file is simply re-applied.
    assert runnable == {"3_failed", "4_partial", "5_pending", "R__view"}
