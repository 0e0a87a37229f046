"""Data statements: the row-level-lock family of table locks (SELECT, INSERT, UPDATE, DELETE...).

Besides the tables a statement names, PostgreSQL locks the tables behind views it reads (the
rewriter expands them), the sequences that fill defaults (nextval: ROW EXCLUSIVE) and the
partners of foreign keys: the RI triggers query the referenced table FOR KEY SHARE (ROW
SHARE) when a row is inserted or its key changes, and the referencing tables when a referenced
row is deleted or its key changes (ROW SHARE to check, ROW EXCLUSIVE to cascade). The model
assumes the statement affects rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.locks.pruning import kept_partitions
from pgwarden.sql.nodes import (
    cte_names,
    enum_name,
    find_nodes,
    iter_nodes,
    list_qname,
    qname,
    range_var_filters,
    range_vars,
    sequence_literal,
)

DML_KINDS = frozenset({"InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt"})


def _reads(
    node: Any,
    ctx: Context,
    eff: Effect,
    skip: Any = None,
    mode: M = M.AccessShareLock,
    row_locked: set[str] | None = None,
) -> None:
    """Lock every relation the query reads; `row_locked`: names/aliases under FOR UPDATE/SHARE
    (empty set: every relation of the top-level FROM), which take ROW SHARE instead."""
    ctes = cte_names(node)
    skip_ids = {id(skip)}
    for lc in getattr(node, "lockingClause", None) or ():
        skip_ids.update(id(rv) for rv in lc.lockedRels or ())
    for cte in getattr(getattr(node, "withClause", None), "ctes", None) or ():
        if type(cte.ctequery).__name__ in DML_KINDS:  # analysed as the write it is
            skip_ids.add(id(cte.ctequery.relation))
    top = {id(rv) for rv in _from_items(getattr(node, "fromClause", None) or ())}
    # A SELECT reading one table: its WHERE clause can prune partitions (see pruning).
    filters = range_var_filters(node)
    for rv in range_vars(node):
        if id(rv) in skip_ids or (rv.schemaname is None and rv.relname in ctes):
            continue
        m = mode
        if row_locked is not None and id(rv) in top:
            alias = rv.alias.aliasname if rv.alias is not None else rv.relname
            if not row_locked or alias in row_locked or rv.relname in row_locked:
                m = M.RowShareLock
        where = filters.get(id(rv))
        if where is not None and rv.inh and _is_partitioned(ctx, qname(rv)):
            ctx.read(eff, qname(rv), m, "read", recurse=False)
            _lock_kept(ctx, eff, qname(rv), where, m, _qualifiers(rv))
        else:
            ctx.read(eff, qname(rv), m, "read", recurse=bool(rv.inh))


_SEQUENCE_FUNCTIONS = {"nextval": M.RowExclusiveLock, "setval": M.RowExclusiveLock}
_SEQUENCE_FUNCTIONS["currval"] = M.AccessShareLock


def _sequence_calls(node: Any, ctx: Context, eff: Effect) -> None:
    """nextval('s') and setval('s', ...) lock the sequence ROW EXCLUSIVE, currval ACCESS
    SHARE (a literal name, or one cast to regclass; others cannot be known)."""
    text = ctx.text.lower() if ctx.text is not None else None
    if text is not None and not any(f in text for f in _SEQUENCE_FUNCTIONS):
        return  # most statements: no walk through the whole tree
    from pglast import ast

    for call in iter_nodes(node):
        if type(call) is not ast.FuncCall or not call.funcname or not call.args:
            continue
        verb = getattr(call.funcname[-1], "sval", "")
        mode = _SEQUENCE_FUNCTIONS.get(verb)
        seq = _sequence_argument(call.args[0], ctx) if mode is not None else None
        if mode is None or seq is None:
            continue
        ctx.lock_sequence(eff, seq, mode, f"{verb}()")


def _user_function_calls(node: Any, ctx: Context, eff: Effect) -> None:
    """A SELECT calling a function the migrations define (`SELECT backfill_orders()`) runs
    whatever the function does: its locks are unknown, never taken as a plain read's."""
    functions = ctx.catalog.functions
    if not functions:
        return
    from pglast import ast

    for call in find_nodes(node, ast.FuncCall):
        name = list_qname(call.funcname or ())
        if name in functions:
            eff.unknown = True
            eff.note = (
                f"calls {name}(), a function the migrations define: the locks of what it runs "
                "are not modelled (`pgwarden trace` observes them)"
            )
            return


