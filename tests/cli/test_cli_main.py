"""The parser built for one command (a quick start) behaves as the full one for it."""

from __future__ import annotations

import argparse

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
