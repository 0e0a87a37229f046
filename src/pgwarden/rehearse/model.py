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
class KeyNote:
    """A foreign key of a copied table: kept by the copy's rows, or why it may not be."""

    name: str
    parent: str  # the referenced table, schema.name
    why: str = ""  # empty: every copied row's key is NULL or points at a copied parent row

    @property
    def text(self) -> str:
        return f"{self.name} -> {self.parent}" + (f" ({self.why})" if self.why else "")


@dataclass(frozen=True, slots=True)
class Sampling:
    """How a sample was drawn: the same seed on the same table contents draws it again.

    method "random": every row is read and the rows kept are those first in the order of a
    hash of their position salted with the seed; "system": `TABLESAMPLE SYSTEM (percent)
    REPEATABLE (seed)` reads that share of the table's pages, then the same hash picks among
    their rows.
    """

    method: str
    seed: int
    percent: float | None = None  # system: the share of pages read

    @property
    def text(self) -> str:
        if self.method == "system" and self.percent is not None:
            return f"system {self.percent:.3g}% of pages, seed {self.seed}"
        return f"{self.method}, seed {self.seed}"


@dataclass(frozen=True, slots=True)
class CopiedTable:
    """How one table's rows reached the copy.

    how: full (--full, pg_dump), whole (touched by the migrations and under --whole-under:
    every row), all (an untouched table with no more rows than the sample size), sampled (a
    spread sample, see `sampling`), schema-only (no rows: not matched by --tables).
    `kept`: foreign keys the copy's rows satisfy; `not_preserved`: those it may break (loaded
    with FK checks off). `referenced`: rows copied on top of the sample because rows of a table
    copied whole point at them (`referenced_by`).
    """

    table: str
    how: str
    rows: int
    source_rows: int | None
    touched: str = ""  # the statement touching it, e.g. "ALTER TABLE ALTER COLUMN TYPE at m:1"
    sampling: Sampling | None = None
    kept: tuple[KeyNote, ...] = ()
    not_preserved: tuple[KeyNote, ...] = ()
    referenced: int = 0
    referenced_by: tuple[str, ...] = ()
    remark: str = ""  # anything else worth saying, e.g. why a touched table was sampled

    @property
    def note(self) -> str:
        """Everything but the row counts, in words."""
        parts = []
        if self.touched:
            parts.append(f"touched by {self.touched}")
        if self.remark:
            parts.append(self.remark)
        if self.sampling is not None:
            parts.append(self.sampling.text)
        if self.referenced_by:
            parts.append(
                f"+{self.referenced:,} row(s) referenced by {', '.join(self.referenced_by)}"
            )
        if self.kept:
            parts.append("keys kept: " + ", ".join(k.text for k in self.kept))
        if self.not_preserved:
            parts.append(
                "not preserved, loaded with FK checks off: "
                + ", ".join(k.text for k in self.not_preserved)
            )
        return "; ".join(parts)


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
    seed: int | None = None  # the samples' seed (sample mode)
    whole_under: int = 0  # tables the migrations touch are copied whole below this many rows
    touched_known: bool = True  # False: no SQL to tell which tables the migrations touch
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
