"""`pgwarden demo`: its options, their checks, and one short run of both strategies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest


def demo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pgwarden", "demo", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_shows_every_option_with_its_default() -> None:
    done = demo("--help")
    assert done.returncode == 0, done.stderr
    text = " ".join(done.stdout.split())  # argparse wraps lines at the terminal width
    assert "--blocker-seconds BLOCKER_SECONDS how long the pg_dump backup holds" in text
    assert "(default: 5.0)" in text
    assert "--clients CLIENTS application connections" in text and "(default: 8)" in text
    assert "(default: naive,pgwarden)" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blocker-seconds", "1"], "--blocker-seconds must be more than 1"),
        (["--clients", "0"], "--clients must be at least 1"),
        (["--strategies", "naive,nosuch"], "unknown strategy nosuch"),
        (["--strategies", ","], "--strategies is empty"),
        (["--clients", "two"], "invalid int value: 'two'"),
    ],
)
def test_bad_options_exit_2_before_starting_anything(
    args: list[str], message: str, tmp_path: Path
) -> None:
    out = tmp_path / "never-written"
    done = demo(*args, "--out", str(out))
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not out.exists()  # nothing started, nothing written


def test_short_run_compares_both_strategies(tmp_path: Path) -> None:
    done = demo("--blocker-seconds", "1.5", "--clients", "2", "--out", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    header = next(ln for ln in done.stdout.splitlines() if "naive" in ln and "pgwarden" in ln)
    assert header.index("naive") < header.index("pgwarden")  # the table's two columns
    assert "2 app clients" in done.stdout and "for 1.5 s" in done.stdout
    (written,) = tmp_path.glob("*.json")
    data = json.loads(written.read_text())
    assert (data["config"]["clients"], data["config"]["blocker_seconds"]) == (2, 1.5)
    assert [r["strategy"] for r in data["runs"]] == ["naive", "pgwarden"]
    assert all(r["summary"]["migration_ok"] for r in data["runs"])
