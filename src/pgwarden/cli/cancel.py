"""`pgwarden cancel PID...` and `pgwarden unblock`: end blocking sessions under a strict policy."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pgwarden.cli._inspect import add_dsn, add_format, duration


def _policy_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--terminate",
        action="store_true",
        help="end the whole session (pg_terminate_backend), not just its running query",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="also signal superuser sessions and sessions whose details this role cannot see",
    )


def register(sub: Any) -> None:
    c = sub.add_parser(
        "cancel",
        help="cancel (or --terminate) sessions by pid, under the safety policy",
        description=(
            "Cancel the running query of each PID (pg_cancel_backend), or end the session with "
            "--terminate. Never signals pgwarden's own session, replication connections or "
            "autovacuum, nor superuser sessions without --force."
        ),
    )
    c.add_argument("pids", nargs="+", type=int, metavar="PID")
    add_dsn(c)
    add_format(c)
    _policy_options(c)
    c.add_argument("--include-autovacuum", action="store_true", help="allow autovacuum workers")
    c.set_defaults(func=run_cancel)

    u = sub.add_parser(
        "unblock",
        help="cancel the root blockers matching a policy (dry run unless --yes or a terminal)",
        description=(
            "Find root blockers (sessions others wait for, waiting for nobody) matching every "
            "given filter, and cancel (or --terminate) them. Without --yes it asks on a terminal "
            "and only prints the plan otherwise."
        ),
    )
    add_dsn(u)
    add_format(u)
    u.add_argument(
        "--min-age",
        type=duration,
        default=0.0,
        metavar="DUR",
        help="only blockers whose transaction is at least this old (e.g. 5m)",
    )
    u.add_argument("--application", metavar="RE", help="regex searched in application_name")
    u.add_argument("--query", metavar="RE", help="regex searched in the query text")
    _policy_options(u)
    u.add_argument("--include-autovacuum", action="store_true", help="allow autovacuum workers")
    mode = u.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="only show what would be done")
    mode.add_argument("--yes", action="store_true", help="act without asking")
    u.set_defaults(func=run_unblock)


def _policy(args: argparse.Namespace) -> Any:
    from pgwarden.inspect.cancel import Policy

    return Policy(args.terminate, args.force, args.include_autovacuum)


def run_cancel(args: argparse.Namespace) -> int:
    from pgwarden.cli._inspect import connect_for
    from pgwarden.inspect.cancel import execute, plan_pids
    from pgwarden.inspect.connection import guard
    from pgwarden.inspect.snapshot import take_snapshot
    from pgwarden.inspect.tree import build_tree
    from pgwarden.report.inspect_cancel import write_cancel_json, write_outcomes_text

    conn, _ = connect_for(args, "cancel")
    with conn, guard():
        snap = take_snapshot(conn)
        actions = plan_pids(snap, args.pids, _policy(args), build_tree(snap))
        outcomes = execute(conn, actions)
    if args.format == "json":
        write_cancel_json(actions, outcomes, sys.stdout, dry_run=False)
    else:
        write_outcomes_text(outcomes, sys.stdout)
    return 0 if all(o.sent for o in outcomes) else 1


def run_unblock(args: argparse.Namespace) -> int:
    import re

    from pgwarden.cli._inspect import connect_for
    from pgwarden.errors import UsageError
    from pgwarden.inspect.cancel import execute, plan_unblock, select_roots
    from pgwarden.inspect.connection import guard
    from pgwarden.inspect.snapshot import take_snapshot
    from pgwarden.inspect.tree import build_tree
    from pgwarden.report.inspect_cancel import (
        write_cancel_json,
        write_outcomes_text,
        write_plan_text,
    )

    for flag, pattern in (("--application", args.application), ("--query", args.query)):
        if pattern:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise UsageError(f"invalid {flag} pattern {pattern!r}: {exc}") from None
    conn, _ = connect_for(args, "unblock")
    with conn, guard():
        tree = build_tree(take_snapshot(conn))
        roots = select_roots(
            tree, min_age=args.min_age, application=args.application, query=args.query
        )
        actions = plan_unblock(tree, roots, _policy(args))
        if not actions:
            print("no root blocker matches", file=sys.stderr)
            if args.format == "json":
                write_cancel_json([], None, sys.stdout, dry_run=not args.yes)
            return 0
        why = _dry_reason(args)
        if why is not None and why == "ask":
            write_plan_text(actions, sys.stdout, None)
            why = None if _confirm(sum(a.allowed for a in actions)) else "not confirmed"
        if why is not None:
            if args.format == "json":
                write_cancel_json(actions, None, sys.stdout, dry_run=True)
            else:
                write_plan_text(actions, sys.stdout, why)
            return 0
        outcomes = execute(conn, actions)
    if args.format == "json":
        write_cancel_json(actions, outcomes, sys.stdout, dry_run=False)
    else:
        write_outcomes_text(outcomes, sys.stdout)
    return 0 if all(o.sent for o in outcomes) else 1


def _dry_reason(args: argparse.Namespace) -> str | None:
    """None to act; "ask" to prompt on the terminal; else why this is a dry run."""
    if args.dry_run:
        return "--dry-run"
    if args.yes:
        return None
    if sys.stdin.isatty() and args.format == "text":
        return "ask"
    return "stdin is not a terminal; pass --yes to act"


def _confirm(n: int) -> bool:
    if n == 0:
        return False
    try:
        answer = input(f"signal {n} session(s)? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
