"""The `pgwarden` console script: starts reading a lint run's files before importing the rest.

A cold `pgwarden lint DIR` spends its first ~40 ms importing argparse, the configuration and
the cache before it knows it must read DIR. The files are read by a forked helper anyway
(sql.read_ahead), so it is forked here, first thing, from a guess at the paths argparse will
find; the lint command uses its answer only if the guess was right.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing's own would import typing (~5 ms) before the helper forks
if TYPE_CHECKING:
    from collections.abc import Sequence

# `pgwarden lint`'s options (cli/lint.py), by whether a value follows; a test keeps them in
# step with the parser. Anything else (a prefix argparse would accept, help) means no guess.
VALUE_OPTIONS = frozenset(
    {"--schema", "--pg-version", "--format", "--select", "--ignore", "--extend-select"}
)
FLAG_OPTIONS = frozenset({"--assume-in-transaction", "--runner-timeouts", "--no-cache"})
GLOBAL_FLAGS = frozenset({"--debug"})  # before the command


def lint_paths(argv: Sequence[str]) -> list[str] | None:
    """The PATH arguments of `pgwarden lint ...` in the usual spellings; None for any other
    command, for stdin and for what it cannot tell without argparse."""
    args = iter(argv)
    for arg in args:
        if arg == "lint":
            break
        if arg not in GLOBAL_FLAGS:
            return None
    else:
        return None
    paths: list[str] = []
    for arg in args:
        if arg == "--":
            paths.extend(args)
            break
        if arg.startswith("--"):
            name, eq, _ = arg.partition("=")
            if name in VALUE_OPTIONS:
                if not eq and next(args, None) is None:
                    return None
            elif name not in FLAG_OPTIONS or eq:
                return None
        elif arg.startswith("-"):
            return None  # stdin, -h, or short options lint does not have
        else:
            paths.append(arg)
    return paths or None


def entry() -> None:
    """Start the read-ahead helper for a lint run, then run the command line (cli.main)."""
    paths = lint_paths(sys.argv[1:])
    if paths is not None:
        from pgwarden.sql.read_ahead import ReadAhead

        ReadAhead.start_early(paths)
    from pgwarden import dataclass_code

    dataclass_code.install()  # before the modules whose classes it covers (after the fork)
    from pgwarden.cli.main import entry as run

    run()