def _sequence_argument(arg: Any, ctx: Context) -> QualifiedName | None:
    """The sequence a sequence function is given: a literal name, or
    pg_get_serial_sequence('table', 'column') of a column the catalog knows."""
    if type(arg).__name__ == "FuncCall" and arg.funcname and len(arg.args or ()) == 2:
        if getattr(arg.funcname[-1], "sval", None) != "pg_get_serial_sequence":
            return None
        table, column = (sequence_literal(a) for a in arg.args)
        t = ctx.table(table) if table is not None else None
        col = t.columns.get(column.name) if t is not None and column is not None else None
        return col.sequence if col is not None else None
    return sequence_literal(arg)


def _is_partitioned(ctx: Context, name: QualifiedName) -> bool:
    t = ctx.table(name)
    return t is not None and t.kind == "partitioned"


def _qualifiers(rv: Any) -> frozenset[str]:
    """Names a column of this table may be qualified with in its query."""
    alias = rv.alias.aliasname if rv.alias is not None else None
    return frozenset(n for n in (rv.relname, alias) if n)


def _lock_kept(
    ctx: Context,
    eff: Effect,
    name: QualifiedName,
    where: Any,
    mode: M,
    qualifiers: frozenset[str],
) -> list[QualifiedName]:
    """Lock the partitions below `name` that plan-time pruning keeps for `where` (all when it
    cannot prune), as the planner does; returns those it pruned."""
    t = ctx.table(name)
    if t is None:
        return []
    kept = kept_partitions(ctx, name, where, qualifiers)
    pruned: list[QualifiedName] = []
    for part in t.partitions:
        if kept is not None and part not in kept:
            pruned.append(part)
            continue
        ctx.lock(eff, part, mode, f"partition of {name}", recurse=False, partition_copy=True)
        pruned += _lock_kept(ctx, eff, part, where, mode, qualifiers)
    return pruned


def _from_items(items: Iterable[Any]) -> list[Any]:
    """RangeVars of a FROM list at this query level (through joins, not into subqueries)."""
    out: list[Any] = []
    stack = list(items)
    while stack:
        cur = stack.pop()
        kind = type(cur).__name__
        if kind == "RangeVar":
            out.append(cur)
        elif kind == "JoinExpr":
            stack.extend((cur.larg, cur.rarg))
    return out


@handles("SelectStmt")
def select(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="SELECT")
    row_locked: set[str] | None = None
    if node.lockingClause:
        eff.kind = "SELECT ... FOR UPDATE/SHARE"
        row_locked = set()
        for lc in node.lockingClause:
            if not lc.lockedRels:
                row_locked = set()  # no OF list: every table of the FROM clause
                break
            row_locked.update(rv.relname for rv in lc.lockedRels)
    _reads(node, ctx, eff, row_locked=row_locked)
    _sequence_calls(node, ctx, eff)
    _user_function_calls(node, ctx, eff)
    if node.intoClause is not None:
        # SELECT INTO creates a table from the query, like CREATE TABLE AS: a full read.
        eff.kind = "SELECT INTO"
        into = qname(node.intoClause.rel)
        for lk in list(eff.locks):
            if lk.relation != into and ctx.relkind(lk.relation) not in ("view", "sequence"):
                eff.scan(lk.relation)
    return eff


def _set_columns(target_list: Any) -> set[str]:
    return {t.name for t in target_list or () if getattr(t, "name", None)}


