"""The catalog's dicts that keep what is derived from them current: a change count, tables
that may be new, indexes grouped by table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pgwarden.catalog.model import Index, QualifiedName, Table

_K = TypeVar("_K")
_V = TypeVar("_V")


class VersionedDict(dict[_K, _V]):
    """A dict that counts its changes, so maps derived from it know when to rebuild."""

    version: int = 0
    _holes = False  # a key was deleted: see compact

    def _bump(self) -> None:
        self.version += 1

    def compact(self) -> None:
        """Close the holes deletions left in the dict's table, in place (same entries, same
        order, nothing derived changes). Copying a dict with holes inserts its entries one
        by one, copying one without clones its table at once: ~10x faster, and a catalog is
        copied for every down migration (Catalog.scratch)."""
        if self._holes:
            entries = dict(self)
            dict.clear(self)
            dict.update(self, entries)  # into an empty dict: a clone
            self._holes = False

    def __setitem__(self, key: _K, value: _V) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: _K) -> None:
        self.version += 1
        self._holes = True
        super().__delitem__(key)

    def pop(self, key: _K, *default: Any) -> Any:
        self.version += 1
        self._holes = True
        return super().pop(key, *default)

    def popitem(self) -> tuple[_K, _V]:
        self.version += 1
        self._holes = True
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


class TableDict(VersionedDict["QualifiedName", "Table"]):
    """The catalog's tables; also remembers which keys were set since `settle()`, and which
    were set, deleted or touched (about to be edited in place) since `take_changed()`.

    A table is only ever new when it was stored as such (nothing sets `new` in place), so
    `mark_all_existing`, run after every file, need not visit every table of a long history.
    The changed keys let the catalog keep its foreign-key index current without visiting
    every table either; `position` keeps the dict's order for what that index returns.
    """

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._recent: set[QualifiedName] | None = None  # None: any key may be new
        self._changed: set[QualifiedName] | None = None  # None: any key may have changed
        self._renumber()

    def _renumber(self) -> None:
        self._order: dict[QualifiedName, int] | None = None  # numbered when first asked
        self._next = 0

    def _set(self, key: QualifiedName) -> None:
        order = self._order
        if order is not None and key not in order:  # a new key goes last; a replaced one
            order[key] = self._next  # keeps its place
            self._next += 1
        if self._recent is not None:
            self._recent.add(key)
        if self._changed is not None:
            self._changed.add(key)

    def __setitem__(self, key: QualifiedName, value: Table) -> None:
        self._set(key)
        super().__setitem__(key, value)

    def setdefault(self, key: QualifiedName, default: Any = None) -> Any:
        if key not in self:
            self._set(key)
        return super().setdefault(key, default)

    def _forget(self, key: QualifiedName) -> None:
        if key in self:
            if self._order is not None:
                del self._order[key]
            if self._changed is not None:
                self._changed.add(key)

    def __delitem__(self, key: QualifiedName) -> None:
        self._forget(key)
        super().__delitem__(key)

    def pop(self, key: QualifiedName, *default: Any) -> Any:
        self._forget(key)
        return super().pop(key, *default)

    def popitem(self) -> tuple[QualifiedName, Table]:
        item = super().popitem()
        self._changed = None
        self._renumber()
        return item

    def update(self, *args: Any, **kw: Any) -> None:
        self._recent = None
        self._changed = None
        super().update(*args, **kw)
        self._renumber()

    def clear(self) -> None:
        self._changed = None
        super().clear()
        self._renumber()

    def touch(self, key: QualifiedName) -> None:
        """The table under `key` is about to change in place."""
        self.version += 1
        if self._changed is not None:
            self._changed.add(key)

    def track_changes(self) -> None:
        """Count changes from now on (a fresh dict reports None: unknown)."""
        self._changed = set()

    def take_changed(self) -> set[QualifiedName] | None:
        """Keys changed since the last call (None: unknown, maybe all); starts a new count."""
        changed, self._changed = self._changed, set()
        return changed

    def position(self, key: QualifiedName) -> int:
        """Where `key` is in the dict's order (compare positions only; they have gaps)."""
        if self._order is None:
            self._order = {k: i for i, k in enumerate(self)}  # a dict keeps insertion order
            self._next = len(self._order)
        return self._order[key]

    def maybe_new(self) -> list[QualifiedName]:
        """Keys that may hold a new table (every key, when in doubt)."""
        if self._recent is None:
            return list(self)
        return [k for k in self._recent if k in self]

    def settle(self) -> None:
        self._recent = set()


class IndexDict(VersionedDict["QualifiedName", "Index"]):
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
        # After copying a borrowed _groups, its groups are still shared: each is copied when
        # first changed (copying them all cost ~0.2 ms per down migration on a long history).
        self._shared: set[QualifiedName] | None = None

    def borrow_groups(self, other: IndexDict) -> None:
        """Use `other`'s grouping (equal contents, and `other` must not change meanwhile)."""
        self._groups = other._groups
        self._borrowed = self._groups is not None
        self._shared = None

    def drop_groups(self) -> None:
        self._groups = None
        self._borrowed = False
        self._shared = None

    def _own_groups(self) -> dict[QualifiedName, dict[QualifiedName, Index]] | None:
        if self._borrowed and self._groups is not None:
            self._groups = dict(self._groups)
            self._shared = set(self._groups)
        self._borrowed = False
        return self._groups

    def _group(
        self, groups: dict[QualifiedName, dict[QualifiedName, Index]], table: QualifiedName
    ) -> dict[QualifiedName, Index] | None:
        """The group of `table`, safe to change (copied first while still shared)."""
        group = groups.get(table)
        shared = self._shared
        if group is not None and shared is not None and table in shared:
            shared.discard(table)
            group = groups[table] = dict(group)
        return group

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
                group = self._group(groups, value.table)
                if group is None:
                    group = groups[value.table] = {}
                group[key] = value
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
            group = self._group(groups, old.table)
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
