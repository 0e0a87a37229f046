"""Options shared by the live-inspection commands (check, blockers, cancel, unblock)."""

from __future__ import annotations

import argparse
from typing import Any


def duration(text: str) -> float:
    from pgwarden.inspect.units import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def size(text: str) -> int:
    from pgwarden.inspect.units import parse_size

    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_dsn(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--dsn",
        metavar="DSN",
        help="database to inspect (default: DATABASE_URL, else the libpq PG* variables)",
    )


def add_format(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def connect_for(args: argparse.Namespace, purpose: str) -> tuple[Any, str]:
    """(connection, redacted DSN for display)."""
    from pgwarden.db import redact, resolve_dsn
    from pgwarden.inspect.connection import open_connection

    dsn = resolve_dsn(args.dsn)
    return open_connection(dsn, purpose), redact(dsn)