def _write(kind: str, node: Any, ctx: Context) -> Effect:
    eff = Effect(kind=kind)
    rv = node.relation
    target = qname(rv)
    _reads(node, ctx, eff, skip=rv)
    _sequence_calls(node, ctx, eff)
    # An INSERT locks a partition when it routes a row to it (ExecFindPartition), and puts
    # nothing into inheritance children; the other statements plan every child and partition.
    routed = kind == "INSERT"
    where = getattr(node, "whereClause", None)
    if kind in ("INSERT", "UPDATE"):
        # Rows written straight into a partition are checked against its partition
        # constraint, built from the bounds of every partitioned table above it.
        for up in ctx.partition_ancestors(target):
            ctx.lock(eff, up, M.AccessShareLock, f"partition constraint of {target}", recurse=False)
    if kind in ("UPDATE", "DELETE") and rv.inh and _is_partitioned(ctx, target):
        ctx.read(eff, target, M.RowExclusiveLock, f"{kind} writes rows", recurse=False)
        pruned = _lock_kept(ctx, eff, target, where, M.RowExclusiveLock, _qualifiers(rv))
        t = ctx.table(target)
        moved = _set_columns(getattr(node, "targetList", None))
        if pruned and t is not None and set(t.partition_key) & moved:
            for part in pruned:  # a row whose key changes moves there (routed, per row)
                ctx.lock(
                    eff,
                    part,
                    M.RowExclusiveLock,
                    f"partition of {target}: locked when an updated row moves to it",
                    per_row=True,
                    partition_copy=True,
                )
    else:
        ctx.read(
            eff,
            target,
            M.RowExclusiveLock,
            f"{kind} writes rows",
            recurse=bool(rv.inh) and not routed,
        )
    if routed:
        for part in ctx.each_partition(target):
            ctx.lock(
                eff,
                part,
                M.RowExclusiveLock,
                f"partition of {target}: locked when a row is routed to it",
                recurse=False,
                per_row=True,
                partition_copy=True,
            )
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
    target = qname(node.relation)
    _inserted(ctx, eff, target, _insert_columns(node, ctx, target))
    eff.cause("dml:insert", target)
    return eff


def _insert_columns(node: Any, ctx: Context, target: QualifiedName) -> set[str] | None:
    """Columns given a value (None: not known, assume all); the rest take their defaults."""
    if node.cols:
        return {c.name for c in node.cols}
    sel = node.selectStmt
    if sel is None:
        return set()  # DEFAULT VALUES
    t = ctx.table(target)
    if t is None:
        return None
    width = len(sel.valuesLists[0]) if sel.valuesLists else len(sel.targetList or ())
    return set(list(t.columns)[:width])


def _inserted(ctx: Context, eff: Effect, target: QualifiedName, given: set[str] | None) -> None:
    """New rows: defaults from owned sequences (nextval), foreign keys checked (RI_FKey_check)."""
    t = ctx.table(target)
    if t is None:
        return
    for col in t.columns.values():
        seq = col.sequence or col.default_sequence
        if seq is not None and given is not None and col.name not in given:
            ctx.lock_sequence(
                eff, seq, M.RowExclusiveLock, f"nextval() fills {target}.{col.name}", per_row=True
            )
    for fk in t.foreign_keys():
        if fk.references is not None:
            ctx.lock(
                eff, fk.references, M.RowShareLock, "foreign-key check", recurse=False, per_row=True
            )


def _updated(
    ctx: Context,
    eff: Effect,
    target: QualifiedName,
    columns: set[str],
    seen: set[QualifiedName] | None = None,
) -> None:
    """Changed keys are checked against referenced tables and against referencing tables."""
    t = ctx.table(target)
    if t is None:
        return
    for fk in t.foreign_keys():
        if fk.references is not None and columns & set(fk.columns):
            ctx.lock(
                eff, fk.references, M.RowShareLock, "foreign-key check", recurse=False, per_row=True
            )
    _referencing(ctx, eff, target, columns, "update", set() if seen is None else seen)


