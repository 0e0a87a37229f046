"""Schema objects the lock model needs: tables, columns, constraints, indexes, types."""

from __future__ import annotations

import copy as _copy
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar


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
    sequence: QualifiedName | None = None  # owned sequence of a serial or identity column


@dataclass(slots=True)
class Constraint:
    name: str
    kind: str  # check, foreign_key, unique, primary_key, exclusion, not_null
    valid: bool = True
    columns: tuple[str, ...] = ()
    not_null_column: str | None = None  # CHECK (col IS NOT NULL)
    references: QualifiedName | None = None
    index: str | None = None
    ref_columns: tuple[str, ...] = ()  # referenced columns; () means the primary key
    on_delete: str = "a"  # pg_constraint.confdeltype: a, r, c, n, d
    on_update: str = "a"
    expr: Any = field(default=None, compare=False, repr=False)  # CHECK expression (pglast)


@dataclass(slots=True)
class Index:
    name: QualifiedName
    table: QualifiedName
    columns: tuple[str, ...] = ()
    unique: bool = False
    valid: bool = True
    partial: bool = False
    owner: object = field(default=None, compare=False, repr=False)  # see Catalog.copy


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
    children: list[QualifiedName] = field(default_factory=list)  # INHERITS children
    partition_key: tuple[str, ...] = ()  # PARTITION BY columns (expressions: empty)
    partition_bound: Any = field(default=None, compare=False, repr=False)  # pglast bound
    sources: list[QualifiedName] = field(default_factory=list)  # relations a view reads
    triggers: dict[str, bool] = field(default_factory=dict)  # name -> FOR EACH ROW
    tablespace: str | None = None  # None: the database default
    access_method: str | None = None  # None: default_table_access_method (heap)
    owned_by: QualifiedName | None = None  # a sequence's owning table
    owner: object = field(default=None, compare=False, repr=False)  # see Catalog.copy

    def clone(self) -> Table:
        """A copy whose columns, constraints and partition list can change independently."""
        t = _copy.copy(self)
        t.columns = {k: _copy.copy(c) for k, c in self.columns.items()}
        t.constraints = {k: _copy.copy(c) for k, c in self.constraints.items()}
        t.partitions = list(self.partitions)
        t.children = list(self.children)
        t.sources = list(self.sources)
        t.triggers = dict(self.triggers)
        return t

    def has_valid_not_null_check(self, column: str) -> bool:
        return any(
            c.valid and c.kind == "check" and c.not_null_column == column
            for c in self.constraints.values()
        )

    def foreign_keys(self) -> list[Constraint]:
        return [c for c in self.constraints.values() if c.kind == "foreign_key"]


_K = TypeVar("_K")
_V = TypeVar("_V")


class VersionedDict(dict[_K, _V]):
    """A dict that counts its changes, so maps derived from it know when to rebuild."""

    version: int = 0

    def _bump(self) -> None:
        self.version += 1

    def __setitem__(self, key: _K, value: _V) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: _K) -> None:
        self.version += 1
        super().__delitem__(key)

    def pop(self, key: _K, *default: Any) -> Any:
        self.version += 1
        return super().pop(key, *default)

    def popitem(self) -> tuple[_K, _V]:
        self.version += 1
        return super().popitem()

    def setdefault(self, key: _K, default: Any = None) -> Any:
        self.version += 1
        return super().setdefault(key, default)

    def update(self, *args: Any, **kw: Any) -> None:
        self.version += 1
        super().update(*args, **kw)

    def clear(self) -> None:
        self.version += 1
        super().clear()


class TableDict(VersionedDict[QualifiedName, Table]):
    """The catalog's tables; also remembers which keys were set since `settle()`.

    A table is only ever new when it was stored as such (nothing sets `new` in place), so
    `mark_all_existing`, run after every file, need not visit every table of a long history.
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._recent: set[QualifiedName] | None = None  # None: any key may be new

    def __setitem__(self, key: QualifiedName, value: Table) -> None:
        if self._recent is not None:
            self._recent.add(key)
        super().__setitem__(key, value)

    def setdefault(self, key: QualifiedName, default: Any = None) -> Any:
        if self._recent is not None:
            self._recent.add(key)
        return super().setdefault(key, default)

    def update(self, *args: Any, **kw: Any) -> None:
        self._recent = None
        super().update(*args, **kw)

    def maybe_new(self) -> list[QualifiedName]:
        """Keys that may hold a new table (every key, when in doubt), in this dict's order."""
        if self._recent is None:
            return list(self)
        return [k for k in self._recent if k in self]

    def settle(self) -> None:
        self._recent = set()


