"""Analysis context: the catalog as it is before a statement, the target version, helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pgwarden.catalog import Catalog, QualifiedName, Table
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode
from pgwarden.locks.versions import DEFAULT_PG_VERSION as DEFAULT_PG_VERSION
from pgwarden.locks.versions import SUPPORTED_VERSIONS as SUPPORTED_VERSIONS


@dataclass(slots=True)
class Context:
    """What analysing one statement knows: the catalog, the version, the session so far."""

    catalog: Catalog
    version: int = DEFAULT_PG_VERSION
    # Session settings known to be in force (lower-case names), e.g. {"timezone": "UTC"}.
    settings: dict[str, str] = field(default_factory=dict)
    # The statement's text, when known: cheap checks before walking a whole query tree.
    text: str | None = None

    def setting(self, name: str) -> str | None:
        return self.settings.get(name.lower())

    def requires(self, effect: Effect, since: int, what: str) -> bool:
        """Syntax older servers reject: reported as unknown (with a note), never guessed."""
        if self.version >= since:
            return True
        effect.unknown = True
        effect.note = f"{what} needs PostgreSQL {since}+ (target: {self.version})"
        return False

    def table(self, name: QualifiedName | None) -> Table | None:
        return self.catalog.table(name)

    def is_new(self, name: QualifiedName) -> bool:
        t = self.catalog.table(name)
        if t is not None:
            return t.new
        idx = self.catalog.indexes.get(name)
        if idx is not None:
            owner = self.catalog.table(idx.table)
            return owner.new if owner else False
        return False

    def relkind(self, name: QualifiedName) -> str:
        t = self.catalog.table(name)
        return t.kind if t else "table"

    def lock(
        self,
        effect: Effect,
        name: QualifiedName,
        mode: LockMode,
        reason: str = "",
        *,
        recurse: bool = True,
        children: bool = True,
        relkind: str | None = None,
        per_row: bool = False,
        partition_copy: bool = False,
    ) -> None:
        """Lock a relation; with `recurse` (no ONLY) partitions and, with `children`, also
        inheritance children (what indexes and foreign keys never reach); `per_row`: only
        for each row the statement writes (see RelationLock.per_row)."""
        # The table is looked up once here (is_new and relkind would each look again:
        # ~17k locks a corpus).
        t = self.catalog.tables.get(name) if name else None
        effect.lock(
            name,
            mode,
            relkind=relkind or (t.kind if t is not None else "table"),
            new=t.new if t is not None else self.is_new(name),
            reason=reason,
            per_row=per_row,
            partition_copy=partition_copy,
        )
        if recurse and t is not None:
            for part in t.partitions:
                self.lock(
                    effect,
                    part,
                    mode,
                    f"partition of {name}",
                    recurse=True,
                    children=children,
                    per_row=per_row,
                    partition_copy=True,
                )
            for child in t.children if children else ():
                self.lock(effect, child, mode, f"child of {name}", recurse=True, per_row=per_row)

    def lock_key_holder(
        self,
        effect: Effect,
        name: QualifiedName,
        mode: LockMode,
        reason: str,
        *,
        per_row: bool = False,
        scan: bool = False,
    ) -> None:
        """Lock a table whose foreign key is checked, acted on, dropped or re-added, and each
        partition below it, which holds a copy of the key (inheritance children hold none:
        the server's queries on a plain table say ONLY). `scan`: the key is validated again,
        reading every row (of each partition)."""
        self.lock(effect, name, mode, reason, recurse=False, per_row=per_row)
        if scan:
            effect.scan(name)
        t = self.catalog.table(name)
        for part in t.partitions if t is not None else ():
            self._lock_key_copy(effect, part, mode, reason, per_row, scan)

    def _lock_key_copy(
        self,
        effect: Effect,
        name: QualifiedName,
        mode: LockMode,
        reason: str,
        per_row: bool,
        scan: bool,
    ) -> None:
        self.lock(
            effect,
            name,
            mode,
            f"{reason}: the copy on this partition",
            recurse=False,
            per_row=per_row,
            partition_copy=True,
        )
        if scan:
            effect.scan(name)
        t = self.catalog.table(name)
        for part in t.partitions if t is not None else ():
            self._lock_key_copy(effect, part, mode, reason, per_row, scan)

    def each_partition(self, name: QualifiedName) -> list[QualifiedName]:
        """Every partition below `name` (not itself, not inheritance children), depth first."""
        out: list[QualifiedName] = []
        t = self.catalog.table(name)
        for p in t.partitions if t is not None else ():
            out.append(p)
            out.extend(self.each_partition(p))
        return out

    def each_partition_tree(self, name: QualifiedName) -> list[QualifiedName]:
        """The relation, then its partitions and inheritance children, depth first."""
        out = [name]
        t = self.catalog.table(name)
        if t:
            for p in (*t.partitions, *t.children):
                out.extend(self.each_partition_tree(p))
        return out

    def rewrite(
        self,
        effect: Effect,
        name: QualifiedName,
        code: str,
        detail: str = "",
        column: str | None = None,
        *,
        recurse: bool = True,
    ) -> None:
        """A rewrite of `name`; a partitioned table's storage is its partitions', so they are
        listed too (one cause, on the table the statement names)."""
        effect.rewrite(name, code, detail, column)
        for part in self.each_partition_tree(name)[1:] if recurse else ():
            if part not in effect.rewrites:
                effect.rewrites.append(part)
            effect.scan(part)

    def scan(
        self, effect: Effect, name: QualifiedName, *, recurse: bool = True, children: bool = True
    ) -> None:
        """A full read of `name` (and of its partitions and, with `children`, inheritance
        children)."""
        if not recurse:
            tree = [name]
        elif children:
            tree = self.each_partition_tree(name)
        else:
            tree = [name, *self.each_partition(name)]
        for part in tree:
            effect.scan(part)

    def read(
        self,
        effect: Effect,
        name: QualifiedName,
        mode: LockMode,
        reason: str,
        *,
        scan: bool = False,
        recurse: bool = True,
    ) -> None:
        """A relation a query reads; a view's tables are locked (and read) too, as the rewriter
        expands it. `scan`: the rows are read in full (CREATE TABLE AS, REFRESH)."""
        self.lock(effect, name, mode, reason, recurse=recurse)
        for src in self.view_sources(name):
            self.lock(effect, src, mode, f"read through view {name}")
        if scan:
            for rel in (name, *self.view_sources(name)):
                if self.relkind(rel) != "view":
                    self.scan(effect, rel)

    def lock_sequence(
        self,
        effect: Effect,
        seq: QualifiedName,
        mode: LockMode,
        reason: str,
        *,
        per_row: bool = False,
    ) -> None:
        """Lock a sequence (no partitions or children to follow)."""
        effect.lock(
            seq, mode, relkind="sequence", new=self.is_new(seq), reason=reason, per_row=per_row
        )

    def partition_ancestors(self, name: QualifiedName) -> list[QualifiedName]:
        """The partitioned tables `name` is a partition of, nearest first."""
        out: list[QualifiedName] = []
        t = self.table(name)
        while t is not None and t.parent is not None and t.parent not in out:
            up = self.table(t.parent)
            if up is None or t.name not in up.partitions:
                break  # an inheritance parent
            out.append(up.name)
            t = up
        return out

    def referencing(self, name: QualifiedName) -> list[tuple[Table, Any]]:
        """Foreign keys pointing at `name`, and at each partitioned table above it: those have
        a copy pointing at this partition (what a DELETE or TRUNCATE on it checks)."""
        out = list(self.catalog.referencing(name))
        for up in self.partition_ancestors(name):
            out += self.catalog.referencing(up)
        return out

    def keys_on_column(self, name: QualifiedName, column: str) -> list[tuple[Table, Any]]:
        """Foreign keys of other tables that point at `name` through `column`."""
        return [
            (other, fk)
            for other, fk in self.catalog.referencing(name)
            if other.name != name and column in (fk.ref_columns or self.catalog.key_columns(name))
        ]

    def dependent_views(self, *names: QualifiedName) -> list[QualifiedName]:
        """Views and materialized views that read `name`, directly or through each other."""
        return self.catalog.dependent_views(*names)

    def view_sources(self, name: QualifiedName) -> list[QualifiedName]:
        """Relations a view reads, through nested views (the rewriter locks them all)."""
        out: list[QualifiedName] = []
        stack = [name]
        while stack:
            t = self.catalog.table(stack.pop())
            if t is None or t.kind != "view":
                continue
            for src in t.sources:
                if src not in out:
                    out.append(src)
                    stack.append(src)
        return out


Handler = Callable[[Any, Context], Effect]
_HANDLERS: dict[str, Handler] = {}


def handles(*kinds: str) -> Callable[[Handler], Handler]:
    """Register a lock-model function for pglast node types (one function per statement family)."""

    def deco(fn: Handler) -> Handler:
        for k in kinds:
            _HANDLERS[k] = fn
        return fn

    return deco


def handler_for(kind: str) -> Handler | None:
    return _HANDLERS.get(kind)


def modelled_kinds() -> list[str]:
    return sorted(_HANDLERS)