def _referencing(
    ctx: Context,
    eff: Effect,
    target: QualifiedName,
    columns: set[str] | None,
    action: str,
    seen: set[QualifiedName],
) -> None:
    """Rows of `target` deleted (columns None) or their keys updated: the foreign keys pointing
    at it are checked (NO ACTION/RESTRICT: ROW SHARE) or act (CASCADE/SET NULL/SET DEFAULT:
    ROW EXCLUSIVE, and a cascaded delete goes on to the next table)."""
    if target in seen:
        return
    seen.add(target)
    for other, fk in ctx.referencing(target):
        refcols = set(fk.ref_columns or ctx.catalog.key_columns(fk.references or target))
        if columns is not None and not columns & refcols:
            continue
        act = fk.on_delete if action == "delete" else fk.on_update
        if act in ("a", "r"):
            ctx.lock_key_holder(eff, other.name, M.RowShareLock, f"{fk.name} checked", per_row=True)
            continue
        ctx.lock_key_holder(
            eff, other.name, M.RowExclusiveLock, f"{fk.name} cascades", per_row=True
        )
        if act == "c" and action == "delete":
            _referencing(ctx, eff, other.name, None, "delete", seen)
        else:  # the referencing rows' keys change (CASCADE update, SET NULL, SET DEFAULT)
            _updated(ctx, eff, other.name, set(fk.columns), seen)


@handles("UpdateStmt")
def update(node: Any, ctx: Context) -> Effect:
    eff = _write("UPDATE", node, ctx)
    _updated(ctx, eff, qname(node.relation), _set_columns(node.targetList))
    return eff


@handles("DeleteStmt")
def delete(node: Any, ctx: Context) -> Effect:
    eff = _write("DELETE", node, ctx)
    _referencing(ctx, eff, qname(node.relation), None, "delete", set())
    return eff


@handles("MergeStmt")
def merge(node: Any, ctx: Context) -> Effect:
    eff = _write("MERGE", node, ctx)
    ctx.requires(eff, 15, "MERGE")
    target = qname(node.relation)
    for when in node.mergeWhenClauses or ():
        cmd = enum_name(when.commandType)
        if cmd == "CMD_INSERT":
            given = _set_columns(when.targetList) if when.targetList else None
            _inserted(ctx, eff, target, given)
        elif cmd == "CMD_UPDATE":
            _updated(ctx, eff, target, _set_columns(when.targetList))
        elif cmd == "CMD_DELETE":
            _referencing(ctx, eff, target, None, "delete", set())
    return eff


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
        given = {a.sval for a in node.attlist or ()} or None
        _inserted(ctx, eff, name, given if given is not None else set(_columns(ctx, name)))
    else:
        eff = Effect(kind="COPY TO")
        ctx.lock(eff, name, M.AccessShareLock, "COPY TO reads rows", recurse=False)
        eff.scan(name)
    return eff


def _columns(ctx: Context, name: QualifiedName) -> list[str]:
    t = ctx.table(name)
    return list(t.columns) if t is not None else []


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
        # Locking a view locks the tables its query uses, in the same mode (PostgreSQL 11+).
        ctx.read(eff, qname(rv), mode, "explicit LOCK TABLE", recurse=bool(rv.inh))
    eff.cause("explicit-lock", None, mode.name)
    return eff


@handles("PrepareStmt")
def prepare(node: Any, ctx: Context) -> Effect:
    """PREPARE analyses its statement, opening the relations it names as executing it would
    (the table a write targets ROW EXCLUSIVE, those it reads ACCESS SHARE, views' tables
    through the rewriter) and holding them to the end of the transaction; nothing runs, no
    row is written, no partition is planned."""
    eff = Effect(kind="PREPARE")
    kind = opened_by_analysis(node.query, ctx, eff)
    if kind:
        eff.kind = f"PREPARE {kind}"
    return eff


def opened_by_analysis(stmt: Any, ctx: Context, eff: Effect) -> str:
    """Add to `eff` the locks parse analysis of `stmt` takes (a prepared statement, a rule's
    action): what executing it would open, without its rows (foreign-key checks, nextval())
    or plan (partitions); returns the statement's kind ('' when it has no model)."""
    from pgwarden.locks.context import handler_for

    inner = handler_for(type(stmt).__name__) if stmt is not None else None
    if inner is None:
        return ""
    done = inner(stmt, ctx)
    for lk in done.locks:
        if not (lk.per_row or lk.partition_copy or lk.relkind == "sequence"):
            eff.lock(lk.relation, lk.mode, relkind=lk.relkind, new=lk.new, reason=lk.reason)
    if done.unknown:
        eff.unknown, eff.note = True, done.note
    return done.kind


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
