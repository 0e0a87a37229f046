"""Values a trace produces: observed locks, per-statement observations, failures, the result."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.lint import StatementOut
from pgwarden.locks.modes import LockMode

EXIT_FAILED = 1  # a migration (or a setup file) failed on the server
EXIT_DISAGREE = 3  # --compare: the lock model and the server disagree

# pg_class.relkind letters, spelled as the lock model spells relation kinds.
RELKINDS = {
    "r": "table",
    "p": "partitioned",
    "i": "index",
    "I": "index",
    "S": "sequence",
    "v": "view",
    "m": "matview",
    "f": "foreign",
    "t": "toast",
    "c": "composite",
}


@dataclass(frozen=True, slots=True)
class Relation:
    """One row of pg_class as the migration's session saw it."""

    oid: int
    schema: str
    name: str
    relkind: str  # table, partitioned, index, ... (RELKINDS values)
    filenode: int

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def internal(self) -> bool:
        """TOAST tables and their indexes: implementation detail of their owning table."""
        return self.schema == "pg_toast" or self.relkind == "toast"


@dataclass(frozen=True, slots=True)
class ObservedLock:
    """A relation lock seen in pg_locks for the migration's backend."""

    relation: str
    mode: LockMode
    relkind: str
    granted: bool = True
    new: bool = False  # the relation did not exist when the file started


@dataclass(frozen=True, slots=True)
class ServerError:
    """The server's error for a failing statement, located in the file."""

    path: str
    line: int
    column: int
    sqlstate: str
    message: str
    detail: str = ""
    hint: str = ""
    statement: str = ""  # the failing statement's text
    statement_line: int = 0  # where that statement starts

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message} (SQLSTATE {self.sqlstate})"


@dataclass(frozen=True, slots=True)
class Difference:
    """One way the lock model's prediction differs from what the server did."""

    relation: str
    what: str  # "lock" or "rewrite"
    predicted: str  # a lock mode name, "rewrite" or "none"
    observed: str

    def __str__(self) -> str:
        return f"{self.relation}: predicted {self.predicted}, observed {self.observed}"


@dataclass(frozen=True, slots=True)
class Comparison:
    """The lint prediction beside the observation for one statement."""

    status: str  # agree, disagree, unconfirmed (sampled and a predicted lock was not seen)
    differences: tuple[Difference, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def agrees(self) -> bool:
        return self.status != "disagree"


@dataclass(frozen=True, slots=True)
class StatementTrace:
    """What one statement did on the server, with the lint prediction when one was made."""

    path: str
    line: int
    column: int
    end_line: int
    sql: str
    kind: str
    locks: tuple[ObservedLock, ...]  # newly acquired by this statement
    held: tuple[ObservedLock, ...]  # held from earlier statements of the same transaction
    rewrites: tuple[str, ...]  # tables whose storage (relfilenode) changed
    index_rebuilds: tuple[str, ...]  # indexes whose storage changed
    scans: tuple[str, ...]  # tables read by a sequential scan (pg_stat_xact_user_tables)
    duration_ms: float
    rows: int | None
    sampled: bool  # non-transactional: locks sampled from a second session
    in_transaction: bool
    transactional: bool
    predicted: StatementOut | None = None
    comparison: Comparison | None = None
    error: ServerError | None = None


@dataclass(frozen=True, slots=True)
class FileTrace:
    """One traced file: its statements in order, and the failure that stopped it, if any."""

    path: str
    transaction: str  # file (one transaction), as-written, shared (--dsn without --commit)
    statements: tuple[StatementTrace, ...]
    error: ServerError | None = None
    not_run: int = 0
    notices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FillOut:
    """Rows `--rows` generated for one table, or why it could not fill it."""

    table: str
    rows: int
    error: str = ""


@dataclass(frozen=True, slots=True)
class TraceResult:
    target: str  # what was traced on (redacted DSN or throwaway cluster description)
    major: int
    server_version: str
    model_version: int  # the PostgreSQL major the lock model predicted for
    setup: tuple[str, ...]  # files applied as schema before the traced ones
    fill: tuple[FillOut, ...]
    files: tuple[FileTrace, ...]
    compared: bool
    committed: bool
    throwaway: bool
    setup_error: ServerError | None = None
    skipped: tuple[str, ...] = ()  # down migrations not run
    not_run: tuple[str, ...] = ()  # traced files after a failure
    rows: int | None = None  # --rows: generated rows per table asked for

    @property
    def failed(self) -> bool:
        return self.setup_error is not None or any(f.error is not None for f in self.files)

    def statements(self) -> list[StatementTrace]:
        return [s for f in self.files for s in f.statements]

    def disagreements(self) -> list[StatementTrace]:
        return [
            s
            for s in self.statements()
            if s.comparison is not None and s.comparison.status == "disagree"
        ]

    @property
    def exit_code(self) -> int:
        if self.failed:
            return EXIT_FAILED
        if self.compared and self.disagreements():
            return EXIT_DISAGREE
        return 0
