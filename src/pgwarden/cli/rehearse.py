"""`pgwarden rehearse`: run pending migrations on a throwaway copy of the source database first."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

USAGE = (
    "pgwarden rehearse [MIGRATIONS ...] --from DSN [--sample-rows N | --full] "
    "[--whole-under ROWS] [--seed N] [--tables PATTERN] [--pg-bin DIR] [--budget DUR] [--keep] "
    "[--format text|json] [-- CMD [ARGS ...]]"
)
EPILOG = (
    "exit status: 0 every migration succeeded within the budget; 1 a migration (or CMD) "
    "failed on the copy; 4 a write-blocking lock would be held longer than --budget in "
    "production; 2 usage errors, or the copy could not be built. See docs/rehearse.md."
)


def _budget(text: str) -> float:
    from pgwarden.cli.migrate import duration

    return duration(text)


def add_options(p: argparse.ArgumentParser) -> None:
    """Options, accepted before and after MIGRATIONS (see _split)."""
    p.add_argument(
        "--from",
        dest="source",
        metavar="DSN",
        help="the database to copy (read-only; its password is never printed or stored)",
    )
    rows = p.add_argument_group("what to copy")
    rows.add_argument(
        "--sample-rows",
        type=int,
        metavar="N",
        help="rows per table, spread over the table, parents before children so foreign keys "
        "hold (default 10000)",
    )
    rows.add_argument("--full", action="store_true", default=None, help="copy every row")
    rows.add_argument(
        "--whole-under",
        type=int,
        metavar="ROWS",
        help="copy every row of the tables the migrations touch when the source holds fewer "
        "than ROWS of them (default 1000000; 0: sample them too)",
    )
    rows.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="seed of the samples, to draw the same rows again (default: a new one, reported)",
    )
    rows.add_argument(
        "--tables",
        metavar="PATTERN",
        action="append",
        help="copy rows only of tables matching PATTERN (shell-style, schema.name or name; "
        "comma separated or repeated); the others get their schema only",
    )
    p.add_argument(
        "--pg-bin",
        type=Path,
        metavar="DIR",
        help="PostgreSQL server binaries for the copy, to match the source's major "
        "(default: the embedded PostgreSQL 18)",
    )
    p.add_argument(
        "--budget",
        type=_budget,
        metavar="DUR",
        help="longest a write-blocking lock may be held in production (default 1s)",
    )
    p.add_argument(
        "--keep",
        action="store_true",
        default=None,
        help="leave the copy running and print how to connect to it",
    )
    p.add_argument("--format", choices=("text", "json"), help="text (default) or json")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rehearse",
        help="run pending migrations on a throwaway copy of a database first",
        description="Copy the schema of --from into a throwaway cluster with every row of the "
        "tables the migrations touch and a sample of the others (or every row), run the "
        "pending migrations there (SQL files, or -- CMD with DATABASE_URL and PG* pointing "
        "at the copy), and report each statement's outcome "
        "(the failing row where there is one), locks, rewrites and an extrapolated "
        "production duration. The source is only ever read.",
        usage=USAGE,
        epilog=EPILOG,
    )
    add_options(p)
    p.add_argument(
        "rest",
        nargs=argparse.REMAINDER,
        metavar="[MIGRATIONS ...] [-- CMD ...]",
        help="migration files or directories, then the command to run, after --",
    )
    p.set_defaults(func=run)


def _split(args: argparse.Namespace) -> tuple[list[str], list[str]]:
    """(MIGRATIONS, CMD) from the arguments after the first positional.

    argparse cannot put options after a positional that precedes a `--` remainder, so
    everything from the first positional on is collected and parsed again here.
    """
    rest = list(args.rest)
    cut = rest.index("--") if "--" in rest else len(rest)
    head, command = rest[:cut], rest[cut + 1 :]
    tail = argparse.ArgumentParser(prog="pgwarden rehearse", usage=USAGE, add_help=False)
    add_options(tail)
    tail.add_argument("migrations", nargs="*")
    tail.parse_args(head, namespace=args)
    return list(args.migrations), command


def run(args: argparse.Namespace) -> int:
    from pgwarden.config import load_config
    from pgwarden.errors import UsageError
    from pgwarden.rehearse import RehearseOptions, rehearse
    from pgwarden.rehearse.copy import DEFAULT_WHOLE_UNDER

    migrations, command = _split(args)
    if not args.source:
        raise UsageError("--from DSN is required: the database to rehearse against")
    if args.full and args.sample_rows is not None:
        raise UsageError("give either --sample-rows or --full, not both")
    if args.tables and args.full:
        raise UsageError("--tables restricts sampling; it does not apply with --full")
    for given, name in ((args.whole_under, "--whole-under"), (args.seed, "--seed")):
        if given is not None and args.full:
            raise UsageError(f"{name} applies to sampling; it does not apply with --full")
    patterns = tuple(p.strip() for t in args.tables or () for p in t.split(",") if p.strip())
    options = RehearseOptions(
        source=args.source,
        migrations=tuple(migrations),
        command=tuple(command),
        full=bool(args.full),
        sample_rows=args.sample_rows if args.sample_rows is not None else 10_000,
        tables=patterns,
        whole_under=args.whole_under if args.whole_under is not None else DEFAULT_WHOLE_UNDER,
        seed=args.seed,
        pg_bin=args.pg_bin,
        budget=args.budget if args.budget is not None else 1.0,
        keep=bool(args.keep),
        lint=load_config(Path.cwd()),
    )
    fmt = args.format or "text"
    result = rehearse(options, progress=_progress if fmt == "text" else _silent)
    if fmt == "json":
        from pgwarden.report.rehearse_json import write_json

        write_json(result, sys.stdout)
    else:
        from pgwarden.report.rehearse_text import write_text

        write_text(result, sys.stdout)
    return result.exit_code


def _progress(message: str) -> None:
    print(f"pgwarden: {message}…", file=sys.stderr, flush=True)


def _silent(message: str) -> None:
    pass