class IndexDict(VersionedDict[QualifiedName, Index]):
    """The catalog's indexes, also kept grouped by table (in this dict's order).

    A DROP TABLE or a foreign-key check asks for a table's indexes after almost every change
    to the dict; regrouping them all each time was quadratic over a long migration history.
    Plain sets and deletes update the groups; anything else (editing an index in place,
    update, re-keying an index onto another table) regroups on the next question.
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._groups: dict[QualifiedName, dict[QualifiedName, Index]] | None = None
        self._borrowed = False  # _groups belongs to another IndexDict: copy before changing

    def borrow_groups(self, other: IndexDict) -> None:
        """Use `other`'s grouping (equal contents, and `other` must not change meanwhile)."""
        self._groups = other._groups
        self._borrowed = self._groups is not None

    def drop_groups(self) -> None:
        self._groups = None
        self._borrowed = False

    def _own_groups(self) -> dict[QualifiedName, dict[QualifiedName, Index]] | None:
        if self._borrowed and self._groups is not None:
            self._groups = {t: dict(g) for t, g in self._groups.items()}
        self._borrowed = False
        return self._groups

    def _bump(self) -> None:
        self.version += 1
        self.drop_groups()

    def __setitem__(self, key: QualifiedName, value: Index) -> None:
        groups = self._own_groups()
        if groups is not None:
            old = dict.get(self, key)
            if old is not None and old.table != value.table:
                self.drop_groups()  # the key keeps its place in this dict: regroup
            else:
                groups.setdefault(value.table, {})[key] = value
        super().__setitem__(key, value)

    def __delitem__(self, key: QualifiedName) -> None:
        self._forget(key)
        super().__delitem__(key)

    def pop(self, key: QualifiedName, *default: Any) -> Any:
        self._forget(key)
        return super().pop(key, *default)

    def _forget(self, key: QualifiedName) -> None:
        old = dict.get(self, key)
        groups = self._own_groups() if old is not None else None
        if old is not None and groups is not None:
            group = groups.get(old.table)
            if group is not None:
                group.pop(key, None)

    def popitem(self) -> tuple[QualifiedName, Index]:
        self.drop_groups()
        return super().popitem()

    def setdefault(self, key: QualifiedName, default: Any = None) -> Any:
        self.drop_groups()
        return super().setdefault(key, default)

    def update(self, *args: Any, **kw: Any) -> None:
        self.drop_groups()
        super().update(*args, **kw)

    def clear(self) -> None:
        self.drop_groups()
        super().clear()

    def of_table(self, table: QualifiedName) -> list[Index]:
        groups = self._groups
        if groups is None:
            groups = {}
            for key, i in self.items():
                groups.setdefault(i.table, {})[key] = i
            self._groups = groups
        group = groups.get(table)
        return list(group.values()) if group else []


def _derived(source: dict[Any, Any], cache: tuple[Any, int, Any] | None) -> Any | None:
    """The cached map derived from `source` if still current, else None."""
    version = getattr(source, "version", None)
    if cache is not None and cache[0] is source and cache[1] == version and version is not None:
        return cache[2]
    return None


def _touch(d: dict[Any, Any]) -> None:
    if isinstance(d, VersionedDict):
        d._bump()


