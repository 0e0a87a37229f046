"""`pgwarden run -- CMD`: any migration command (Django, Rails, Alembic, psql) under the policy."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pgwarden.cli.migrate import add_policy_options, policy_from_args


def register(sub: Any) -> None:
    p = sub.add_parser(
        "run",
        help="run a migration command with lock timeouts, a watchdog and retries",
        description="Run CMD with PGOPTIONS carrying the lock policy and PGAPPNAME tagging its "
        "sessions; the watchdog cancels any of them that makes others queue, and CMD is re-run "
        "with backoff when it fails on a lock timeout. pgwarden's own messages go to stderr.",
        usage="pgwarden run [--dsn DSN] [policy options] [--format text|json] -- CMD [ARGS...]",
    )
    p.add_argument("--dsn", help="database (default: DATABASE_URL, else the PG* variables)")
    add_policy_options(p, long_statements=False)
    p.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="pgwarden's own events on stderr: text lines (default) or JSON lines",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="CMD", help="the command to run")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pgwarden.db import resolve_dsn
    from pgwarden.errors import UsageError
    from pgwarden.report.runner_text import make_sink
    from pgwarden.runner import Abort
    from pgwarden.runner.signals import handle_signals
    from pgwarden.runner.wrap import run_wrapped

    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError("nothing to run: pgwarden run [options] -- CMD [ARGS...]")
    dsn = resolve_dsn(args.dsn)
    abort = Abort()
    with handle_signals(abort), make_sink(args.format, sys.stderr, live=False) as sink:
        return run_wrapped(
            command,
            dsn,
            policy_from_args(args),
            sink,
            abort=abort,
            stdout=sys.stdout.buffer,
            stderr=sys.stderr.buffer,
        )
