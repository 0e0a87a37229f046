"""Schema objects the lock model needs: tables, columns, constraints, indexes, types."""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields
from typing import Any, NamedTuple, TypeVar

from pgwarden.catalog._dicts import IndexDict, TableDict, VersionedDict


class QualifiedName(NamedTuple):
    """A schema-qualified relation name; unqualified names resolve to `public`.

    A named tuple rather than a dataclass: it keys every catalog map, and a tuple hashes and
    compares in C (a dataclass's generated `__hash__` was a tenth of a corpus lint).
    """

    schema: str
    name: str

    def __str__(self) -> str:
        # Hot paths (lint.lock_out) write ".".join(name) for this: keep the two equal.
        return f"{self.schema}.{self.name}"


@dataclass(slots=True)
class Column:
    """A table column as the lock model needs it: type, nullability, default, identity."""

    name: str
    type_name: str  # canonical lower-case name, e.g. "int4", "varchar", "timestamptz"
    typmods: tuple[int, ...] = ()
    not_null: bool = False
    has_default: bool = False
    identity: bool = False
    generated: bool = False
    array: bool = False
    sequence: QualifiedName | None = None  # owned sequence of a serial or identity column
    default_sequence: QualifiedName | None = None  # what DEFAULT nextval('...') calls


@dataclass(slots=True)
class Constraint:
    """A table constraint: its kind, whether it is validated, its columns and target."""

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
    # A key or exclusion constraint's index columns as they name it (with INCLUDE's, `expr`
    # for an expression); () when that is `columns`
    index_columns: tuple[str, ...] = ()
    expr: Any = field(default=None, compare=False, repr=False)  # CHECK expression (pglast)


@dataclass(slots=True)
class Index:
    """An index: its table, columns and what it is (unique, valid, partial)."""

    name: QualifiedName
    table: QualifiedName
    columns: tuple[str, ...] = ()
    unique: bool = False
    valid: bool = True
    partial: bool = False
    # What backs it: "" a plain index, or the constraint kind (primary_key, unique, exclusion)
    constraint: str = ""
    # Its columns as they name it (names.index_column_names: `expr` for an expression), which
    # is also how the copies on a partitioned table's partitions are named
    name_columns: tuple[str, ...] = ()
    parent: QualifiedName | None = None  # the partitioned table's index this one is attached to
    owner: object = field(default=None, compare=False, repr=False)  # see Catalog.copy


@dataclass(slots=True)
class Table:
    """A relation (table, view, sequence...) with its columns, constraints and state."""

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
    # A view's query (pglast), read only when asked which columns it uses (rarely)
    view_query: Any = field(default=None, compare=False, repr=False)
    triggers: dict[str, bool] = field(default_factory=dict)  # name -> FOR EACH ROW
    trigger_functions: dict[str, str] = field(default_factory=dict)  # name -> function's name
    tablespace: str | None = None  # None: the database default
    access_method: str | None = None  # None: default_table_access_method (heap)
    owned_by: QualifiedName | None = None  # a sequence's owning table
    owner: object = field(default=None, compare=False, repr=False)  # see Catalog.copy

    def clone(self) -> Table:
        """A copy whose columns, constraints and partition list can change independently."""
        t = _shallow(self)
        t.columns = {k: _shallow(c) for k, c in self.columns.items()}
        t.constraints = {k: _shallow(c) for k, c in self.constraints.items()}
        t.partitions = list(self.partitions)
        t.children = list(self.children)
        t.sources = list(self.sources)
        t.triggers = dict(self.triggers)
        t.trigger_functions = dict(self.trigger_functions)
        return t

    def has_valid_not_null_check(self, column: str) -> bool:
        return any(
            c.valid and c.kind == "check" and c.not_null_column == column
            for c in self.constraints.values()
        )

    def foreign_keys(self) -> list[Constraint]:
        return [c for c in self.constraints.values() if c.kind == "foreign_key"]


_T = TypeVar("_T")
_O = TypeVar("_O", Table, Index)


