"""Entry point of the lock model: one statement node + catalog + version -> Effect."""

from __future__ import annotations

from typing import Any

# Importing the families registers their handlers.
from pgwarden.locks import alter_table, dml, indexes, misc, tables  # noqa: F401
from pgwarden.locks.context import Context, handler_for
from pgwarden.locks.effects import Effect


def _merge(into: Effect, part: Effect) -> None:
    """A data-modifying CTE's effect into its statement's (the stronger lock wins)."""
    for lk in part.locks:
        into.lock(
            lk.relation,
            lk.mode,
            relkind=lk.relkind,
            new=lk.new,
            reason=lk.reason,
            per_row=lk.per_row,
            partition_copy=lk.partition_copy,
        )
    for mine, theirs in (
        (into.rewrites, part.rewrites),
        (into.index_rebuilds, part.index_rebuilds),
        (into.scans, part.scans),
    ):
        mine.extend(r for r in theirs if r not in mine)
    into.causes.extend(part.causes)
    if part.unknown:
        into.unknown, into.note = True, part.note


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
        effect = handler(node, ctx)
        for cte in getattr(getattr(node, "withClause", None), "ctes", None) or ():
            if type(cte.ctequery).__name__ in dml.DML_KINDS:
                _merge(effect, analyze(cte.ctequery, ctx))  # WITH x AS (DELETE ...) ...
        return effect
    except (AttributeError, TypeError, IndexError, KeyError, ValueError) as exc:
        # A parse tree shape the model did not expect: report it as unknown, not as safe.
        return Effect(
            kind=kind.removesuffix("Stmt"),
            unknown=True,
            note=f"pgwarden could not model this {kind}: {type(exc).__name__}: {exc}",
        )
