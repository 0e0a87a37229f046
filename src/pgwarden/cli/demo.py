"""`pgwarden demo`: a short incident replay, naive migration vs pgwarden's runner, side by side."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "demo",
        help="replay the backup-blocks-migration incident: naive vs pgwarden (under a minute)",
        description="Starts a throwaway PostgreSQL, runs app traffic, starts a real pg_dump "
        "backup, then runs the same ALTER TABLE naively and under pgwarden's runner.",
    )
    p.add_argument("--pg-bin", type=Path, help="PostgreSQL bin dir (default: embedded PG 18 wheel)")
    p.add_argument(
        "--blocker-seconds",
        type=float,
        default=5.0,
        help="how long the pg_dump backup holds the table; the migration starts 1 s into it, "
        "so use more than 1 (default: %(default)s)",
    )
    p.add_argument(
        "--clients",
        type=int,
        default=8,
        help="application connections running queries on the table (default: %(default)s)",
    )
    p.add_argument(
        "--strategies",
        default="naive,pgwarden",
        help="comma list of naive, timeout10, gitlab, backoff, pgwarden (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        type=Path,
        default=Path("pgwarden-demo"),
        help="where to write the plot and JSON (default: %(default)s)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pgwarden.errors import UsageError
    from pgwarden.replay.driver import run_all
    from pgwarden.replay.report import COLUMNS, rows
    from pgwarden.replay.scenario import ReplayConfig
    from pgwarden.replay.strategies import STRATEGIES

    names = [s.strip() for s in args.strategies.split(",") if s.strip()]
    bad = [n for n in names if n not in STRATEGIES]
    if bad:
        raise UsageError(f"unknown strategy {', '.join(bad)}; choose from {', '.join(STRATEGIES)}")
    if not names:
        raise UsageError(f"--strategies is empty; choose from {', '.join(STRATEGIES)}")
    defaults = ReplayConfig()
    lead = defaults.migration_at - defaults.blocker_at  # the migration starts this far in
    if args.blocker_seconds <= lead:
        raise UsageError(
            f"--blocker-seconds must be more than {lead:g}: the migration starts {lead:g} s "
            "after the backup, so a shorter backup is over before it and shows nothing"
        )
    if args.clients < 1:
        raise UsageError("--clients must be at least 1")
    console = Console(highlight=False)
    console.print(
        f"[bold]pgwarden demo[/bold]: {args.clients} app clients, a real pg_dump holding the "
        f"table for {args.blocker_seconds:g} s, then `ALTER TABLE accounts ADD COLUMN note text`."
    )
    cfg = ReplayConfig(
        rows=20_000,
        clients=args.clients,
        blocker_seconds=args.blocker_seconds,
        tail=1.0,
        max_seconds=args.blocker_seconds + 20,
    )
    result = run_all(
        names, cfg, args.out, args.pg_bin, progress=lambda m: console.print(f"[dim]{m}[/dim]")
    )
    # Metrics down, strategies across: fits an 80-column terminal side by side.
    table = Table(title=f"PostgreSQL {result.major}: same migration, same backup")
    table.add_column("")
    for r in result.runs:
        table.add_column(r.strategy, justify="right")
    values = rows(result.runs)
    for i, (title, _) in enumerate(COLUMNS[1:], start=1):
        table.add_row(title, *(v[i] for v in values))
    console.print(table)
    console.print(
        f"plot: {result.plot_path or 'install matplotlib for the plot'}   json: {result.json_path}"
    )
    ok = all(r.summary.migration_ok for r in result.runs)
    print("" if ok else "some migrations failed: see the table", file=sys.stderr, end="")
    return 0 if ok else 1
