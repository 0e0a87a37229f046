"""What a migration will lock, from the lock model: the strongest mode per existing relation."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.config import LintConfig
from pgwarden.errors import InputError
from pgwarden.lint import LintResult, lint_paths
from pgwarden.locks.context import SUPPORTED_VERSIONS
from pgwarden.locks.modes import CONFLICTS, LockMode, blocks


@dataclass(frozen=True, slots=True)
class Need:
    """The strongest lock the migration takes on one relation, and the first statement taking it."""

    relation: str  # schema.name
    mode: LockMode
    relkind: str
    where: str  # path:line of the statement that takes `mode`
    statement: str  # its kind, e.g. "ALTER TABLE ADD COLUMN"

    def conflicts_with(self, mode: LockMode) -> bool:
        return mode in CONFLICTS[self.mode]

    @property
    def blocks_reads(self) -> bool:
        return blocks(self.mode).reads

    @property
    def blocks_writes(self) -> bool:
        return blocks(self.mode).writes


@dataclass(frozen=True, slots=True)
class Needs:
    needs: tuple[Need, ...]
    new_relations: tuple[str, ...]  # created by the migration itself: nobody can be waiting
    unknown: tuple[str, ...]  # path:line of statements the lock model cannot describe
    waits_for_snapshots: tuple[str, ...]  # path:line of CONCURRENTLY statements
    rewrites: tuple[str, ...]  # existing tables the migration rewrites (WAL ~ table size)
    files: int

    @property
    def relations(self) -> tuple[str, ...]:
        return tuple(n.relation for n in self.needs)

    def need(self, relation: str | None) -> Need | None:
        for n in self.needs:
            if n.relation == relation:
                return n
        return None


# CREATE INDEX / REINDEX CONCURRENTLY and DETACH PARTITION CONCURRENTLY wait for every
# transaction in the database that holds an older snapshot, whatever tables it touches
# (https://www.postgresql.org/docs/current/sql-createindex.html#SQL-CREATEINDEX-CONCURRENTLY).
_SNAPSHOT_WAITERS = ("CONCURRENTLY",)


def needs_from_lint(result: LintResult) -> Needs:
    """Collect the locks of every statement; a file that failed to parse is an InputError."""
    if result.errors:
        raise InputError("cannot read the migration:\n" + "\n".join(str(e) for e in result.errors))
    strongest: dict[str, Need] = {}
    order: list[str] = []
    new: list[str] = []
    unknown: list[str] = []
    snapshot_waiters: list[str] = []
    rewrites: list[str] = []
    for f in result.files:
        for st in f.statements:
            where = f"{f.path}:{st.line}"
            if st.unknown:
                unknown.append(where)
            if any(w in st.kind.upper() for w in _SNAPSHOT_WAITERS):
                snapshot_waiters.append(where)
            rewrites.extend(r for r in st.rewrites if r not in rewrites)
            for lk in st.locks:
                if lk.new:
                    if lk.relation not in new:
                        new.append(lk.relation)
                    continue
                mode = LockMode[lk.mode]
                have = strongest.get(lk.relation)
                if have is None:
                    order.append(lk.relation)
                if have is None or mode > have.mode:
                    strongest[lk.relation] = Need(lk.relation, mode, lk.relkind, where, st.kind)
    return Needs(
        tuple(strongest[r] for r in order),
        tuple(r for r in new if r not in strongest),
        tuple(unknown),
        tuple(snapshot_waiters),
        tuple(r for r in rewrites if r not in new),
        len(result.files),
    )


def needs_for_paths(paths: list[str], config: LintConfig, server_major: int | None = None) -> Needs:
    """Lint `paths` with the lock model of the server's major version (clamped to 12-18)."""
    if server_major is not None:
        major = min(max(server_major, SUPPORTED_VERSIONS.start), SUPPORTED_VERSIONS.stop - 1)
        config = config.with_overrides(pg_version=major)
    return needs_from_lint(lint_paths(paths, config))