def _shallow(obj: _T) -> _T:
    """`copy.copy` for these slotted dataclasses, without its __reduce_ex__ round trip
    (Catalog.copy makes every later edit clone a table with all its columns): the class
    called with the fields read in one go, 4x faster than setting each slot."""
    cls = type(obj)
    getter = _GETTERS.get(cls)
    if getter is None:
        getter = _GETTERS[cls] = _fields_getter(cls)
    if getter is False:
        new = object.__new__(cls)
        for name in cls.__slots__:  # type: ignore[attr-defined]
            object.__setattr__(new, name, getattr(obj, name))
        return new
    return cls(*getter(obj))


_GETTERS: dict[type, Any] = {}


def _fields_getter(cls: type) -> Any:
    """attrgetter of the class's fields when they are its slots, in order, and all go to
    __init__ (so that calling the class copies them); False otherwise."""
    found = fields(cls)
    names = tuple(f.name for f in found)
    if names != tuple(cls.__slots__) or not all(f.init for f in found):  # type: ignore[attr-defined]
        return False
    return operator.attrgetter(*names) if len(names) > 1 else (lambda o: (getattr(o, names[0]),))


def _may_use(query: Any, column: str) -> bool:
    """Whether a view's query may use `column`: it names a column so called, or selects `*`
    (which stands for every column the table had); True when the query is not known."""
    if query is None:
        return True
    from pgwarden.sql.nodes import iter_nodes

    for n in iter_nodes(query):
        kind = type(n).__name__
        if kind == "A_Star":
            return True
        if kind == "ColumnRef" and n.fields and getattr(n.fields[-1], "sval", None) == column:
            return True
    return False


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
    # domain -> its base type (canonical name, typmods): a domain to its base type relabels
    domain_bases: dict[QualifiedName, tuple[str, tuple[int, ...]]] = field(default_factory=dict)
    types: set[QualifiedName] = field(default_factory=set)
    schemas: set[str] = field(default_factory=lambda: {"public"})
    functions: set[QualifiedName] = field(default_factory=set)
    statistics: dict[QualifiedName, QualifiedName] = field(default_factory=dict)  # -> table
    default_tablespace: str | None = None  # SET default_tablespace in force
    # SET search_path in force: where unqualified names are looked up (see search_path.py)
    search_path: tuple[str, ...] = ("public",)
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
        """Foreign keys elsewhere that point at `table` (in the order of the tables)."""
        tables = self.tables
        if type(tables) is not TableDict:  # replaced after __init__: no index
            return [
                (t, c)
                for t in tables.values()
                for c in t.constraints.values()
                if c.kind == "foreign_key" and c.references == table
            ]
        by_table = self._fk_index(tables).get(table)
        if not by_table:
            return []
        names = sorted(by_table, key=tables.position) if len(by_table) > 1 else by_table
        return [fk for name in names for fk in by_table[name]]

    def _fk_index(self, tables: TableDict) -> dict[QualifiedName, dict[QualifiedName, list[Any]]]:
        """referenced table -> referencing table -> its (table, foreign key) pairs.

        Kept current from the tables changed since the last question: rebuilding it from
        every table after each change was a hot spot over a long migration history.
        """
        state: tuple[TableDict, dict[QualifiedName, Any], dict[QualifiedName, Any], Any]
        state = self._refs
        changed = tables.take_changed()
        if state is None or state[0] is not tables or changed is None:
            state = self._refs = (tables, {}, {}, None)
            changed = set(tables)
        _, index, sources, shared = state
        for name in changed:  # drop what each table said before, add what it says now
            for referenced in sources.pop(name, ()):
                group = self._own_group(index, shared, referenced)
                if group is not None:
                    group.pop(name, None)
            t = tables.get(name)
            if t is None:
                continue
            for c in t.constraints.values():
                if c.kind == "foreign_key" and c.references is not None:
                    group = self._own_group(index, shared, c.references)
                    if group is None:
                        group = index[c.references] = {}
                    group.setdefault(name, []).append((t, c))
                    sources.setdefault(name, set()).add(c.references)
        return index

    @staticmethod
    def _own_group(
        index: dict[QualifiedName, Any], shared: set[QualifiedName] | None, key: QualifiedName
    ) -> dict[QualifiedName, list[Any]] | None:
        """index[key], copied first if it is still shared with the catalog it came from."""
        group: dict[QualifiedName, list[Any]] | None = index.get(key)
        if group is not None and shared is not None and key in shared:
            shared.discard(key)
            group = index[key] = dict(group)
        return group

    def _borrow_fk_index(self, other: Catalog) -> None:
        """Start from `other`'s foreign-key index (this catalog being its fresh copy), each
        group copied when first changed: a down migration's copy would rebuild it from every
        table otherwise. `other` must not change meanwhile (see scratch)."""
        mine, theirs = self.tables, other.tables
        if type(mine) is not TableDict or type(theirs) is not TableDict:
            return
        index = other._fk_index(theirs)
        sources = other._refs[2]
        self._refs = (mine, dict(index), dict(sources), set(index))
        mine.track_changes()

    def views_using_column(self, table: QualifiedName, column: str) -> list[QualifiedName]:
        """Views and materialized views that read `table` and may use `column` (their query
        names a column so called, or selects `*`), then the views reading those."""
        direct = [
            t.name
            for t in self.tables.values()
            if t.kind in ("view", "matview")
            and table in t.sources
            and _may_use(t.view_query, column)
        ]
        return direct + [v for v in self.dependent_views(*direct) if v not in direct]

    def dependent_views(self, *names: QualifiedName) -> list[QualifiedName]:
        """Views and materialized views that read any of `names`, directly or through each
        other (what DROP ... CASCADE drops with them): one scan of the catalog for all."""
        readers: dict[QualifiedName, list[QualifiedName]] = {}
        for t in self.tables.values():
            if t.kind in ("view", "matview"):
                for src in t.sources:
                    readers.setdefault(src, []).append(t.name)
        out: list[QualifiedName] = []
        stack = list(names)
        while stack:
            for v in readers.get(stack.pop(), ()):
                if v not in out and v not in names:
                    out.append(v)
                    stack.append(v)
        return out

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
        tables = self.tables
        if type(tables) is TableDict:
            tables.touch(t.name)  # the caller is about to change it: derived maps go stale
        else:
            _touch(tables)
        if t.owner is self._token:
            return t
        t = t.clone()
        t.owner = self._token
        self.tables[t.name] = t
        return t

    def own(self, obj: _O) -> _O:
        """A table or index this catalog just made, marked as its own: edits then change it
        in place (one without an owner is cloned on its first edit, as if shared)."""
        obj.owner = self._token
        return obj

    def edit_index(self, name: QualifiedName) -> Index | None:
        """The index, safe to change in place (cloned first if another catalog shares it)."""
        i = self.indexes.get(name)
        if i is None:
            return None
        _touch(self.indexes)
        if i.owner is self._token:
            return i
        i = _shallow(i)
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
        copy._borrow_fk_index(self)
        try:
            yield copy
        finally:
            self._token = token
            if isinstance(theirs, IndexDict):
                theirs.drop_groups()  # this catalog changes from now on: stop borrowing

    def copy(self) -> Catalog:
        """An independent catalog; costs a few dict copies, not a deep copy (copy-on-write)."""
        self._token = object()  # objects created so far are now shared by both catalogs
        for versioned in (self.tables, self.indexes):
            if isinstance(versioned, VersionedDict):
                versioned.compact()  # (its copy is then a clone of its table)
        kw: dict[str, object] = {}
        for name in _COPIED:
            value = getattr(self, name)
            if isinstance(value, dict | set | list):  # containers are copied (enum lists
                value = type(value)(value)  # are never changed in place, so they are shared)
            kw[name] = value
        return Catalog(**kw)  # type: ignore[arg-type]


_COPIED = tuple(f.name for f in fields(Catalog) if not f.name.startswith("_"))
