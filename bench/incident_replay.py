"""Incident replay benchmark: app load + a real blocker + a migration under each strategy.

    python bench/incident_replay.py --strategy all [--pg-bin DIR] [--blocker backup]
        [--blocker-seconds 8] [--migration add-column] [--clients 8] [--rows 100000]

Prints a markdown table and writes JSON, markdown and a PNG plot under bench/out/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from pgwarden.replay.driver import run_all
from pgwarden.replay.scenario import ReplayConfig
from pgwarden.replay.strategies import MIGRATIONS, STRATEGIES


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--strategy", default="all", help="all or a comma list of " + ", ".join(STRATEGIES)
    )
    p.add_argument("--pg-bin", type=Path, help="PostgreSQL bin dir (default: embedded PG 18 wheel)")
    p.add_argument(
        "--blocker", default="backup", choices=("backup", "long-read", "idle-in-transaction")
    )
    p.add_argument("--blocker-seconds", type=float, default=8.0)
    p.add_argument("--migration", default="add-column", choices=tuple(MIGRATIONS))
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "out")
    args = p.parse_args()
    names = (
        list(STRATEGIES)
        if args.strategy == "all"
        else [s.strip() for s in args.strategy.split(",")]
    )
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        p.error(f"unknown strategy {', '.join(unknown)}")
    cfg = ReplayConfig(
        rows=args.rows,
        clients=args.clients,
        blocker=args.blocker,
        blocker_seconds=args.blocker_seconds,
        migration=args.migration,
    )
    result = run_all(
        names, cfg, args.out, args.pg_bin, progress=lambda m: print(m, file=sys.stderr)
    )
    print(f"PostgreSQL {result.major}")
    print(result.markdown)
    print(f"json: {result.json_path}")
    print(f"plot: {result.plot_path or 'matplotlib not installed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
