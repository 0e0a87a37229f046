"""The parser built for one command (a quick start) behaves as the full one for it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.cli import main


def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


FULL = subparsers(main.build_parser())


@pytest.mark.parametrize("command", sorted(FULL))
def test_quick_parser_gives_the_same_subcommand(command: str) -> None:
    quick = main._parser_for([command, "--some-option"])
    mine = subparsers(quick)
    if command in main.COMMANDS:  # a module of its own: only it is registered
        assert set(mine) <= set(FULL) and command in mine
    assert mine[command].format_help() == FULL[command].format_help()
    assert quick.format_usage() == main.build_parser().format_usage()


def test_lint_alone_is_registered_for_lint() -> None:
    assert set(subparsers(main._parser_for(["--debug", "lint", "x.sql"]))) == {"lint"}


@pytest.mark.parametrize(
    "argv", [["-h", "lint"], ["--help", "lint"], ["--he", "lint"], ["nosuch"], [], ["--version"]]
)
def test_top_level_help_and_unknown_commands_list_every_command(argv: list[str]) -> None:
    assert set(subparsers(main._parser_for(argv))) == set(FULL)


def test_unknown_command_exits_2_listing_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main.main(["lnt"])
    assert exc.value.code == 2
    assert "invalid choice: 'lnt' (choose from 'lint', 'explain'" in capsys.readouterr().err


_LINTED = """CREATE TABLE t (id int);
ALTER TABLE t ADD COLUMN n int NOT NULL;
CREATE INDEX t_n ON t (n);
"""


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_process_ends_with_the_whole_output_and_the_exit_code(
    fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`pgwarden lint` ends its process without the interpreter's teardown (entry): what
    it printed through a pipe, and its exit code, are those of the command run in-process."""
    sql = tmp_path / "m.sql"
    sql.write_text(_LINTED * 200)  # output larger than any pipe or stdio buffer
    argv = ["lint", "--no-cache", "--format", fmt, str(sql)]
    code = main.main(argv)
    expected = capsys.readouterr().out
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", *argv], capture_output=True, text=True, check=False
    )
    assert proc.returncode == code
    assert proc.stdout == expected
    assert len(expected) > 65536


def test_a_command_with_cleanup_to_do_exits_normally() -> None:
    assert main._main(["rules"])[1] is False
    assert main._main(["lint", "--no-cache", "-"])[1] is True


def test_a_run_ending_the_process_leaves_its_results_to_the_exit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The console script's lint run leaves its results alive for the exit to take back at
    once (`left_at_exit`); run in-process, nothing is kept. The output is the same."""
    from pgwarden.lint import LintResult

    sql = tmp_path / "m.sql"
    sql.write_text(_LINTED * 3)
    argv = ["lint", "--no-cache", "--format", "json", str(sql)]
    left: list[object] = []
    code = main._main(argv, left)
    kept = capsys.readouterr().out
    assert any(isinstance(x, LintResult) for x in left)
    assert main._main(argv) == code
    assert capsys.readouterr().out == kept and '"statements"' in kept
    nothing: list[object] = []
    assert main._main(["rules"], nothing) == (0, False)
    assert nothing == []  # a command that does not end the process quickly keeps nothing
