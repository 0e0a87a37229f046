"""Readers over the lock model's output that several rules share (which lock, on what)."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.catalog import QualifiedName
from pgwarden.locks.effects import Cause, Effect, RelationLock
from pgwarden.locks.session import Analysed


def lock_on(effect: Effect, relation: QualifiedName | None) -> RelationLock | None:
    """The lock a statement takes on `relation`, if any."""
    return effect.lock_of(relation)


def on_existing(a: Analysed, prefix: str) -> Iterator[tuple[Cause, RelationLock]]:
    """Causes matching `prefix` whose relation already existed before this file (in use)."""
    for cause in a.effect.find(prefix):
        lk = lock_on(a.effect, cause.relation)
        if lk is not None and not lk.new:
            yield cause, lk


def column_ref(cause: Cause) -> str:
    """`public.orders.total`, or just the table when the cause names no column."""
    return f"{cause.relation}.{cause.column}" if cause.column else str(cause.relation)
