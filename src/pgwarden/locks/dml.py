"""Data statements: the row-level-lock family of table locks (SELECT, INSERT, UPDATE, DELETE...)."""

from __future__ import annotations

from typing import Any

from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.sql.nodes import cte_names, qname, range_vars


def _reads(
    node: Any, ctx: Context, eff: Effect, skip: Any = None, mode: M = M.AccessShareLock
) -> None:
    ctes = cte_names(node)
    for rv in range_vars(node):
        if rv is skip or (rv.schemaname is None and rv.relname in ctes):
            continue
        ctx.lock(eff, qname(rv), mode, "read")


@handles("SelectStmt")
def select(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="SELECT")
    locking = node.lockingClause
    mode = M.RowShareLock if locking else M.AccessShareLock
    if locking:
        eff.kind = "SELECT ... FOR UPDATE/SHARE"
    _reads(node, ctx, eff, mode=mode)
    if node.intoClause is not None:
        eff.kind = "SELECT INTO"
    return eff


def _write(kind: str, node: Any, ctx: Context, target_attr: str = "relation") -> Effect:
    eff = Effect(kind=kind)
    rv = getattr(node, target_attr)
    target = qname(rv)
    _reads(node, ctx, eff, skip=rv)
    ctx.lock(eff, target, M.RowExclusiveLock, f"{kind} writes rows", recurse=bool(rv.inh))
    if kind in ("UPDATE", "DELETE"):
        if (
            node.whereClause is None
            and not getattr(node, "usingClause", None)
            and not getattr(node, "fromClause", None)
        ):
            eff.scan(target)
            eff.cause("dml:whole-table", target, kind)
        eff.cause("dml:" + kind.lower(), target)
    return eff


@handles("InsertStmt")
def insert(node: Any, ctx: Context) -> Effect:
    eff = _write("INSERT", node, ctx)
    eff.cause("dml:insert", qname(node.relation))
    return eff


@handles("UpdateStmt")
def update(node: Any, ctx: Context) -> Effect:
    return _write("UPDATE", node, ctx)


@handles("DeleteStmt")
def delete(node: Any, ctx: Context) -> Effect:
    return _write("DELETE", node, ctx)


@handles("MergeStmt")
def merge(node: Any, ctx: Context) -> Effect:
    return _write("MERGE", node, ctx)


@handles("CopyStmt")
def copy(node: Any, ctx: Context) -> Effect:
    if node.relation is None:
        eff = Effect(kind="COPY (query)")
        _reads(node.query, ctx, eff)
        return eff
    name = qname(node.relation)
    if node.is_from:
        eff = Effect(kind="COPY FROM")
        ctx.lock(eff, name, M.RowExclusiveLock, "COPY FROM writes rows")
    else:
        eff = Effect(kind="COPY TO")
        ctx.lock(eff, name, M.AccessShareLock, "COPY TO reads rows", recurse=False)
        eff.scan(name)
    return eff


_LOCK_MODES = {
    1: M.AccessShareLock,
    2: M.RowShareLock,
    3: M.RowExclusiveLock,
    4: M.ShareUpdateExclusiveLock,
    5: M.ShareLock,
    6: M.ShareRowExclusiveLock,
    7: M.ExclusiveLock,
    8: M.AccessExclusiveLock,
}


@handles("LockStmt")
def lock_table(node: Any, ctx: Context) -> Effect:
    mode = _LOCK_MODES.get(int(node.mode), M.AccessExclusiveLock)
    eff = Effect(kind=f"LOCK TABLE IN {mode.sql_name} MODE")
    for rv in node.relations or ():
        ctx.lock(eff, qname(rv), mode, "explicit LOCK TABLE", recurse=bool(rv.inh))
    eff.cause("explicit-lock", None, mode.name)
    return eff


@handles("ExplainStmt")
def explain(node: Any, ctx: Context) -> Effect:
    analyze = any((d.defname or "").lower() == "analyze" for d in node.options or ())
    if analyze:
        from pgwarden.locks.context import handler_for

        inner = handler_for(type(node.query).__name__)
        if inner is not None:
            eff = inner(node.query, ctx)
            eff.kind = "EXPLAIN ANALYZE " + eff.kind
            return eff
    eff = Effect(kind="EXPLAIN")
    _reads(node.query, ctx, eff)
    return eff
