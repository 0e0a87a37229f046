"""`pgwarden explain`: which locks each statement takes, what they block, and for how long."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pgwarden.cli.lint import add_lint_options


def register(sub: Any) -> None:
    p = sub.add_parser(
        "explain",
        help="show the locks a statement or file takes and what they block",
        description=(
            "For each statement: every relation it locks, the lock mode (as in pg_locks), "
            "whether that blocks reads or writes, rewrites, full scans, how long the lock is "
            "held, and the safer alternative. Exit 0, or 2 when the SQL does not parse."
        ),
    )
    p.add_argument(
        "target",
        metavar="SQL_OR_FILE",
        help="a .sql file or directory, - for stdin, or SQL text (quote it)",
    )
    add_lint_options(p)
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pgwarden.cli.lint import config_from_args
    from pgwarden.explain import explain
    from pgwarden.report.explain_text import write_explain_json, write_explain_text

    ex = explain(args.target, config_from_args(args))
    if args.format == "json":
        write_explain_json(ex, sys.stdout)
    else:
        write_explain_text(ex, sys.stdout)
    for err in ex.errors:
        print(str(err), file=sys.stderr)
    return ex.exit_code
