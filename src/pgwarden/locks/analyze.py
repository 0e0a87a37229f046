"""Entry point of the lock model: one statement node + catalog + version -> Effect."""

from __future__ import annotations

from typing import Any

# Importing the families registers their handlers.
from pgwarden.locks import alter_table, dml, indexes, misc, tables  # noqa: F401
from pgwarden.locks.context import Context, handler_for
from pgwarden.locks.effects import Effect


def analyze(node: Any, ctx: Context) -> Effect:
    """Model one statement; anything without a handler is `unknown`, never safe."""
    kind = type(node).__name__
    handler = handler_for(kind)
    if handler is None:
        return Effect(
            kind=kind.removesuffix("Stmt"),
            unknown=True,
            note=f"pgwarden does not model {kind} statements",
        )
    try:
        return handler(node, ctx)
    except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
        # A parse tree shape the model did not expect: report it as unknown, not as safe.
        return Effect(
            kind=kind.removesuffix("Stmt"),
            unknown=True,
            note=f"pgwarden could not model this {kind}: {type(exc).__name__}: {exc}",
        )
