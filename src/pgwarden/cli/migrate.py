"""`pgwarden migrate` and `pgwarden status`: apply a directory of SQL migrations safely."""

from __future__ import annotations

import argparse
import sys
from typing import Any

FORMATS = ("text", "json")


def duration(text: str) -> float:
    from pgwarden.errors import UsageError
    from pgwarden.runner.policy import parse_duration

    try:
        return parse_duration(text)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_policy_options(p: argparse.ArgumentParser, *, long_statements: bool = True) -> None:
    """The lock policy options, shared by `migrate` and `run` (defaults: docs/runner.md).

    `run` passes long_statements=False: it hands the command one set of session settings and
    cannot tell its long statements apart, so a separate timeout for them would do nothing.
    """
    g = p.add_argument_group("lock policy (durations: 50ms, 2s, 30m, 1h; 0 = no limit)")
    g.add_argument(
        "--lock-timeout",
        type=duration,
        metavar="DUR",
        help="longest wait for a traffic-blocking lock per attempt (default 50ms)",
    )
    g.add_argument(
        "--max-wait",
        type=duration,
        metavar="DUR",
        help="give up after waiting this long for locks (default 30m)",
    )
    g.add_argument(
        "--max-queue",
        type=duration,
        metavar="DUR",
        help="cancel our statement when others queue behind its lock wait this long (default 50ms)",
    )
    g.add_argument(
        "--statement-timeout",
        type=duration,
        metavar="DUR",
        help="statement_timeout for ordinary statements (default: the server's setting)",
    )
    if long_statements:
        g.add_argument(
            "--long-statement-timeout",
            type=duration,
            metavar="DUR",
            help="statement_timeout for CONCURRENTLY builds, VALIDATE, VACUUM (default 0: none)",
        )
    g.add_argument(
        "--idle-timeout",
        type=duration,
        metavar="DUR",
        help="idle_in_transaction_session_timeout: a dead runner's locks go after this "
        "(default 10s)",
    )
    g.add_argument(
        "--backoff-cap",
        type=duration,
        metavar="DUR",
        help="longest jittered sleep between attempts (default 2s)",
    )


def policy_from_args(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from pgwarden.runner.policy import Policy

    overrides = {
        "lock_timeout": args.lock_timeout,
        "max_wait": args.max_wait,
        "max_queue": args.max_queue,
        "statement_timeout": args.statement_timeout,
        "long_statement_timeout": getattr(args, "long_statement_timeout", None),
        "idle_in_transaction_timeout": args.idle_timeout,
        "backoff_cap": args.backoff_cap,
    }
    return replace(Policy(), **{k: v for k, v in overrides.items() if v is not None})


def register(sub: Any) -> None:
    p = sub.add_parser(
        "migrate",
        help="apply SQL migrations without ever queueing traffic behind them",
        description="Apply the pending migrations of DIR (ordered as `lint` orders them), each "
        "in its own transaction with its history row, waiting out long lock holders instead "
        "of queueing behind them and retrying short lock timeouts. See docs/runner.md.",
    )
    p.add_argument("directory", metavar="DIR", help="directory of .sql migrations")
    p.add_argument("--dsn", help="database (default: DATABASE_URL, else the PG* variables)")
    add_policy_options(p)
    p.add_argument("--no-wait", action="store_true", help="exit 3 if another runner is migrating")
    p.add_argument(
        "--allow-changed",
        action="store_true",
        help="accept applied files whose checksum changed (they are not re-run)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would run, lint it and run the pre-flight; change nothing",
    )
    p.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json")
    p.set_defaults(func=run_migrate)

    s = sub.add_parser(
        "status",
        help="list applied, pending, changed and failed migrations",
        description="Compare DIR with the history table pgwarden.migrations.",
    )
    s.add_argument("directory", metavar="DIR", help="directory of .sql migrations")
    s.add_argument("--dsn", help="database (default: DATABASE_URL, else the PG* variables)")
    s.add_argument("--format", choices=FORMATS, default="text", help="text (default) or json")
    s.set_defaults(func=run_status)


def run_migrate(args: argparse.Namespace) -> int:
    from pgwarden.db import resolve_dsn
    from pgwarden.report.runner_text import make_sink
    from pgwarden.runner import Abort, dry_run, migrate
    from pgwarden.runner.signals import handle_signals

    dsn = resolve_dsn(args.dsn)
    policy = policy_from_args(args)
    if args.dry_run:
        from pgwarden.cli.lint import config_from_args

        lint_args = argparse.Namespace(
            pg_version=None,
            assume_in_transaction=None,
            runner_timeouts=True,
            schema=None,
        )
        result = dry_run(args.directory, dsn, policy, config_from_args(lint_args))
        if args.format == "json":
            from pgwarden.report.runner_json import write_dry_run_json

            write_dry_run_json(result, sys.stdout)
        else:
            from pgwarden.report.runner_text import write_dry_run_text

            write_dry_run_text(result, sys.stdout)
        return result.lint.exit_code if result.lint is not None else 0
    abort = Abort()
    with handle_signals(abort), make_sink(args.format, sys.stdout) as sink:
        migrate(
            args.directory,
            dsn,
            policy,
            sink,
            allow_changed=args.allow_changed,
            no_wait=args.no_wait,
            abort=abort,
        )
    return 0


def run_status(args: argparse.Namespace) -> int:
    from pgwarden.db import resolve_dsn
    from pgwarden.runner import status

    result = status(args.directory, resolve_dsn(args.dsn))
    if args.format == "json":
        from pgwarden.report.runner_json import write_status_json

        write_status_json(result, sys.stdout)
    else:
        from pgwarden.report.runner_text import write_status_text

        write_status_text(result, sys.stdout)
    return 0
