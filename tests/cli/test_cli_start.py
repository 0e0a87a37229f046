"""The console script forks its file reader from a guess at `lint`'s paths (cli.start): the
guess is argparse's answer whenever it makes one, and a run gives the same output with it."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from pgwarden.cli import main, start
from pgwarden.sql.read_ahead import ReadAhead


def _lint_parser() -> argparse.ArgumentParser:
    action = next(
        a for a in main._build("lint")[0]._actions if isinstance(a, argparse._SubParsersAction)
    )
    parser: argparse.ArgumentParser = action.choices["lint"]
    return parser


def test_every_lint_option_is_known_to_the_guess() -> None:
    """An option the guess does not know stops it (None), so a new one must be added."""
    for action in _lint_parser()._actions:
        for opt in action.option_strings:
            if opt in ("-h", "--help"):
                continue
            takes_value = action.nargs != 0
            assert opt in (start.VALUE_OPTIONS if takes_value else start.FLAG_OPTIONS), opt
    assert start.VALUE_OPTIONS.isdisjoint(start.FLAG_OPTIONS)


ARGVS = [
    ["lint", "migrations"],
    ["lint", "a", "b/c.sql"],
    ["--debug", "lint", "migrations"],
    ["lint", "--format", "json", "migrations"],
    ["lint", "--format=json", "--schema", "s.sql", "m"],
    ["lint", "m", "--no-cache", "--select", "R1,R2"],
    ["lint", "--pg-version", "15", "--assume-in-transaction", "--runner-timeouts", "m"],
    ["lint", "--extend-select=x", "--ignore", "y", "--", "-odd-name", "m"],
    ["lint", "--", "--format"],
]
NO_GUESS = [
    ["lint"],  # stdin
    ["lint", "-"],
    ["lint", "m", "-"],
    ["lint", "-h"],
    ["lint", "--help", "m"],
    ["lint", "--form", "json", "m"],  # a prefix argparse accepts
    ["lint", "--no-cache=1", "m"],
    ["lint", "--format"],
    ["explain", "m.sql"],
    ["--version"],
    [],
    ["rules", "lint"],
    ["--debug", "--debug", "check"],
]


@pytest.mark.parametrize("argv", ARGVS, ids=" ".join)
def test_the_guess_is_what_argparse_finds(argv: list[str]) -> None:
    args = main._parser_for(argv).parse_args(argv)
    assert start.lint_paths(argv) == args.paths


@pytest.mark.parametrize("argv", NO_GUESS, ids=" ".join)
def test_no_guess_where_it_cannot_tell(argv: list[str]) -> None:
    assert start.lint_paths(argv) is None


@pytest.fixture
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the CLI runs: pytest's workers may hold threads, which keep the helper off."""
    monkeypatch.setattr(threading, "active_count", lambda: 1)


needs_helper = pytest.mark.skipif(
    not hasattr(os, "memfd_create") or (os.cpu_count() or 1) < 2,
    reason="the helper runs on Linux with two CPUs or more",
)


@needs_helper
@pytest.mark.usefixtures("one_thread")
def test_the_helper_is_taken_only_for_its_paths(tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "0001.sql").write_text("SELECT 1;\n")
    paths = [str(tmp_path / "m")]
    ReadAhead.start_early(paths)
    taken = ReadAhead.take(paths)
    assert taken is not None and taken.paths == paths
    read = taken.result()
    assert read is not None and read[1] is None  # the schema files are left to the caller
    assert [src.display for src, _ in read[0]] == [f"{paths[0]}/0001.sql"]
    assert ReadAhead.take(paths) is None  # taken once

    ReadAhead.start_early(paths)
    early = ReadAhead._early
    assert early is not None
    assert ReadAhead.take([*paths, "other"]) is None  # other paths: stopped and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(early.pid, os.WNOHANG)


@needs_helper
@pytest.mark.usefixtures("one_thread")
def test_the_helper_lets_go_of_the_standard_streams(tmp_path: Path) -> None:
    """A run that stops before taking the helper's answer (a bad option value) must not
    leave the caller waiting on a pipe the helper still holds."""
    (tmp_path / "m").mkdir()
    fifo = tmp_path / "schema.sql"
    os.mkfifo(fifo)
    # Another process holds the FIFO open for writing and writes only when told: the helper
    # waits for it (a writer opened here would be inherited by the helper, and never close).
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, sys; fd = os.open(sys.argv[1], os.O_RDWR); print('ready', flush=True);"
            " sys.stdin.readline(); os.write(fd, b'CREATE TABLE s (id int);\\n')",
            str(fifo),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdin is not None
    try:
        assert writer.stdout.readline() == "ready\n"
        ahead = ReadAhead.start([str(tmp_path / "m")], [str(fifo)])
        assert ahead is not None
        links: list[str] = []
        for _ in range(2000):  # the helper is blocked on the FIFO: it cannot exit first
            links = [os.readlink(f"/proc/{ahead.pid}/fd/{fd}") for fd in (0, 1, 2)]
            if links == [os.devnull] * 3:
                break
            threading.Event().wait(0.005)
        assert links == [os.devnull] * 3
        writer.stdin.write("go\n")
        writer.stdin.flush()
        assert writer.wait(timeout=60) == 0
    finally:
        writer.kill()
        writer.wait()
    read = ahead.result()
    assert read is not None and read[1] is not None
    assert read[1][0][1] == b"CREATE TABLE s (id int);\n"


def test_the_console_script_gives_what_one_process_gives(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    mig = tmp_path / "migrations"
    for n in range(1, 30):
        (mig / f"{n:04d}_m").mkdir(parents=True)
        (mig / f"{n:04d}_m" / "up.sql").write_text(
            f"CREATE TABLE t{n} (id int);\nALTER TABLE t{n - 1} ADD COLUMN n int NOT NULL;\n"
        )
    (mig / "0005_broken.sql").write_text("ALTER TABLE;\n")
    argv = ["lint", "--format", "json", "--no-cache", str(mig)]
    monkeypatch.setenv("PGWARDEN_JOBS", "1")
    code = main.main(argv)
    expected = capsys.readouterr()
    env = {k: v for k, v in os.environ.items() if k != "PGWARDEN_JOBS"}
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", *argv],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, expected.out, expected.err)
    assert code == 2 and "0005_broken.sql:1:12" in expected.err
