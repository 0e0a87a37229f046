"""The eight table-level lock modes and their conflict matrix, as data.

Source: PostgreSQL docs, "Explicit Locking", Table 13.2 "Conflicting Lock Modes"
(https://www.postgresql.org/docs/current/explicit-locking.html). Everything a rule says about
what a lock blocks is derived from this matrix, never written per rule.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LockMode(enum.IntEnum):
    """Table lock modes, weakest first; values order them by strength. Names as in pg_locks."""

    AccessShareLock = 1
    RowShareLock = 2
    RowExclusiveLock = 3
    ShareUpdateExclusiveLock = 4
    ShareLock = 5
    ShareRowExclusiveLock = 6
    ExclusiveLock = 7
    AccessExclusiveLock = 8

    @property
    def sql_name(self) -> str:
        """The spelling in `LOCK TABLE ... IN <mode> MODE`, e.g. `ACCESS EXCLUSIVE`."""
        return _SQL_NAMES[self]

    @classmethod
    def from_sql(cls, text: str) -> LockMode:
        return _FROM_SQL[" ".join(text.upper().split())]

    def conflicts_with(self, other: LockMode) -> bool:
        return other in CONFLICTS[self]


M = LockMode
_SQL_NAMES = {
    M.AccessShareLock: "ACCESS SHARE",
    M.RowShareLock: "ROW SHARE",
    M.RowExclusiveLock: "ROW EXCLUSIVE",
    M.ShareUpdateExclusiveLock: "SHARE UPDATE EXCLUSIVE",
    M.ShareLock: "SHARE",
    M.ShareRowExclusiveLock: "SHARE ROW EXCLUSIVE",
    M.ExclusiveLock: "EXCLUSIVE",
    M.AccessExclusiveLock: "ACCESS EXCLUSIVE",
}
_FROM_SQL = {v: k for k, v in _SQL_NAMES.items()}

# Table 13.2, row by row: the modes each mode conflicts with.
CONFLICTS: dict[LockMode, frozenset[LockMode]] = {
    M.AccessShareLock: frozenset({M.AccessExclusiveLock}),
    M.RowShareLock: frozenset({M.ExclusiveLock, M.AccessExclusiveLock}),
    M.RowExclusiveLock: frozenset(
        {M.ShareLock, M.ShareRowExclusiveLock, M.ExclusiveLock, M.AccessExclusiveLock}
    ),
    M.ShareUpdateExclusiveLock: frozenset(
        {
            M.ShareUpdateExclusiveLock,
            M.ShareLock,
            M.ShareRowExclusiveLock,
            M.ExclusiveLock,
            M.AccessExclusiveLock,
        }
    ),
    M.ShareLock: frozenset(
        {
            M.RowExclusiveLock,
            M.ShareUpdateExclusiveLock,
            M.ShareRowExclusiveLock,
            M.ExclusiveLock,
            M.AccessExclusiveLock,
        }
    ),
    M.ShareRowExclusiveLock: frozenset(
        {
            M.RowExclusiveLock,
            M.ShareUpdateExclusiveLock,
            M.ShareLock,
            M.ShareRowExclusiveLock,
            M.ExclusiveLock,
            M.AccessExclusiveLock,
        }
    ),
    M.ExclusiveLock: frozenset(set(LockMode) - {M.AccessShareLock}),
    M.AccessExclusiveLock: frozenset(LockMode),
}


class Activity(enum.Enum):
    """What application and maintenance traffic needs, expressed as the lock each one takes."""

    SELECT = M.AccessShareLock
    SELECT_FOR_UPDATE = M.RowShareLock
    WRITE = M.RowExclusiveLock  # INSERT / UPDATE / DELETE / MERGE
    VACUUM = M.ShareUpdateExclusiveLock  # (auto)vacuum, ANALYZE, CREATE INDEX CONCURRENTLY
    CREATE_INDEX = M.ShareLock


@dataclass(frozen=True, slots=True)
class Blocks:
    """What a held (or awaited) mode stops other sessions from doing on the same table."""

    reads: bool
    writes: bool
    row_locks: bool
    vacuum: bool

    @property
    def summary(self) -> str:
        if self.reads:
            return "blocks reads and writes"
        if self.writes:
            return "blocks writes"
        if self.row_locks:
            return "blocks SELECT FOR UPDATE/SHARE"
        if self.vacuum:
            return "blocks vacuum and other DDL"
        return "blocks nothing applications do"


def blocks(mode: LockMode) -> Blocks:
    """Derive from the matrix what a mode blocks."""
    found = _BLOCKS.get(mode)
    if found is None:  # rules ask about every lock of every statement: derive once per mode
        c = CONFLICTS[mode]
        found = _BLOCKS[mode] = Blocks(
            reads=Activity.SELECT.value in c,
            writes=Activity.WRITE.value in c,
            row_locks=Activity.SELECT_FOR_UPDATE.value in c,
            vacuum=Activity.VACUUM.value in c,
        )
    return found


_BLOCKS: dict[LockMode, Blocks] = {}


def strongest(modes: list[LockMode]) -> LockMode | None:
    return max(modes) if modes else None


def is_dangerous(mode: LockMode) -> bool:
    """A mode is dangerous when ordinary application writes (or reads) conflict with it."""
    return blocks(mode).writes
