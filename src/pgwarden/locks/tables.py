"""CREATE/DROP/TRUNCATE/RENAME of tables, views, materialized views and other objects."""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.locks.partition_keys import partition_keys
from pgwarden.sql.nodes import cte_names, enum_name, list_qname, qname, range_vars


@handles("CreateStmt")
def create_table(node: Any, ctx: Context) -> Effect:
    name = qname(node.relation)
    eff = Effect(kind="CREATE TABLE")
    if node.partbound is not None and node.inhRelations:
        parent = qname(node.inhRelations[0])
        eff.kind = "CREATE TABLE ... PARTITION OF"
        # Creating a partition locks the parent ACCESS EXCLUSIVE (ATTACH is the lighter way);
        # An existing default partition is scanned for rows that now belong to the new one.
        ctx.lock(eff, parent, M.AccessExclusiveLock, "new partition added", recurse=False)
        p = ctx.table(parent)
        if p is not None:
            default = next((q for q in p.partitions if _is_default(ctx, q)), None)
            if default is not None:
                ctx.lock(eff, default, M.AccessExclusiveLock, "default partition is re-checked")
                eff.scan(default)
        partition_keys(ctx, eff, parent, name, "create")
        eff.cause("create-partition", parent, str(name))
    elif node.inhRelations:
        for rv in node.inhRelations:
            ctx.lock(
                eff,
                qname(rv),
                M.ShareUpdateExclusiveLock,
                "parent of a new inheriting table",
                recurse=False,
            )
    for elt in node.tableElts or ():
        k = type(elt).__name__
        if k == "ColumnDef":
            for c in elt.constraints or ():
                if enum_name(c.contype) == "CONSTR_FOREIGN":
                    ref = qname(c.pktable)
                    if ref != name:
                        ctx.lock(
                            eff,
                            ref,
                            M.ShareRowExclusiveLock,
                            f"referenced by a foreign key of new {name}",
                        )
        elif k == "Constraint" and enum_name(elt.contype) == "CONSTR_FOREIGN":
            ref = qname(elt.pktable)
            if ref != name:
                ctx.lock(
                    eff, ref, M.ShareRowExclusiveLock, f"referenced by a foreign key of new {name}"
                )
        elif k == "TableLikeClause":
            ctx.lock(eff, qname(elt.relation), M.AccessShareLock, "LIKE source", recurse=False)
    eff.cause("create-table", name)
    return eff


@handles("CreateForeignTableStmt")
def create_foreign_table(node: Any, ctx: Context) -> Effect:
    """Locks like CREATE TABLE: a foreign partition locks its parent ACCESS EXCLUSIVE, a
    foreign table inheriting a parent locks it SHARE UPDATE EXCLUSIVE."""
    eff = create_table(node.base, ctx)
    eff.kind = eff.kind.replace("CREATE TABLE", "CREATE FOREIGN TABLE")
    return eff


def _is_default(ctx: Context, name: QualifiedName) -> bool:
    t = ctx.table(name)
    return bool(t and t.default_partition)


_DROP_KINDS = {
    "OBJECT_TABLE": ("DROP TABLE", "table"),
    "OBJECT_INDEX": ("DROP INDEX", "index"),
    "OBJECT_VIEW": ("DROP VIEW", "view"),
    "OBJECT_MATVIEW": ("DROP MATERIALIZED VIEW", "matview"),
    "OBJECT_SEQUENCE": ("DROP SEQUENCE", "sequence"),
    "OBJECT_FOREIGN_TABLE": ("DROP FOREIGN TABLE", "foreign"),
}
# Dropping these touches no table's lock (catalog rows only) unless CASCADE reaches tables.
_HARMLESS_DROPS = {
    "OBJECT_FUNCTION",
    "OBJECT_PROCEDURE",
    "OBJECT_ROUTINE",
    "OBJECT_AGGREGATE",
    "OBJECT_EXTENSION",
    "OBJECT_ROLE",
    "OBJECT_OPERATOR",
    "OBJECT_COLLATION",
    "OBJECT_CONVERSION",
    "OBJECT_FDW",
    "OBJECT_FOREIGN_SERVER",
    "OBJECT_PUBLICATION",
    "OBJECT_TSCONFIGURATION",
    "OBJECT_TSDICTIONARY",
    "OBJECT_EVENT_TRIGGER",
    "OBJECT_CAST",
    "OBJECT_LANGUAGE",
    "OBJECT_ACCESS_METHOD",
    "OBJECT_OPCLASS",
    "OBJECT_OPFAMILY",
    "OBJECT_TRANSFORM",
    "OBJECT_TSPARSER",
    "OBJECT_TSTEMPLATE",
}


