"""Schema objects the lock model needs: tables, columns, constraints, indexes, types."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, order=True)
class QualifiedName:
    """A schema-qualified relation name; unqualified names resolve to `public`."""

    schema: str
    name: str

    def __str__(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass(slots=True)
class Column:
    name: str
    type_name: str  # canonical lower-case name, e.g. "int4", "varchar", "timestamptz"
    typmods: tuple[int, ...] = ()
    not_null: bool = False
    has_default: bool = False
    identity: bool = False
    generated: bool = False
    array: bool = False


@dataclass(slots=True)
class Constraint:
    name: str
    kind: str  # check, foreign_key, unique, primary_key, exclusion, not_null
    valid: bool = True
    columns: tuple[str, ...] = ()
    not_null_column: str | None = None  # CHECK (col IS NOT NULL)
    references: QualifiedName | None = None
    index: str | None = None


@dataclass(slots=True)
class Index:
    name: QualifiedName
    table: QualifiedName
    columns: tuple[str, ...] = ()
    unique: bool = False
    valid: bool = True
    partial: bool = False


@dataclass(slots=True)
class Table:
    name: QualifiedName
    kind: str = "table"  # table, partitioned, view, matview, sequence, foreign
    new: bool = False  # created in the file being analysed: nobody else uses it yet
    unlogged: bool = False
    columns: dict[str, Column] = field(default_factory=dict)
    constraints: dict[str, Constraint] = field(default_factory=dict)
    parent: QualifiedName | None = None  # partition of / inherits from
    partitions: list[QualifiedName] = field(default_factory=list)
    default_partition: bool = False  # FOR VALUES DEFAULT: re-checked when partitions are added

    def has_valid_not_null_check(self, column: str) -> bool:
        return any(
            c.valid and c.kind == "check" and c.not_null_column == column
            for c in self.constraints.values()
        )

    def foreign_keys(self) -> list[Constraint]:
        return [c for c in self.constraints.values() if c.kind == "foreign_key"]


@dataclass(slots=True)
class Catalog:
    """Mutable schema state; `copy()` before analysing a file whose effects must not persist."""

    tables: dict[QualifiedName, Table] = field(default_factory=dict)
    indexes: dict[QualifiedName, Index] = field(default_factory=dict)
    enums: dict[QualifiedName, list[str]] = field(default_factory=dict)
    domains: dict[QualifiedName, bool] = field(default_factory=dict)  # -> has constraints
    types: set[QualifiedName] = field(default_factory=set)
    schemas: set[str] = field(default_factory=lambda: {"public"})
    functions: set[QualifiedName] = field(default_factory=set)

    def table(self, name: QualifiedName | None) -> Table | None:
        return self.tables.get(name) if name else None

    def indexes_of(self, table: QualifiedName) -> list[Index]:
        return [i for i in self.indexes.values() if i.table == table]

    def referencing(self, table: QualifiedName) -> list[tuple[Table, Constraint]]:
        """Foreign keys elsewhere that point at `table`."""
        out = []
        for t in self.tables.values():
            for c in t.constraints.values():
                if c.kind == "foreign_key" and c.references == table:
                    out.append((t, c))
        return out

    def mark_all_existing(self) -> None:
        """Objects from earlier files or --schema are in use by the application."""
        for t in self.tables.values():
            t.new = False

    def copy(self) -> Catalog:
        import copy

        return copy.deepcopy(self)
