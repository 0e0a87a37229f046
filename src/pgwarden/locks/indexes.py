"""CREATE INDEX and REINDEX, with and without CONCURRENTLY.

Docs: CREATE INDEX takes SHARE (blocks writes, not reads) for the whole build; CONCURRENTLY
takes SHARE UPDATE EXCLUSIVE and cannot run in a transaction block. REINDEX takes SHARE on the
table and ACCESS EXCLUSIVE on the index (so reads using the index wait too).
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.sql.nodes import enum_name, qname


@handles("IndexStmt")
def create_index(node: Any, ctx: Context) -> Effect:
    table = qname(node.relation)
    t = ctx.table(table)
    label = "CREATE UNIQUE INDEX" if node.unique else "CREATE INDEX"
    recurse = bool(node.relation.inh)
    existing = QualifiedName(table.schema, node.idxname or "") in ctx.catalog.indexes
    if node.if_not_exists and existing:
        # The table is locked before the name is looked up; then nothing is built.
        mode = M.ShareUpdateExclusiveLock if node.concurrent else M.ShareLock
        eff = Effect(kind=f"{label} IF NOT EXISTS", transactional=not node.concurrent)
        ctx.lock(eff, table, mode, "the index exists: skipped", recurse=False)
        eff.note = f"index {node.idxname} exists: nothing is built"
        return eff
    if node.concurrent:
        eff = Effect(kind=f"{label} CONCURRENTLY", transactional=False)
        ctx.lock(
            eff,
            table,
            M.ShareUpdateExclusiveLock,
            "index built concurrently",
            recurse=recurse,
            children=False,
        )
        ctx.scan(eff, table, recurse=recurse, children=False)
        eff.cause("index-build:concurrent", table, node.idxname or "")
        if t is not None and t.kind == "partitioned":
            eff.cause("concurrent-on-partitioned", table)
        return eff
    eff = Effect(kind=label)
    # A partitioned table's index has one on each partition; inheritance children get none.
    ctx.lock(eff, table, M.ShareLock, "index build blocks writes", recurse=recurse, children=False)
    ctx.scan(eff, table, recurse=recurse, children=False)
    eff.cause("index-build", table, node.idxname or "")
    return eff


def _leaf_indexes(ctx: Context, indexes: list[QualifiedName]) -> list[QualifiedName]:
    """The copies, on the partitions with storage, of partitioned tables' indexes."""
    out: list[QualifiedName] = []
    todo = list(indexes)
    while todo:
        name = todo.pop(0)
        idx = ctx.catalog.indexes.get(name)
        t = ctx.table(idx.table) if idx is not None else None
        if t is None or t.kind != "partitioned":
            out.append(name)
            continue
        for part in t.partitions:
            todo += [i.name for i in ctx.catalog.indexes_of(part) if i.parent == name]
    return out


@handles("ReindexStmt")
def reindex(node: Any, ctx: Context) -> Effect:
    kind = enum_name(node.kind)
    concurrent = any((d.defname or "").lower() == "concurrently" for d in node.params or ())
    target = qname(node.relation) if node.relation is not None else None
    eff = Effect(kind="REINDEX" + (" CONCURRENTLY" if concurrent else ""))
    if concurrent:
        ctx.requires(eff, 12, "REINDEX CONCURRENTLY")
        eff.transactional = False
    if target is None:
        eff.kind += f" {kind.removeprefix('REINDEX_OBJECT_')}"
        eff.transactional = False  # REINDEX SCHEMA/DATABASE/SYSTEM cannot run in a block
        eff.cause("reindex", None)
        if not concurrent:
            # Every table in scope is locked SHARE (and its indexes ACCESS EXCLUSIVE) in turn.
            eff.cause("reindex:blocking", None, kind.removeprefix("REINDEX_OBJECT_").lower())
        return eff
    if kind == "REINDEX_OBJECT_INDEX":
        idx = ctx.catalog.indexes.get(target)
        table = idx.table if idx else None
        indexes = [target]
        if idx is None:
            eff.cause("catalog:unknown-index", target)
            eff.note = f"{target} is unknown to pgwarden: its table is locked too"
    else:
        table = target
        indexes = [i.name for i in ctx.catalog.indexes_of(target)]
    t = ctx.table(table) if table is not None else None
    if t is not None and t.kind == "partitioned":
        # 14+ reindexes a partitioned table or index partition by partition, each in a
        # transaction of its own: its partitions' copies of the indexes are rebuilt.
        ctx.requires(eff, 14, "REINDEX of a partitioned table or index")
        eff.transactional = False
        indexes = _leaf_indexes(ctx, indexes)
    if concurrent:
        if table is not None:
            ctx.lock(eff, table, M.ShareUpdateExclusiveLock, "reindexed concurrently")
        # The old index is swapped out and dropped at the end under ACCESS EXCLUSIVE, after
        # waiting for every transaction that could still use it (seen by trace's sampler).
        for i in indexes:
            eff.lock(
                i,
                M.AccessExclusiveLock,
                relkind="index",
                new=ctx.is_new(i),
                reason="old index dropped after the swap",
            )
    else:
        if table is not None:
            ctx.lock(eff, table, M.ShareLock, "REINDEX blocks writes")
            eff.scan(table)
        for i in indexes:
            eff.lock(i, M.AccessExclusiveLock, relkind="index", new=ctx.is_new(i))
    eff.index_rebuilds.extend(indexes)
    eff.cause("reindex", table, ", ".join(map(str, indexes)))
    if not concurrent:
        eff.cause("reindex:blocking", table, ", ".join(map(str, indexes)))
    return eff


def index_table(ctx: Context, index: QualifiedName) -> QualifiedName | None:
    idx = ctx.catalog.indexes.get(index)
    return idx.table if idx else None