@handles("DropStmt")
def drop(node: Any, ctx: Context) -> Effect:
    rt = enum_name(node.removeType)
    cascade = enum_name(node.behavior) == "DROP_CASCADE"
    if rt in _DROP_KINDS:
        label, relkind = _DROP_KINDS[rt]
        eff = Effect(kind=label)
        for obj in node.objects or ():
            name = list_qname(obj)
            if rt == "OBJECT_INDEX":
                _drop_index(node, ctx, eff, name)
                continue
            ctx.lock(eff, name, M.AccessExclusiveLock, label)
            if cascade:
                _drop_views(ctx, eff, [name], str(name))
            t = ctx.table(name)
            if t is not None and t.parent is not None:
                # Dropping a partition or inheritance child changes its parent's catalog
                # entries: heap_drop_with_catalog locks the parent ACCESS EXCLUSIVE.
                ctx.lock(
                    eff, t.parent, M.AccessExclusiveLock, f"parent of dropped {name}", recurse=False
                )
                # ... and a default partition beside it, whose partition constraint changes.
                parent = ctx.table(t.parent)
                for sibling in parent.partitions if parent is not None else ():
                    st = ctx.table(sibling)
                    if sibling != name and st is not None and st.default_partition:
                        ctx.lock(
                            eff,
                            sibling,
                            M.AccessExclusiveLock,
                            f"default partition beside dropped {name}",
                            recurse=False,
                        )
            for tree_member in ctx.each_partition_tree(name) if t is not None else ():
                for seq in ctx.catalog.owned_sequences(tree_member):
                    ctx.lock_sequence(eff, seq, M.AccessExclusiveLock, "owned sequence is dropped")
            if t is not None:
                for fk in t.foreign_keys():
                    if fk.references and fk.references != name:
                        # The triggers live on each partition of a partitioned referenced table.
                        ctx.lock(
                            eff,
                            fk.references,
                            M.AccessExclusiveLock,
                            f"foreign-key triggers of {name} are dropped",
                        )
                if cascade:
                    for other, _ in ctx.catalog.referencing(name):
                        ctx.lock_key_holder(
                            eff,
                            other.name,
                            M.AccessExclusiveLock,
                            f"its foreign key to {name} is dropped (CASCADE)",
                        )
            if rt == "OBJECT_SEQUENCE" and cascade:
                _sequence_dependents(ctx, eff, name)
            eff.cause(f"compat:drop-{relkind}", name)
        return eff
    if rt == "OBJECT_SCHEMA":
        eff = Effect(kind="DROP SCHEMA")
        for obj in node.objects or ():
            schema = obj.sval if hasattr(obj, "sval") else str(obj)
            eff.cause("compat:drop-schema", QualifiedName(schema, "*"))
            if cascade:
                inside = [t.name for t in ctx.catalog.tables.values() if t.name.schema == schema]
                for name in inside:
                    ctx.lock(eff, name, M.AccessExclusiveLock, "DROP SCHEMA CASCADE", recurse=False)
                for name in inside:  # what depends on them from other schemas goes too
                    for other, _ in ctx.catalog.referencing(name):
                        if other.name.schema != schema:
                            ctx.lock_key_holder(
                                eff,
                                other.name,
                                M.AccessExclusiveLock,
                                f"its foreign key to {name} is dropped (CASCADE)",
                            )
                _drop_views(ctx, eff, inside, f"schema {schema}", besides=schema)
        return eff
    if rt == "OBJECT_TYPE" or rt == "OBJECT_DOMAIN":
        eff = Effect(kind=f"DROP {'TYPE' if rt == 'OBJECT_TYPE' else 'DOMAIN'}")
        if cascade:  # the columns of that type are dropped with it
            for obj in node.objects or ():
                names = getattr(obj, "names", None) or obj
                typ = getattr(names[-1], "sval", "")
                for t in list(ctx.catalog.tables.values()):
                    for col in t.columns.values():
                        if col.type_name == typ:
                            ctx.lock(
                                eff,
                                t.name,
                                M.AccessExclusiveLock,
                                f"column {col.name} of type {typ} is dropped (CASCADE)",
                            )
        return eff
    if rt == "OBJECT_TRIGGER":
        eff = Effect(kind="DROP TRIGGER")
        for obj in node.objects or ():
            *tbl, trig = [s.sval for s in obj]
            on = list_qname([_S(x) for x in tbl])
            # A row trigger's clones on the partitions go with it.
            recurse = _row_trigger_of_partitioned(ctx, on, trig)
            ctx.lock(
                eff, on, M.AccessExclusiveLock, "DROP TRIGGER", recurse=recurse, children=False
            )
        return eff
    if rt in ("OBJECT_POLICY", "OBJECT_RULE"):
        eff = Effect(kind=f"DROP {'POLICY' if rt == 'OBJECT_POLICY' else 'RULE'}")
        for obj in node.objects or ():
            *tbl, _x = [s.sval for s in obj]
            ctx.lock(
                eff,
                list_qname([_S(x) for x in tbl]),
                M.AccessExclusiveLock,
                eff.kind,
                recurse=False,
            )
        return eff
    if rt == "OBJECT_STATISTIC_EXT":
        # RemoveStatisticsById locks the table SHARE UPDATE EXCLUSIVE (as CREATE STATISTICS).
        eff = Effect(kind="DROP STATISTICS")
        for obj in node.objects or ():
            table = ctx.catalog.statistics.get(list_qname(obj))
            if table is not None:
                ctx.lock(eff, table, M.ShareUpdateExclusiveLock, "DROP STATISTICS", recurse=False)
            else:
                eff.note = "the statistics object's table is unknown to pgwarden"
        return eff
    if rt in _HARMLESS_DROPS:
        eff = Effect(kind=f"DROP {rt.removeprefix('OBJECT_').replace('_', ' ')}")
        if cascade:  # defaults, triggers, indexes, columns built on it go too
            known = ""
            if rt == "OBJECT_FUNCTION" and _trigger_dependents(node, ctx, eff):
                known = " beyond the triggers above"
            eff.unknown = True
            eff.note = (
                f"{eff.kind} CASCADE also drops what depends on it (column defaults, triggers, "
                "indexes, columns), under ACCESS EXCLUSIVE on their tables: pgwarden does not "
                f"know which{known}"
            )
        return eff
    return Effect(kind=f"DROP {rt}", unknown=True, note=f"DROP of {rt} is not modelled")


