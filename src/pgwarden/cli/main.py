"""`pgwarden` entry point: builds the parser from the command modules and maps errors to exits."""

from __future__ import annotations

import argparse
import gc
import importlib
import importlib.util
import sys
from collections.abc import Collection, Sequence

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


def build_parser() -> argparse.ArgumentParser:
    return _build(None)[0]


def _build(only: str | None) -> tuple[argparse.ArgumentParser, Collection[str]]:
    """The parser (with `only`: just that command module's subcommands) and its commands."""
    parser = argparse.ArgumentParser(
        prog="pgwarden",
        description="Keep PostgreSQL schema migrations from taking production down.",
    )
    parser.add_argument("--version", action="version", version=f"pgwarden {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
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
    parser = _parser_for(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    gc.set_threshold(*_THRESHOLDS)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
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
