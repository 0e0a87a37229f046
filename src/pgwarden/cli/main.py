"""`pgwarden` entry point: builds the parser from the command modules and maps errors to exits."""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import os
import sys
from collections.abc import Collection, Sequence
from typing import Any

from pgwarden import __version__
from pgwarden.errors import PgwardenError

# Starting up imports ~100k objects that live as long as the process: the cycle collector,
# run every 700 new objects, walked them ~40 times (~4 ms of every start). Commands get the
# usual thresholds back (main), lint its own (cli/lint.py).
_THRESHOLDS = gc.get_threshold()
gc.set_threshold(100_000, 50, 1000)

# Command modules under pgwarden.cli, in help order. Each has register(subparsers).
COMMANDS = (
    "lint",
    "explain",
    "rules",
    "trace",
    "check",
    "blockers",
    "cancel",
    "migrate",
    "run",
    "demo",
    "rehearse",
)


def _columns() -> int:
    """The terminal's width as shutil.get_terminal_size gives it ($COLUMNS, then stdout's
    terminal, else 80), without importing shutil (and the compression modules it imports)."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, its width asked once: argparse makes one per add_argument (to
    check the argument), each importing shutil to measure the terminal."""

    width: int | None = None  # the terminal's, once asked

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        if width is None:
            if _Formatter.width is None:
                _Formatter.width = _columns()
            width = _Formatter.width
        super().__init__(prog, indent_increment, max_help_position, width)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kw: Any) -> None:
        kw.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kw)


def build_parser() -> argparse.ArgumentParser:
    return _build(None)[0]


def _build(only: str | None) -> tuple[argparse.ArgumentParser, Collection[str]]:
    """The parser (with `only`: just that command module's subcommands) and its commands."""
    parser = _Parser(
        prog="pgwarden",
        description="Keep PostgreSQL schema migrations from taking production down.",
    )
    parser.add_argument("--version", action="version", version=f"pgwarden {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMANDS if only is None else (only,):
        modname = f"pgwarden.cli.{name}"
        if importlib.util.find_spec(modname) is None:
            continue
        importlib.import_module(modname).register(sub)
    return parser, sub.choices


def _parser_for(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Registering every command imports every command module (~10 ms at each start): for a
    command named after its module, that module alone gives the same parser. Top-level
    help (`pgwarden -h lint`) lists every command, so it gets them all."""
    before: list[str] = []
    for arg in argv:
        if not arg.startswith("-"):
            if arg in COMMANDS and not any(a.startswith(("-h", "--h")) for a in before):
                parser, commands = _build(arg)
                if arg in commands:
                    return parser
            break
        before.append(arg)
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    return _main(argv)[0]


def entry() -> None:
    """The `pgwarden` console script (and `python -m pgwarden`): main, then the exit.

    A command that leaves nothing to clean up (`quick_exit`, e.g. lint: its output and cache
    are written) ends the process at once, skipping the interpreter's teardown of every
    object it built (~4 ms after linting a large directory).
    """
    from pgwarden.dataclass_code import save

    left: list[object] = []  # alive until os._exit (see _main)
    code, quick = _main(None, left)
    save()  # what cli.start's install compiled, if anything (once after an install)
    if not quick:
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe: what was written is all there is
        pass
    os._exit(code)


def _main(argv: Sequence[str] | None, left_at_exit: list[object] | None = None) -> tuple[int, bool]:
    """(exit code, whether the process may end without the interpreter's teardown).

    `left_at_exit`: the process ends after this, with the list alive (the console script);
    a quick-exit command may put what it built there instead of freeing it.
    """
    parser = _parser_for(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    gc.set_threshold(*_THRESHOLDS)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2, False
    quick = bool(getattr(args, "quick_exit", False))
    if quick and left_at_exit is not None:
        args.left_at_exit = left_at_exit
    return _run(args), quick


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args))
    except PgwardenError as exc:
        if args.debug:
            raise
        print(f"pgwarden: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("pgwarden: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # an unexpected failure still gets a message, not a traceback
        if args.debug:
            raise
        print(
            f"pgwarden: internal error: {type(exc).__name__}: {exc}\n"
            "run again with --debug for the traceback and please report it",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