def _drop_views(
    ctx: Context, eff: Effect, names: list[QualifiedName], what: str, besides: str = ""
) -> None:
    """CASCADE drops the views reading `names` (but those in schema `besides`, dropped
    anyway); `what` names the dropped object in the reason."""
    for view in ctx.dependent_views(*names):
        if view.schema != besides:
            ctx.lock(
                eff,
                view,
                M.AccessExclusiveLock,
                f"reads {what}: dropped with it (CASCADE)",
                recurse=False,
            )


def _trigger_dependents(node: Any, ctx: Context, eff: Effect) -> bool:
    """DROP FUNCTION ... CASCADE drops the triggers that call it: lock their tables (ACCESS
    EXCLUSIVE, as DROP TRIGGER does). True when there were some."""
    names = set()
    for obj in node.objects or ():
        funcname = getattr(obj, "objname", None) or ()
        if funcname:
            names.add(getattr(funcname[-1], "sval", ""))
    found = False
    for t in list(ctx.catalog.tables.values()):
        for trig, fn in t.trigger_functions.items():
            if fn in names:
                found = True
                ctx.lock(
                    eff,
                    t.name,
                    M.AccessExclusiveLock,
                    f"its trigger {trig} is dropped with the function (CASCADE)",
                    recurse=t.triggers.get(trig, False),  # a row trigger's partition clones
                    children=False,
                )
    return found


def _sequence_dependents(ctx: Context, eff: Effect, seq: QualifiedName) -> None:
    """DROP SEQUENCE ... CASCADE drops the column defaults that call nextval() on it: the
    owning column's table is known; another table's default is not."""
    owners = [
        t.name
        for t in ctx.catalog.tables.values()
        if any(c.sequence == seq for c in t.columns.values())
    ]
    for owner in owners:
        ctx.lock(eff, owner, M.AccessExclusiveLock, f"its default on {seq} is dropped (CASCADE)")
    if not owners:
        eff.unknown = True
        eff.note = (
            f"DROP SEQUENCE CASCADE also drops the column defaults that use {seq}, under ACCESS "
            "EXCLUSIVE on their tables: pgwarden does not know which"
        )


class _S:
    __slots__ = ("sval",)

    def __init__(self, s: str) -> None:
        self.sval = s


