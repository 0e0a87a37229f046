"""`pgwarden check`: is it safe to start this migration against the live database right now?"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgwarden.cli._inspect import add_dsn, add_format, duration, size

if TYPE_CHECKING:
    from pgwarden.inspect.check import CheckOptions, CheckReport
    from pgwarden.inspect.needs import Needs


def register(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="pre-flight a migration against the live database: GO, WAIT or NO-GO",
        description=(
            "Read the live database once (pg_stat_activity, pg_locks, progress views) and say "
            "whether the locks the migration needs would be blocked: GO (exit 0), WAIT (exit 3) "
            "or NO-GO (exit 4)."
        ),
    )
    p.add_argument("migrations", nargs="+", metavar="MIGRATION", help="SQL files or directories")
    add_dsn(p)
    add_format(p)
    p.add_argument("--wait", action="store_true", help="poll until GO (or --max-wait)")
    p.add_argument(
        "--max-wait", type=duration, default=1800.0, metavar="DUR", help="give up after (30m)"
    )
    p.add_argument(
        "--interval", type=duration, default=2.0, metavar="DUR", help="--wait poll interval (2s)"
    )
    p.add_argument(
        "--long-query",
        type=duration,
        default=300.0,
        metavar="DUR",
        help="a conflicting transaction older than this is NO-GO (5m)",
    )
    p.add_argument(
        "--idle-in-tx",
        type=duration,
        default=60.0,
        metavar="DUR",
        help="conflicting and idle in transaction longer than this is NO-GO (1m)",
    )
    p.add_argument(
        "--sample",
        type=duration,
        default=1.0,
        metavar="DUR",
        help="sample table counters this long for traffic rates; 0 to skip (1s)",
    )
    p.add_argument(
        "--max-slot-lag",
        type=size,
        default=1 << 30,
        metavar="SIZE",
        help="replication slot WAL retention worth reporting (1GB)",
    )
    p.add_argument(
        "--backup-pattern",
        action="append",
        default=[],
        metavar="RE",
        help="regex on application_name marking a backup agent; repeatable (adds to defaults)",
    )
    p.add_argument("--schema", action="append", metavar="FILE", help="schema of existing tables")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pgwarden.cli._inspect import connect_for
    from pgwarden.config import load_config
    from pgwarden.errors import UsageError
    from pgwarden.inspect.backups import compile_patterns
    from pgwarden.inspect.check import CheckOptions, check_once
    from pgwarden.inspect.connection import guard
    from pgwarden.inspect.needs import needs_for_paths
    from pgwarden.inspect.verdict import Thresholds
    from pgwarden.report.inspect_check import write_check_json, write_check_text

    try:
        patterns = compile_patterns(args.backup_pattern)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    config = load_config(Path.cwd())
    if args.schema:
        config = config.with_overrides(schema=tuple(args.schema))
    options = CheckOptions(
        Thresholds(args.long_query, args.idle_in_tx, args.max_slot_lag),
        args.sample,
        patterns,
    )
    conn, shown = connect_for(args, "check")
    with conn, guard():
        needs = needs_for_paths(args.migrations, config, conn.info.server_version // 10000)
        if not args.wait:
            report = check_once(conn, needs, options)
            if args.format == "json":
                write_check_json(report, shown, sys.stdout)
            else:
                write_check_text(report, shown, sys.stdout)
            return report.decision.exit_code
        report, timed_out, waited = _wait(conn, needs, options, args, shown)
    if args.format == "json":
        write_check_json(report, shown, sys.stdout, waited, timed_out)
    else:
        write_check_text(report, shown, sys.stdout, waited)
        if timed_out:
            print(f"pgwarden: still {report.verdict.value} after --max-wait", file=sys.stderr)
    return report.decision.exit_code


def _wait(
    conn: Any, needs: Needs, options: CheckOptions, args: argparse.Namespace, shown: str
) -> tuple[CheckReport, bool, float]:
    """Poll with a live display on a terminal, one line per poll otherwise."""
    from pgwarden.inspect.check import wait_for_go
    from pgwarden.report.inspect_check import check_renderable, wait_line

    waited_box = [0.0]
    live_out = sys.stdout if args.format == "text" else sys.stderr
    if live_out.isatty():
        from rich.console import Console
        from rich.live import Live

        with Live(console=Console(file=live_out), auto_refresh=False, transient=True) as live:

            def show(report: Any, waited: float) -> None:
                waited_box[0] = waited
                live.update(check_renderable(report, shown, waited), refresh=True)

            report, timed_out = wait_for_go(
                conn, needs, options, max_wait=args.max_wait, interval=args.interval, on_pass=show
            )
    else:

        def line(report: Any, waited: float) -> None:
            waited_box[0] = waited
            print(wait_line(report, waited), file=sys.stderr, flush=True)

        report, timed_out = wait_for_go(
            conn, needs, options, max_wait=args.max_wait, interval=args.interval, on_pass=line
        )
    return report, timed_out, waited_box[0]
