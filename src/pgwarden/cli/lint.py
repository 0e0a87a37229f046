"""`pgwarden lint`: check migration files against the rules and the lock model."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

FORMATS = ("text", "json", "sarif", "github")


def add_lint_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--schema",
        action="append",
        metavar="FILE",
        help="schema of existing tables (e.g. pg_dump --schema-only); repeatable",
    )
    p.add_argument("--pg-version", metavar="N", help="target PostgreSQL major (12-18; default 17)")
    p.add_argument(
        "--assume-in-transaction",
        action="store_true",
        default=None,
        help="the migration tool wraps each file in one transaction",
    )
    p.add_argument(
        "--runner-timeouts",
        action="store_true",
        default=None,
        help="files run under pgwarden's runner, which sets lock/statement timeouts",
    )


def register(sub: Any) -> None:
    p = sub.add_parser(
        "lint",
        help="lint migration SQL files (lock-aware)",
        description="Lint SQL migrations: which locks each statement takes and what is unsafe.",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files, directories or - for stdin")
    add_lint_options(p)
    p.add_argument("--format", choices=FORMATS, default=None, help="output format (default text)")
    p.add_argument("--select", metavar="R,...", help="only these rules (names or codes)")
    p.add_argument("--ignore", metavar="R,...", help="skip these rules")
    p.add_argument("--extend-select", metavar="R,...", help="add opt-in rules")
    p.add_argument("--no-cache", action="store_true", help="do not read or write the result cache")
    p.set_defaults(func=run)


def _rules(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def config_from_args(args: argparse.Namespace) -> Any:
    from pgwarden.config import load_config, parse_pg_version

    cfg = load_config(Path.cwd())
    return cfg.with_overrides(
        pg_version=parse_pg_version(args.pg_version) if args.pg_version else None,
        select=_rules(getattr(args, "select", None)),
        ignore=_rules(getattr(args, "ignore", None)),
        extend_select=_rules(getattr(args, "extend_select", None)),
        assume_in_transaction=args.assume_in_transaction,
        runner_timeouts=args.runner_timeouts,
        schema=tuple(args.schema) if args.schema else None,
        cache=False if getattr(args, "no_cache", False) else None,
    )


def run(args: argparse.Namespace) -> int:
    from pgwarden.lint import lint_paths
    from pgwarden.report import render

    config = config_from_args(args)
    result = lint_paths(args.paths or ["-"], config)
    fmt = args.format or "text"
    render(result, fmt, sys.stdout)
    for err in result.errors:
        print(str(err), file=sys.stderr)
    return result.exit_code