def _drop_index(node: Any, ctx: Context, eff: Effect, name: QualifiedName) -> None:
    idx = ctx.catalog.indexes.get(name)
    if node.concurrent:
        eff.kind = "DROP INDEX CONCURRENTLY"
        eff.transactional = False
        # The index is marked invalid, then dead, under SHARE UPDATE EXCLUSIVE; once no
        # transaction can use it any more it is dropped under ACCESS EXCLUSIVE (index_drop(),
        # observed by `pgwarden trace --self-check`). The table stays at SHARE UPDATE EXCLUSIVE.
        eff.lock(
            name,
            M.AccessExclusiveLock,
            relkind="index",
            new=ctx.is_new(name),
            reason="dropped at the end, once no transaction can use it",
        )
        if idx is not None:
            ctx.lock(
                eff,
                idx.table,
                M.ShareUpdateExclusiveLock,
                "table of the dropped index",
                recurse=False,
            )
        return
    eff.lock(name, M.AccessExclusiveLock, relkind="index", new=ctx.is_new(name))
    if idx is not None:
        # An index on a partitioned table has an index on every partition, dropped with it.
        ctx.lock(eff, idx.table, M.AccessExclusiveLock, "table of the dropped index")
    else:
        eff.cause("catalog:unknown-index", name)
    eff.cause("drop-index", idx.table if idx else name, str(name))


@handles("TruncateStmt")
def truncate(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="TRUNCATE")
    cascade = enum_name(node.behavior) == "DROP_CASCADE"
    for rv in node.relations or ():
        name = qname(rv)
        # ONLY empties the table itself: not its inheritance children (nor, an error, only a
        # partitioned table).
        emptied = ctx.each_partition_tree(name) if rv.inh else [name]
        ctx.lock(eff, name, M.AccessExclusiveLock, "TRUNCATE", recurse=bool(rv.inh))
        for t in emptied:
            if t not in eff.rewrites:
                eff.rewrites.append(t)
        eff.cause("truncate", name)
        if node.restart_seqs:
            # RESTART IDENTITY resets the owned sequences (new storage, ACCESS EXCLUSIVE).
            for t in emptied:
                for seq in ctx.catalog.owned_sequences(t):
                    ctx.lock_sequence(eff, seq, M.AccessExclusiveLock, "RESTART IDENTITY")
        if cascade:
            # Every table referencing an emptied one is emptied too, and so on down.
            todo, seen = [name], {name}
            while todo:
                emptied_by = todo.pop(0)
                for other, _ in ctx.referencing(emptied_by):
                    if other.name in seen:
                        continue
                    seen.add(other.name)
                    todo.append(other.name)
                    ctx.lock(
                        eff,
                        other.name,
                        M.AccessExclusiveLock,
                        f"emptied by TRUNCATE {name} CASCADE",
                    )
                    for t in ctx.each_partition_tree(other.name):
                        if t not in eff.rewrites:
                            eff.rewrites.append(t)
                    eff.cause("truncate:cascade", other.name, str(name))
    return eff


_RENAME_KIND = {
    "OBJECT_TABLE": "table",
    "OBJECT_COLUMN": "column",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "matview",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_TABCONSTRAINT": "constraint",
    "OBJECT_TRIGGER": "trigger",
    "OBJECT_POLICY": "policy",
    "OBJECT_RULE": "rule",
    "OBJECT_FOREIGN_TABLE": "foreign",
}


def _row_trigger_of_partitioned(ctx: Context, table: QualifiedName, trigger: str | None) -> bool:
    """Whether the trigger has clones on partitions: a row trigger of a partitioned table
    (one the catalog does not know is taken as a row trigger)."""
    t = ctx.table(table)
    return t is not None and t.kind == "partitioned" and t.triggers.get(trigger or "") is not False


