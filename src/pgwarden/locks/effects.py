"""What one statement does to locks and storage: the lock model's output, shared by every rule."""

from __future__ import annotations

from dataclasses import dataclass, field

from pgwarden.catalog import QualifiedName
from pgwarden.locks.modes import LockMode


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class RelationLock:
    """A lock on one relation; `new` relations were created in this file, so nobody waits."""

    relation: QualifiedName
    mode: LockMode
    relkind: str = "table"  # table, partitioned, index, view, matview, sequence, foreign
    new: bool = False
    reason: str = ""
    # Taken for each row written (foreign-key triggers, nextval()): a statement that writes no
    # row takes none of it (trace --compare tells the two apart).
    per_row: bool = False
    # Passed down from its partitioned table (Context.lock): part of the parent's lock, which
    # rules name instead.
    partition_copy: bool = False


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class Cause:
    """A fact rules key on, e.g. `rewrite:type-change` on public.orders (column `total`)."""

    code: str
    relation: QualifiedName | None = None
    detail: str = ""
    column: str | None = None


@dataclass(slots=True)
class Effect:
    """The modelled consequences of one statement (by PostgreSQL major version)."""

    kind: str
    locks: list[RelationLock] = field(default_factory=list)
    rewrites: list[QualifiedName] = field(default_factory=list)  # table gets new storage
    index_rebuilds: list[QualifiedName] = field(default_factory=list)
    scans: list[QualifiedName] = field(default_factory=list)  # existing rows read in full
    causes: list[Cause] = field(default_factory=list)
    transactional: bool = True  # False: cannot run inside a transaction block
    unknown: bool = False
    note: str = ""
    # Where each relation's lock is in `locks` (rebuilt when the list was filled otherwise):
    # a statement over a view or a partition tree locks hundreds, each looked up many times.
    _at: dict[QualifiedName, int] = field(default_factory=dict, compare=False, repr=False)

    def _index(self) -> dict[QualifiedName, int]:
        if len(self._at) != len(self.locks):
            self._at = {lk.relation: i for i, lk in enumerate(self.locks)}
        return self._at

    def lock_of(self, relation: QualifiedName | None) -> RelationLock | None:
        """The lock this statement takes on `relation`, if any."""
        i = self._index().get(relation) if relation is not None else None
        return self.locks[i] if i is not None else None

    def lock(
        self,
        relation: QualifiedName,
        mode: LockMode,
        *,
        relkind: str = "table",
        new: bool = False,
        reason: str = "",
        per_row: bool = False,
        partition_copy: bool = False,
    ) -> None:
        """Record a lock, keeping only the strongest mode per relation (a mode taken anyway
        wins over the same mode taken per row)."""
        at = self._index()
        i = at.get(relation)
        if i is not None:
            held = self.locks[i]
            if mode > held.mode or (mode == held.mode and held.per_row and not per_row):
                self.locks[i] = RelationLock(
                    relation, mode, relkind, new, reason or held.reason, per_row, partition_copy
                )
            return
        at[relation] = len(self.locks)
        self.locks.append(
            RelationLock(relation, mode, relkind, new, reason, per_row, partition_copy)
        )

    def rewrite(
        self, relation: QualifiedName, code: str, detail: str = "", column: str | None = None
    ) -> None:
        if relation not in self.rewrites:
            self.rewrites.append(relation)
        self.scan(relation)
        self.causes.append(Cause(code, relation, detail, column))

    def scan(self, relation: QualifiedName) -> None:
        if relation not in self.scans:
            self.scans.append(relation)

    def cause(
        self,
        code: str,
        relation: QualifiedName | None = None,
        detail: str = "",
        column: str | None = None,
    ) -> None:
        self.causes.append(Cause(code, relation, detail, column))

    def has(self, prefix: str) -> bool:
        return any(c.code == prefix or c.code.startswith(prefix + ":") for c in self.causes)

    def find(self, prefix: str) -> list[Cause]:
        return [c for c in self.causes if c.code == prefix or c.code.startswith(prefix + ":")]

    def existing_locks(self) -> list[RelationLock]:
        return [lk for lk in self.locks if not lk.new]

    def strongest_existing(self) -> RelationLock | None:
        locks = self.existing_locks()
        return max(locks, key=lambda lk: lk.mode) if locks else None
