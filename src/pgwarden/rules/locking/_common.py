"""Facts the locking and transaction rules share: which locks hurt, and transactions as groups."""

from __future__ import annotations

from pgwarden.catalog import QualifiedName
from pgwarden.locks.effects import RelationLock
from pgwarden.locks.modes import LockMode, blocks
from pgwarden.locks.session import Analysed, SessionResult, iter_transactions

# Statements that only steer the session: they hold nothing and take no time.
CONTROL_KINDS = frozenset({"TransactionStmt", "VariableSetStmt", "VariableShowStmt"})


def blocks_app(lk: RelationLock) -> bool:
    """Whether application traffic waits on this lock.

    Nobody writes to views and materialized views, so only blocked reads count there; for
    tables, indexes and sequences blocked writes already stop the application.
    """
    b = _BLOCKED.get(lk.mode) or _blocked(lk.mode)
    return b[lk.relkind in _VIEWS]


def hurting(lk: RelationLock) -> bool:
    """An application-blocking lock on a relation that existed before this file."""
    if lk.new:  # (blocks_app inlined: rules ask this of ~20k locks a corpus)
        return False
    b = _BLOCKED.get(lk.mode) or _blocked(lk.mode)
    return b[lk.relkind in _VIEWS]


_VIEWS = frozenset({"view", "matview"})
# mode -> (blocks writes, blocks reads): what blocks_app answers for a table, for a view
_BLOCKED: dict[LockMode, tuple[bool, bool]] = {}


def _blocked(mode: LockMode) -> tuple[bool, bool]:
    b = blocks(mode)
    found = _BLOCKED[mode] = (b.writes, b.reads)
    return found


def lock_on(a: Analysed, relation: QualifiedName | None) -> RelationLock | None:
    """The lock this statement takes on `relation`, if any."""
    return a.effect.lock_of(relation)


def is_partition_copy(lk: RelationLock) -> bool:
    """A lock passed down from a partitioned parent (Context.lock): part of the parent's lock."""
    return lk.partition_copy


def is_control(a: Analysed) -> bool:
    return a.stmt.kind in CONTROL_KINDS


def transactions(session: SessionResult) -> list[list[Analysed]]:
    """Statements grouped by the transaction they run in (BEGIN sits alone before its block)."""
    return iter_transactions(session)


def and_list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]
