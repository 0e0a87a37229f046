"""Values a rehearsal produces: what the source looks like, how it was copied, what ran."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.trace.model import TraceResult

EXIT_FAILED = 1  # a migration (or the command) failed on the copy
EXIT_OVER_BUDGET = 4  # a write-blocking lock would be held longer than --budget in production


@dataclass(frozen=True, slots=True)
class TableStats:
    """Size of one table: planner estimates and the real size of its main fork."""

    oid: int
    schema: str
    name: str
    reltuples: float  # -1: never vacuumed or analysed
    relpages: int
    size_bytes: int
    columns: tuple[str, ...]  # the columns COPY can write (not generated)
    rows: int | None = None  # best row count: reltuples, or counted when never analysed

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(frozen=True, slots=True)
class ForeignKey:
    child: int
    parent: int
    parent_name: str
    name: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    ref_types: tuple[str, ...]
    parent_leaves: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What the rehearsal read from the source; `label` is a redacted DSN, safe to print."""

    label: str
    database: str
    major: int
    server_version: str
    tables: tuple[TableStats, ...]
    foreign_keys: tuple[ForeignKey, ...]


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """How one table's rows reached the copy.

    how: full (pg_dump), all (fewer rows than the sample size), sampled (first N rows),
    fk (rows whose foreign keys point at copied parent rows), fk-not-preserved (some foreign
    key could not be followed; loaded with FK checks off), schema-only (not matched by --tables).
    """

    table: str
    how: str
    rows: int
    source_rows: int | None
    note: str = ""


@dataclass(frozen=True, slots=True)
class CopyInfo:
    """The throwaway copy: where it runs and what it holds. `dsn` has no password."""

    dsn: str
    label: str
    database: str
    major: int
    server_version: str
    mode: str  # full or sample
    sample_rows: int
    tables: tuple[CopiedTable, ...]
    kept: bool = False
    pid: int | None = None
    directory: str = ""  # the cluster's files, left in place by --keep


@dataclass(frozen=True, slots=True)
class Offending:
    """Rows that make the failing statement fail, and how they were found."""

    rows: tuple[str, ...]
    how: str  # "named by PostgreSQL" or the query pgwarden ran on the copy


@dataclass(frozen=True, slots=True)
class Estimate:
    """A statement's measured duration on the copy, scaled to the source's table sizes."""

    path: str
    line: int
    column: int
    measured_ms: float
    production_ms: float | None  # None: cannot scale (the copy holds no rows of a table)
    factor: float | None
    basis: str  # why that factor, in words


@dataclass(frozen=True, slots=True)
class LockWindow:
    """Consecutive statements during which one existing table stays locked against writes."""

    relation: str
    mode: str  # the strongest LockMode name in the window
    path: str
    first_line: int
    last_line: int
    production_ms: float | None
    over_budget: bool


@dataclass(frozen=True, slots=True)
class CommandRun:
    """`-- CMD` run against the copy."""

    argv: tuple[str, ...]
    exit_status: int
    output: str
    duration_ms: float
    rewrites: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.exit_status != 0


@dataclass(frozen=True, slots=True)
class RehearseResult:
    source: SourceInfo
    copy: CopyInfo
    budget_ms: float
    warnings: tuple[str, ...] = ()
    applied: tuple[str, ...] = ()  # migrations the source's history says are applied: not run
    trace: TraceResult | None = None
    estimates: tuple[Estimate, ...] = ()
    windows: tuple[LockWindow, ...] = ()
    offending: Offending | None = None
    command: CommandRun | None = None

    @property
    def failed(self) -> bool:
        return (self.trace is not None and self.trace.failed) or (
            self.command is not None and self.command.failed
        )

    @property
    def over_budget(self) -> tuple[LockWindow, ...]:
        return tuple(w for w in self.windows if w.over_budget)

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        if self.over_budget:
            return EXIT_OVER_BUDGET
        return 0

    def estimate_for(self, path: str, line: int, column: int) -> Estimate | None:
        for e in self.estimates:
            if (e.path, e.line, e.column) == (path, line, column):
                return e
        return None
