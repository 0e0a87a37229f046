"""Analysis context: the catalog as it is before a statement, the target version, helpers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pgwarden.catalog import Catalog, QualifiedName, Table
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode

DEFAULT_PG_VERSION = 17
SUPPORTED_VERSIONS = range(12, 19)


@dataclass(slots=True)
class Context:
    catalog: Catalog
    version: int = DEFAULT_PG_VERSION

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
        relkind: str | None = None,
    ) -> None:
        """Lock a relation; partitioned tables pass the lock on to every known partition."""
        effect.lock(
            name,
            mode,
            relkind=relkind or self.relkind(name),
            new=self.is_new(name),
            reason=reason,
        )
        t = self.catalog.table(name)
        if recurse and t is not None:
            for part in t.partitions:
                self.lock(effect, part, mode, f"partition of {name}", recurse=True)

    def each_partition_tree(self, name: QualifiedName) -> list[QualifiedName]:
        out = [name]
        t = self.catalog.table(name)
        if t:
            for p in t.partitions:
                out.extend(self.each_partition_tree(p))
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
