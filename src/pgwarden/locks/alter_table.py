"""ALTER TABLE: lock mode, rewrite and scan per subcommand, by PostgreSQL version.

Lock levels follow AlterTableGetLockLevel() in src/backend/commands/tablecmds.c and the ALTER
TABLE docs ("An ACCESS EXCLUSIVE lock is acquired unless explicitly noted"). The whole command
takes the strongest level of its subcommands. Each entry is verified against pg_locks by
tests/locks/test_live_model.py.
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName, Table
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.locks.typechange import rewrite_reason
from pgwarden.locks.volatility import default_volatility
from pgwarden.sql.nodes import enum_name, qname, type_label, type_name

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})

# Subcommands whose lock does not depend on the catalog: name -> (label, mode).
SIMPLE: dict[str, tuple[str, M]] = {
    "AT_DropColumn": ("DROP COLUMN", M.AccessExclusiveLock),
    "AT_ColumnDefault": ("ALTER COLUMN SET/DROP DEFAULT", M.AccessExclusiveLock),
    "AT_CookedColumnDefault": ("ALTER COLUMN SET DEFAULT", M.AccessExclusiveLock),
    "AT_DropNotNull": ("ALTER COLUMN DROP NOT NULL", M.AccessExclusiveLock),
    "AT_DropExpression": ("ALTER COLUMN DROP EXPRESSION", M.AccessExclusiveLock),
    "AT_SetStatistics": ("ALTER COLUMN SET STATISTICS", M.ShareUpdateExclusiveLock),
    "AT_SetOptions": ("ALTER COLUMN SET (attribute_option)", M.ShareUpdateExclusiveLock),
    "AT_ResetOptions": ("ALTER COLUMN RESET (attribute_option)", M.ShareUpdateExclusiveLock),
    "AT_SetStorage": ("ALTER COLUMN SET STORAGE", M.AccessExclusiveLock),
    "AT_SetCompression": ("ALTER COLUMN SET COMPRESSION", M.AccessExclusiveLock),
    "AT_AlterConstraint": ("ALTER CONSTRAINT", M.AccessExclusiveLock),
    "AT_AlterColumnGenericOptions": ("ALTER COLUMN OPTIONS", M.AccessExclusiveLock),
    "AT_ChangeOwner": ("OWNER TO", M.AccessExclusiveLock),
    "AT_ClusterOn": ("CLUSTER ON", M.ShareUpdateExclusiveLock),
    "AT_DropCluster": ("SET WITHOUT CLUSTER", M.ShareUpdateExclusiveLock),
    "AT_DropOids": ("SET WITHOUT OIDS", M.AccessExclusiveLock),
    "AT_EnableTrig": ("ENABLE TRIGGER", M.ShareRowExclusiveLock),
    "AT_EnableAlwaysTrig": ("ENABLE ALWAYS TRIGGER", M.ShareRowExclusiveLock),
    "AT_EnableReplicaTrig": ("ENABLE REPLICA TRIGGER", M.ShareRowExclusiveLock),
    "AT_DisableTrig": ("DISABLE TRIGGER", M.ShareRowExclusiveLock),
    "AT_EnableTrigAll": ("ENABLE TRIGGER ALL", M.ShareRowExclusiveLock),
    "AT_DisableTrigAll": ("DISABLE TRIGGER ALL", M.ShareRowExclusiveLock),
    "AT_EnableTrigUser": ("ENABLE TRIGGER USER", M.ShareRowExclusiveLock),
    "AT_DisableTrigUser": ("DISABLE TRIGGER USER", M.ShareRowExclusiveLock),
    "AT_EnableRule": ("ENABLE RULE", M.AccessExclusiveLock),
    "AT_EnableAlwaysRule": ("ENABLE ALWAYS RULE", M.AccessExclusiveLock),
    "AT_EnableReplicaRule": ("ENABLE REPLICA RULE", M.AccessExclusiveLock),
    "AT_DisableRule": ("DISABLE RULE", M.AccessExclusiveLock),
    "AT_AddInherit": ("INHERIT", M.AccessExclusiveLock),
    "AT_DropInherit": ("NO INHERIT", M.AccessExclusiveLock),
    "AT_AddOf": ("OF type", M.AccessExclusiveLock),
    "AT_DropOf": ("NOT OF", M.AccessExclusiveLock),
    "AT_ReplicaIdentity": ("REPLICA IDENTITY", M.AccessExclusiveLock),
    "AT_EnableRowSecurity": ("ENABLE ROW LEVEL SECURITY", M.AccessExclusiveLock),
    "AT_DisableRowSecurity": ("DISABLE ROW LEVEL SECURITY", M.AccessExclusiveLock),
    "AT_ForceRowSecurity": ("FORCE ROW LEVEL SECURITY", M.AccessExclusiveLock),
    "AT_NoForceRowSecurity": ("NO FORCE ROW LEVEL SECURITY", M.AccessExclusiveLock),
    "AT_GenericOptions": ("OPTIONS", M.AccessExclusiveLock),
    "AT_AddIdentity": ("ALTER COLUMN ADD GENERATED AS IDENTITY", M.AccessExclusiveLock),
    "AT_SetIdentity": ("ALTER COLUMN SET GENERATED/sequence option", M.AccessExclusiveLock),
    "AT_DropIdentity": ("ALTER COLUMN DROP IDENTITY", M.AccessExclusiveLock),
    "AT_DetachPartitionFinalize": ("DETACH PARTITION FINALIZE", M.ShareUpdateExclusiveLock),
}

# Storage parameters settable under SHARE UPDATE EXCLUSIVE (reloptions.c lockmode per option).
_LIGHT_RELOPTIONS = frozenset(
    {
        "fillfactor",
        "toast_tuple_target",
        "parallel_workers",
        "vacuum_index_cleanup",
        "vacuum_truncate",
        "log_autovacuum_min_duration",
        "vacuum_max_eager_freeze_failure_rate",
    }
)


def _reloption_mode(cmd: Any) -> M:
    for d in cmd.def_ or ():
        name = (d.defname or "").lower()
        if d.defnamespace == "toast" and name.startswith("autovacuum_"):
            continue
        if name in _LIGHT_RELOPTIONS or name.startswith("autovacuum_"):
            continue
        return M.AccessExclusiveLock
    return M.ShareUpdateExclusiveLock


@handles("AlterTableStmt")
def alter_table(node: Any, ctx: Context) -> Effect:
    objtype = enum_name(node.objtype)
    name = qname(node.relation)
    table = ctx.table(name)
    recurse = bool(node.relation.inh)
    what = {
        "OBJECT_INDEX": "ALTER INDEX",
        "OBJECT_VIEW": "ALTER VIEW",
        "OBJECT_MATVIEW": "ALTER MATERIALIZED VIEW",
        "OBJECT_SEQUENCE": "ALTER SEQUENCE",
        "OBJECT_FOREIGN_TABLE": "ALTER FOREIGN TABLE",
    }.get(objtype, "ALTER TABLE")
    eff = Effect(kind=what)
    labels: list[str] = []
    mode = M.AccessShareLock
    if objtype == "OBJECT_INDEX":
        return _alter_index(node, ctx, eff)
    for cmd in node.cmds or ():
        sub = enum_name(cmd.subtype)
        label, m = _subcommand(sub, cmd, name, table, ctx, eff, recurse)
        labels.append(label)
        mode = max(mode, m)
    if labels:
        eff.kind = f"{what} " + ", ".join(dict.fromkeys(labels))
    relkind = {
        "OBJECT_VIEW": "view",
        "OBJECT_MATVIEW": "matview",
        "OBJECT_SEQUENCE": "sequence",
        "OBJECT_FOREIGN_TABLE": "foreign",
    }.get(objtype)
    ctx.lock(eff, name, mode, eff.kind, recurse=recurse, relkind=relkind)
    if table is None and not ctx.catalog.tables.get(name):
        eff.cause("catalog:unknown-table", name)
    return eff


def _alter_index(node: Any, ctx: Context, eff: Effect) -> Effect:
    index = qname(node.relation)
    idx = ctx.catalog.indexes.get(index)
    mode = M.AccessExclusiveLock
    for cmd in node.cmds or ():
        sub = enum_name(cmd.subtype)
        if sub in ("AT_SetRelOptions", "AT_ResetRelOptions"):
            mode = _reloption_mode(cmd)
            eff.kind = "ALTER INDEX SET (storage parameter)"
        elif sub == "AT_SetStatistics":
            mode = M.ShareUpdateExclusiveLock
            eff.kind = "ALTER INDEX ALTER COLUMN SET STATISTICS"
        elif sub == "AT_SetTableSpace":
            eff.kind = "ALTER INDEX SET TABLESPACE"
            eff.index_rebuilds.append(index)
        elif sub == "AT_AttachPartition":
            eff.kind = "ALTER INDEX ATTACH PARTITION"
            mode = M.ShareUpdateExclusiveLock
        else:
            eff.kind = f"ALTER INDEX {sub.removeprefix('AT_')}"
    eff.lock(index, mode, relkind="index", new=ctx.is_new(index), reason=eff.kind)
    if idx is not None and eff.kind == "ALTER INDEX SET TABLESPACE":
        ctx.lock(eff, idx.table, M.AccessShareLock, "table of the index", recurse=False)
    return eff


def _subcommand(
    sub: str,
    cmd: Any,
    name: QualifiedName,
    table: Table | None,
    ctx: Context,
    eff: Effect,
    recurse: bool,
) -> tuple[str, M]:
    if sub in SIMPLE:
        label, mode = SIMPLE[sub]
        if sub == "AT_DropNotNull":
            eff.cause("compat:drop-not-null", name, column=cmd.name)
        if sub == "AT_DropColumn":
            eff.cause("compat:drop-column", name, column=cmd.name)
        if sub == "AT_AddInherit" and cmd.def_ is not None:
            ctx.lock(eff, qname(cmd.def_), M.ShareUpdateExclusiveLock, "new parent", recurse=False)
        return label, mode
    if sub == "AT_AddColumn" or sub == "AT_AddColumnToView":
        return _add_column(cmd, name, table, ctx, eff)
    if sub == "AT_AlterColumnType":
        return _alter_type(cmd, name, table, ctx, eff)
    if sub == "AT_SetNotNull":
        col = cmd.name
        if table is not None and table.has_valid_not_null_check(col) and ctx.version >= 12:
            eff.cause("not-null:proven-by-check", name, column=col)
        else:
            eff.scan(name)
            eff.cause("scan:set-not-null", name, f"checks every row of {name} for NULLs", col)
        return "ALTER COLUMN SET NOT NULL", M.AccessExclusiveLock
    if sub == "AT_SetExpression":
        eff.rewrite(name, "rewrite:set-expression", "recomputes the generated column", cmd.name)
        return "ALTER COLUMN SET EXPRESSION", M.AccessExclusiveLock
    if sub == "AT_AddConstraint":
        return _add_constraint(cmd.def_, name, table, ctx, eff)
    if sub == "AT_AddIndexConstraint" or sub == "AT_AddIndex":
        return _add_constraint(cmd.def_, name, table, ctx, eff)
    if sub == "AT_ValidateConstraint":
        eff.scan(name)
        con = table.constraints.get(cmd.name) if table else None
        eff.cause("validate", name, cmd.name or "")
        if con is not None and con.kind == "foreign_key" and con.references:
            ctx.lock(eff, con.references, M.RowShareLock, "referenced by the validated foreign key")
        return "VALIDATE CONSTRAINT", M.ShareUpdateExclusiveLock
    if sub == "AT_DropConstraint":
        con = table.constraints.get(cmd.name) if table else None
        if con is not None and con.kind == "foreign_key" and con.references:
            ctx.lock(
                eff,
                con.references,
                M.AccessExclusiveLock,
                "its foreign-key triggers are dropped",
                recurse=False,
            )
        eff.cause("drop-constraint", name, cmd.name or "")
        return "DROP CONSTRAINT", M.AccessExclusiveLock
    if sub in ("AT_SetTableSpace",):
        eff.rewrite(name, "rewrite:set-tablespace", "copies every block to the new tablespace")
        return "SET TABLESPACE", M.AccessExclusiveLock
    if sub in ("AT_SetLogged", "AT_SetUnLogged"):
        label = "SET LOGGED" if sub == "AT_SetLogged" else "SET UNLOGGED"
        eff.rewrite(name, "rewrite:set-logged", f"{label} rewrites the table")
        return label, M.AccessExclusiveLock
    if sub == "AT_SetAccessMethod":
        eff.rewrite(name, "rewrite:set-access-method", "SET ACCESS METHOD rewrites the table")
        return "SET ACCESS METHOD", M.AccessExclusiveLock
    if sub in ("AT_SetRelOptions", "AT_ResetRelOptions", "AT_ReplaceRelOptions"):
        return "SET (storage parameter)", _reloption_mode(cmd)
    if sub == "AT_AttachPartition":
        return _attach(cmd, name, table, ctx, eff)
    if sub == "AT_DetachPartition":
        part = qname(cmd.def_.name)
        if cmd.def_.concurrent:
            eff.transactional = False
            ctx.lock(eff, part, M.ShareUpdateExclusiveLock, "partition detached concurrently")
            return "DETACH PARTITION CONCURRENTLY", M.ShareUpdateExclusiveLock
        ctx.lock(eff, part, M.AccessExclusiveLock, "partition being detached")
        eff.cause("detach-partition", name, str(part))
        return "DETACH PARTITION", M.AccessExclusiveLock
    eff.unknown = True
    eff.note = f"ALTER TABLE subcommand {sub} is not modelled"
    return sub.removeprefix("AT_"), M.AccessExclusiveLock


def _add_column(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    col = cmd.def_
    tname, mods, array = type_name(col.typeName)
    colname = col.colname
    not_null = bool(col.is_not_null)
    default = None
    for c in col.constraints or ():
        ct = enum_name(c.contype)
        if ct == "CONSTR_NOTNULL":
            not_null = True
        elif ct == "CONSTR_DEFAULT":
            default = c.raw_expr
        elif ct == "CONSTR_IDENTITY":
            eff.rewrite(
                name,
                "rewrite:identity",
                "an identity column fills every row from a sequence",
                colname,
            )
        elif ct == "CONSTR_GENERATED":
            if c.generated_kind != "v":  # PG 18 virtual generated columns store nothing
                eff.rewrite(
                    name,
                    "rewrite:generated-stored",
                    "a stored generated column is computed for every row",
                    colname,
                )
        elif ct in (
            "CONSTR_PRIMARY",
            "CONSTR_UNIQUE",
            "CONSTR_EXCLUSION",
            "CONSTR_CHECK",
            "CONSTR_FOREIGN",
        ):
            _add_constraint(c, name, table, ctx, eff, column=colname)
    if tname in SERIAL_TYPES:
        eff.rewrite(
            name, "rewrite:serial", "a serial column fills every row from nextval()", colname
        )
        not_null = True
    elif default is not None:
        vol, fn = default_volatility(default)
        if ctx.version < 11:
            eff.rewrite(
                name, "rewrite:default-pre11", "any default rewrites before PostgreSQL 11", colname
            )
        elif vol == "volatile":
            eff.rewrite(
                name, "rewrite:volatile-default", f"{fn}() is volatile: evaluated per row", colname
            )
        elif vol == "unknown":
            eff.rewrite(
                name,
                "rewrite:volatile-default",
                f"{fn}() may be volatile (evaluated per row) unless it is STABLE/IMMUTABLE",
                colname,
            )
    elif not_null:
        eff.scan(name)
    dom = ctx.catalog.domains.get(_type_qname(col.typeName))
    if dom and name not in eff.rewrites:
        eff.rewrite(
            name,
            "rewrite:domain-constraint",
            "a domain with constraints is checked per row",
            colname,
        )
    self_filling = tname in SERIAL_TYPES or any(
        enum_name(c.contype) in ("CONSTR_IDENTITY", "CONSTR_GENERATED")
        for c in col.constraints or ()
    )
    if not_null and default is None and not self_filling:
        eff.cause("compat:required-column", name, column=colname)
    eff.cause("add-column", name, type_label(tname, mods, array), colname)
    return "ADD COLUMN", M.AccessExclusiveLock


def _type_qname(tn: Any) -> QualifiedName:
    from pgwarden.sql.nodes import list_qname

    return list_qname(tn.names or ())


def _alter_type(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    colname = cmd.name
    new, new_mods, new_array = type_name(cmd.def_.typeName)
    col = table.columns.get(colname) if table else None
    eff.cause("compat:type-change", name, type_label(new, new_mods, new_array), colname)
    if col is None:
        eff.rewrite(
            name,
            "rewrite:type-change",
            f"type of {colname} unknown to pgwarden: assume the change to "
            f"{type_label(new, new_mods)} rewrites",
            colname,
        )
    else:
        reason = rewrite_reason(
            col.type_name,
            col.typmods,
            new,
            new_mods,
            has_using=cmd.def_.raw_default is not None
            and not _trivial_using(cmd.def_.raw_default, colname),
            version=ctx.version,
        )
        if col.array != new_array and reason is None:
            reason = "array-ness changes"
        if reason is not None:
            eff.rewrite(
                name,
                "rewrite:type-change",
                f"{type_label(col.type_name, col.typmods)} -> {type_label(new, new_mods)}: "
                f"{reason}",
                colname,
            )
            for idx in ctx.catalog.indexes_of(name):
                eff.index_rebuilds.append(idx.name)
    return "ALTER COLUMN TYPE", M.AccessExclusiveLock


def _trivial_using(expr: Any, colname: str) -> bool:
    """`USING col` or `USING col::newtype` (as Django writes it) is the implicit conversion, so
    the binary-coercion rules still apply; any other expression is evaluated per row."""
    if type(expr).__name__ == "TypeCast":
        expr = expr.arg
    fields: Any = getattr(expr, "fields", None)
    return bool(fields) and getattr(fields[-1], "sval", None) == colname


def _add_constraint(
    con: Any,
    name: QualifiedName,
    table: Table | None,
    ctx: Context,
    eff: Effect,
    column: str | None = None,
) -> tuple[str, M]:
    ct = enum_name(con.contype)
    not_valid = bool(con.skip_validation)
    new_table = ctx.is_new(name)
    if ct == "CONSTR_FOREIGN":
        ref = qname(con.pktable)
        ctx.lock(eff, ref, M.ShareRowExclusiveLock, f"referenced by a new foreign key on {name}")
        if not not_valid:
            eff.scan(name)
            eff.cause("validate:foreign-key", name, str(ref), column)
        else:
            eff.cause("not-valid:foreign-key", name, str(ref), column)
        eff.cause("foreign-key", name, str(ref), column)
        return (
            "ADD FOREIGN KEY",
            M.ShareRowExclusiveLock if column is None else M.AccessExclusiveLock,
        )
    if ct == "CONSTR_CHECK":
        if not not_valid:
            eff.scan(name)
            eff.cause("validate:check", name, con.conname or "", column)
        else:
            eff.cause("not-valid:check", name, con.conname or "", column)
        return "ADD CHECK", M.AccessExclusiveLock
    if ct in ("CONSTR_PRIMARY", "CONSTR_UNIQUE"):
        label = "PRIMARY KEY" if ct == "CONSTR_PRIMARY" else "UNIQUE"
        if con.indexname:
            eff.cause("constraint-using-index", name, label, column)
            if ct == "CONSTR_PRIMARY" and table is not None:
                idx = ctx.catalog.indexes.get(QualifiedName(name.schema, con.indexname))
                cols = idx.columns if idx else ()
                if any(not (table.columns.get(c) and table.columns[c].not_null) for c in cols):
                    eff.scan(name)
                    eff.cause(
                        "scan:set-not-null", name, "PRIMARY KEY USING INDEX sets NOT NULL", None
                    )
            return f"ADD {label} USING INDEX", M.AccessExclusiveLock
        eff.scan(name)
        eff.cause("index-build:constraint", name, label, column)
        if ct == "CONSTR_PRIMARY" and table is not None:
            for key in con.keys or ():
                c = table.columns.get(key.sval)
                if c is not None and not c.not_null and not new_table:
                    eff.cause("scan:set-not-null", name, "PRIMARY KEY sets NOT NULL", key.sval)
        return f"ADD {label}", M.AccessExclusiveLock
    if ct == "CONSTR_EXCLUSION":
        eff.scan(name)
        eff.cause("index-build:constraint", name, "EXCLUDE", column)
        eff.cause("exclusion-constraint", name, "", column)
        return "ADD EXCLUDE", M.AccessExclusiveLock
    if ct == "CONSTR_NOTNULL":
        eff.scan(name)
        eff.cause("scan:set-not-null", name, "", column)
        return "ADD NOT NULL", M.AccessExclusiveLock
    return f"ADD CONSTRAINT ({ct})", M.AccessExclusiveLock


def _attach(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    part = qname(cmd.def_.name)
    ctx.lock(eff, part, M.AccessExclusiveLock, "partition being attached")
    eff.scan(part)
    eff.cause(
        "scan:attach-partition",
        part,
        f"checks every row of {part} against the bound unless a matching CHECK constraint exists",
    )
    if table is not None:
        for p in table.partitions:
            t = ctx.table(p)
            if t is not None and t.default_partition:
                ctx.lock(eff, p, M.AccessExclusiveLock, "default partition is re-checked")
    # PostgreSQL 12 reduced ATTACH PARTITION to SHARE UPDATE EXCLUSIVE on the parent.
    return (
        "ATTACH PARTITION",
        M.ShareUpdateExclusiveLock if ctx.version >= 12 else M.AccessExclusiveLock,
    )
