"""`pgwarden blockers`: who blocks whom right now, as a tree with root blockers first."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pgwarden.cli._inspect import add_dsn, add_format, duration


def register(sub: Any) -> None:
    p = sub.add_parser(
        "blockers",
        help="show the lock tree: root blockers first, waiters under what they wait for",
        description=(
            "Show every session waiting for a lock under the session it waits for, with lock "
            "modes, relations, ages, applications and queries. Exit 0 when nobody waits, 1 when "
            "someone does."
        ),
    )
    add_dsn(p)
    add_format(p)
    p.add_argument("--watch", action="store_true", help="refresh until interrupted")
    p.add_argument(
        "--interval", type=duration, default=2.0, metavar="DUR", help="--watch refresh (2s)"
    )
    p.add_argument(
        "--backup-pattern", action="append", default=[], metavar="RE", help="backup agent regex"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from pgwarden.cli._inspect import connect_for
    from pgwarden.errors import UsageError
    from pgwarden.inspect.backups import compile_patterns
    from pgwarden.inspect.connection import guard
    from pgwarden.inspect.snapshot import take_snapshot
    from pgwarden.inspect.tree import build_tree
    from pgwarden.report.inspect_blockers import (
        tree_renderable,
        write_blockers_json,
        write_blockers_text,
    )

    try:
        patterns = compile_patterns(args.backup_pattern)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    conn, shown = connect_for(args, "blockers")
    with conn, guard():

        def once() -> Any:
            return build_tree(take_snapshot(conn), patterns)

        if not args.watch:
            tree = once()
            if args.format == "json":
                write_blockers_json(tree, shown, sys.stdout)
            else:
                write_blockers_text(tree, shown, sys.stdout)
            return 1 if tree.waiting else 0
        return _watch(once, args, shown, tree_renderable, write_blockers_json, write_blockers_text)


def _watch(once: Any, args: Any, shown: str, renderable: Any, as_json: Any, as_text: Any) -> int:
    import time

    try:
        if args.format == "text" and sys.stdout.isatty():
            from rich.live import Live

            with Live(auto_refresh=False) as live:
                while True:
                    live.update(renderable(once(), shown), refresh=True)
                    time.sleep(args.interval)
        while True:  # not a terminal: one block (or JSON document) per refresh
            (as_json if args.format == "json" else as_text)(once(), shown, sys.stdout)
            sys.stdout.flush()
            time.sleep(args.interval)
    except KeyboardInterrupt:
        return 0