@dataclass(slots=True)
class Catalog:
    """Mutable schema state; `copy()` before analysing a file whose effects must not persist.

    Copies share Table and Index objects (copy-on-write): code that changes one must get it
    through `edit_table` / `edit_index`, which clone it first when another catalog shares it.
    A deep copy per down migration made linting a large directory quadratic.
    """

    tables: dict[QualifiedName, Table] = field(default_factory=dict)
    indexes: dict[QualifiedName, Index] = field(default_factory=dict)
    enums: dict[QualifiedName, list[str]] = field(default_factory=dict)
    domains: dict[QualifiedName, bool] = field(default_factory=dict)  # -> has constraints
    types: set[QualifiedName] = field(default_factory=set)
    schemas: set[str] = field(default_factory=lambda: {"public"})
    functions: set[QualifiedName] = field(default_factory=set)
    statistics: dict[QualifiedName, QualifiedName] = field(default_factory=dict)  # -> table
    default_tablespace: str | None = None  # SET default_tablespace in force
    _token: object = field(default_factory=object, compare=False, repr=False)
    # Foreign keys by referenced table, rebuilt when the tables change (indexes by table:
    # see IndexDict); scanning every table per lookup was a hot spot.
    _refs: Any = field(default=None, compare=False, repr=False, init=False)

    def __post_init__(self) -> None:
        if type(self.tables) is not TableDict:
            self.tables = TableDict(self.tables)
        if type(self.indexes) is not IndexDict:
            self.indexes = IndexDict(self.indexes)

    def table(self, name: QualifiedName | None) -> Table | None:
        return self.tables.get(name) if name else None

    def indexes_of(self, table: QualifiedName) -> list[Index]:
        indexes = self.indexes
        if type(indexes) is IndexDict:
            return indexes.of_table(table)
        return [i for i in indexes.values() if i.table == table]  # replaced after __init__

    def referencing(self, table: QualifiedName) -> list[tuple[Table, Constraint]]:
        """Foreign keys elsewhere that point at `table`."""
        refs = _derived(self.tables, self._refs)
        if refs is None:
            refs = {}
            for t in self.tables.values():
                for c in t.constraints.values():
                    if c.kind == "foreign_key" and c.references is not None:
                        refs.setdefault(c.references, []).append((t, c))
            self._refs = (self.tables, getattr(self.tables, "version", None), refs)
        return list(refs.get(table, ()))

    def owned_sequences(self, table: QualifiedName) -> list[QualifiedName]:
        """Sequences of the table's serial and identity columns."""
        t = self.tables.get(table)
        cols = t.columns.values() if t is not None else ()
        return [c.sequence for c in cols if c.sequence is not None and c.sequence in self.tables]

    def key_columns(self, table: QualifiedName) -> tuple[str, ...]:
        """The primary key's columns (what `REFERENCES table` without a column list means)."""
        t = self.tables.get(table)
        pk = [c for c in t.constraints.values() if c.kind == "primary_key"] if t else []
        return pk[0].columns if pk else ()

    def edit_table(self, name: QualifiedName | None) -> Table | None:
        """The table, safe to change in place (cloned first if another catalog shares it)."""
        t = self.tables.get(name) if name else None
        if t is None:
            return None
        _touch(self.tables)  # the caller is about to change it: derived maps go stale
        if t.owner is self._token:
            return t
        t = t.clone()
        t.owner = self._token
        self.tables[t.name] = t
        return t

    def edit_index(self, name: QualifiedName) -> Index | None:
        """The index, safe to change in place (cloned first if another catalog shares it)."""
        i = self.indexes.get(name)
        if i is None:
            return None
        _touch(self.indexes)
        if i.owner is self._token:
            return i
        i = _copy.copy(i)
        i.owner = self._token
        self.indexes[name] = i
        return i

    def mark_all_existing(self) -> None:
        """Objects from earlier files or --schema are in use by the application."""
        tables = self.tables
        names = tables.maybe_new() if type(tables) is TableDict else list(tables)
        for name in [n for n in names if tables[n].new]:
            t = self.edit_table(name)
            if t is not None:
                t.new = False
        if type(tables) is TableDict:
            tables.settle()

    @contextmanager
    def scratch(self) -> Iterator[Catalog]:
        """A copy to analyse a down migration on, discarded at the end of the block.

        While the block runs this catalog must not change; afterwards it owns its objects
        again, so the next migration edits them in place instead of cloning them.
        """
        token = self._token
        copy = self.copy()
        mine, theirs = self.indexes, copy.indexes
        if isinstance(mine, IndexDict) and isinstance(theirs, IndexDict):
            theirs.borrow_groups(mine)  # no regrouping per down migration
        try:
            yield copy
        finally:
            self._token = token
            if isinstance(theirs, IndexDict):
                theirs.drop_groups()  # this catalog changes from now on: stop borrowing

    def copy(self) -> Catalog:
        """An independent catalog; costs a few dict copies, not a deep copy (copy-on-write)."""
        self._token = object()  # objects created so far are now shared by both catalogs
        kw: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, dict):  # containers are copied (enum lists are never
                value = type(value)(value)  # changed in place, so they are shared)
            elif isinstance(value, set | list):
                value = type(value)(value)
            if not f.name.startswith("_"):
                kw[f.name] = value
        return Catalog(**kw)  # type: ignore[arg-type]