@handles("RenameStmt")
def rename(node: Any, ctx: Context) -> Effect:
    rt = enum_name(node.renameType)
    kind = _RENAME_KIND.get(rt)
    if kind is None:
        what = rt.removeprefix("OBJECT_")
        eff = Effect(kind=f"ALTER {what} RENAME")
        if rt == "OBJECT_SCHEMA":
            eff.cause(
                "compat:rename-schema", QualifiedName(node.subname or "?", "*"), node.newname or ""
            )
        return eff
    name = qname(node.relation)
    eff = Effect(kind=f"RENAME {kind.upper()}")
    if kind == "index":
        # PostgreSQL 12+ renames an index under SHARE UPDATE EXCLUSIVE.
        mode = M.ShareUpdateExclusiveLock if ctx.version >= 12 else M.AccessExclusiveLock
        eff.lock(name, mode, relkind="index", new=ctx.is_new(name))
        return eff
    relkind = {
        "view": "view",
        "matview": "matview",
        "sequence": "sequence",
        "foreign": "foreign",
    }.get(kind)
    recurse = kind == "column"
    if kind == "trigger":
        # 15+ renames a row trigger's clones on the partitions too, and looks for them
        # (locking each partition) for a statement trigger as well.
        t = ctx.table(name)
        recurse = ctx.version >= 15 and t is not None and t.kind == "partitioned"
    if kind == "constraint":
        # An inherited CHECK (or NOT NULL) is renamed on the children too; a key is not
        # (each partition's copy keeps its own name).
        t = ctx.table(name)
        con = t.constraints.get(node.subname or "") if t is not None else None
        recurse = con is None or con.kind in ("check", "not_null")
    ctx.lock(
        eff,
        name,
        M.AccessExclusiveLock,
        eff.kind,
        recurse=recurse,
        relkind=relkind,
        children=kind != "trigger",
    )
    if kind in ("table", "column", "view"):
        eff.cause(f"compat:rename-{kind}", name, node.newname or "", node.subname)
    return eff


@handles("AlterObjectSchemaStmt")
def set_schema(node: Any, ctx: Context) -> Effect:
    ot = enum_name(node.objectType)
    eff = Effect(kind=f"ALTER {ot.removeprefix('OBJECT_')} SET SCHEMA")
    if node.relation is not None:
        name = qname(node.relation)
        ctx.lock(eff, name, M.AccessExclusiveLock, eff.kind, recurse=False)
        # Owned sequences move with the table (AlterSeqNamespaces), under ACCESS EXCLUSIVE.
        for seq in ctx.catalog.owned_sequences(name):
            eff.lock(seq, M.AccessExclusiveLock, relkind="sequence", reason="moves with the table")
        eff.cause("compat:rename-table", name, f"schema {node.newschema}")
    return eff


@handles("ViewStmt")
def create_view(node: Any, ctx: Context) -> Effect:
    name = qname(node.view)
    eff = Effect(kind="CREATE OR REPLACE VIEW" if node.replace else "CREATE VIEW")
    if node.replace and ctx.table(name) is not None:
        ctx.lock(eff, name, M.AccessExclusiveLock, "view definition replaced", relkind="view")
    _read_sources(node.query, ctx, eff, "read by the view definition", lock=M.AccessShareLock)
    return eff


def _read_sources(query: Any, ctx: Context, eff: Effect, reason: str, lock: M) -> None:
    ctes = cte_names(query)
    for rv in range_vars(query):
        if rv.schemaname is None and rv.relname in ctes:
            continue
        ctx.lock(eff, qname(rv), lock, reason, recurse=False)


@handles("CreateTableAsStmt")
def create_table_as(node: Any, ctx: Context) -> Effect:
    into = qname(node.into.rel)
    matview = enum_name(node.objtype) == "OBJECT_MATVIEW"
    eff = Effect(kind="CREATE MATERIALIZED VIEW" if matview else "CREATE TABLE AS")
    ctes = cte_names(node.query)
    for rv in range_vars(node.query):
        if rv.schemaname is None and rv.relname in ctes:
            continue
        name = qname(rv)
        if name == into:
            continue
        ctx.read(
            eff,
            name,
            M.AccessShareLock,
            "read to fill the new relation",
            scan=not node.into.skipData,
        )
    return eff


def _refresh_sources(ctx: Context, eff: Effect, name: QualifiedName) -> None:
    """The materialized view's query runs again: its tables are read in full."""
    t = ctx.table(name)
    for src in t.sources if t is not None else ():
        ctx.read(eff, src, M.AccessShareLock, f"read to refresh {name}", scan=True)


@handles("RefreshMatViewStmt")
def refresh_matview(node: Any, ctx: Context) -> Effect:
    name = qname(node.relation)
    if node.concurrent:
        eff = Effect(kind="REFRESH MATERIALIZED VIEW CONCURRENTLY")
        ctx.lock(eff, name, M.ExclusiveLock, "refreshed concurrently", relkind="matview")
        eff.scan(name)
        _refresh_sources(ctx, eff, name)
        eff.cause("refresh-concurrently", name)
        return eff
    eff = Effect(kind="REFRESH MATERIALIZED VIEW")
    ctx.lock(eff, name, M.AccessExclusiveLock, "refreshed", relkind="matview")
    _refresh_sources(ctx, eff, name)
    eff.rewrite(
        name, "rewrite:refresh-matview", "the materialized view is rebuilt into new storage"
    )
    eff.cause("refresh-matview", name)
    return eff
