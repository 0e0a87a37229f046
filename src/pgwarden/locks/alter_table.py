"""ALTER TABLE: lock mode, rewrite and scan per subcommand, by PostgreSQL version.

Lock levels follow AlterTableGetLockLevel() in src/backend/commands/tablecmds.c and the ALTER
TABLE docs ("An ACCESS EXCLUSIVE lock is acquired unless explicitly noted"). The whole command
takes the strongest level of its subcommands; partitions and inheritance children get the
level of the subcommands that recurse (ATPrepCmd). Each entry is verified against pg_locks by
tests/locks/test_live_model.py (statement forms in locks/forms/).
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName, Table
from pgwarden.locks import alter_column, constraints
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.sql.nodes import enum_name, nextval_sequence, qname

# Subcommands whose lock does not depend on the catalog: name -> (label, mode).
SIMPLE: dict[str, tuple[str, M]] = {
    "AT_ColumnDefault": ("ALTER COLUMN SET/DROP DEFAULT", M.AccessExclusiveLock),
    "AT_CookedColumnDefault": ("ALTER COLUMN SET DEFAULT", M.AccessExclusiveLock),
    "AT_DropNotNull": ("ALTER COLUMN DROP NOT NULL", M.AccessExclusiveLock),
    "AT_DropExpression": ("ALTER COLUMN DROP EXPRESSION", M.AccessExclusiveLock),
    "AT_SetStatistics": ("ALTER COLUMN SET STATISTICS", M.ShareUpdateExclusiveLock),
    "AT_SetOptions": ("ALTER COLUMN SET (attribute_option)", M.ShareUpdateExclusiveLock),
    "AT_ResetOptions": ("ALTER COLUMN RESET (attribute_option)", M.ShareUpdateExclusiveLock),
    "AT_SetStorage": ("ALTER COLUMN SET STORAGE", M.AccessExclusiveLock),
    "AT_SetCompression": ("ALTER COLUMN SET COMPRESSION", M.AccessExclusiveLock),
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
        # index options (btree, gin, brin)
        "deduplicate_items",
        "autosummarize",
    }
)
# Subcommands newer than PostgreSQL 12 (ALTER TABLE docs of each release).
_SINCE = {
    "AT_DropExpression": 13,
    "AT_SetCompression": 14,
    "AT_SetAccessMethod": 15,
    "AT_SetExpression": 17,
    "AT_DetachPartitionFinalize": 14,
}
_SINCE_LABELS = {"AT_DetachPartitionFinalize": "DETACH PARTITION FINALIZE"}
# Subcommands that act on the named table only, even without ONLY: ATPrepCmd does not recurse
# for them ("This command never recurses"), or they are about one relation by nature.
NO_RECURSE = frozenset(
    {
        "AT_SetOptions",
        "AT_ResetOptions",
        "AT_SetCompression",
        "AT_SetRelOptions",
        "AT_ResetRelOptions",
        "AT_ReplaceRelOptions",
        "AT_ChangeOwner",
        "AT_ClusterOn",
        "AT_DropCluster",
        "AT_SetLogged",
        "AT_SetUnLogged",
        "AT_SetTableSpace",
        "AT_SetAccessMethod",
        "AT_EnableRule",
        "AT_EnableAlwaysRule",
        "AT_EnableReplicaRule",
        "AT_DisableRule",
        "AT_ReplicaIdentity",
        "AT_EnableRowSecurity",
        "AT_DisableRowSecurity",
        "AT_ForceRowSecurity",
        "AT_NoForceRowSecurity",
        "AT_AddInherit",
        "AT_DropInherit",
        "AT_AddOf",
        "AT_DropOf",
        "AT_AttachPartition",
        "AT_DetachPartition",
        "AT_DetachPartitionFinalize",
        "AT_GenericOptions",
    }
)
_TRIGGER_CMDS = frozenset(
    {
        "AT_EnableTrig",
        "AT_EnableAlwaysTrig",
        "AT_EnableReplicaTrig",
        "AT_DisableTrig",
        "AT_EnableTrigAll",
        "AT_DisableTrigAll",
        "AT_EnableTrigUser",
        "AT_DisableTrigUser",
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


_STATEMENT_OF = {  # ALTER TABLE's object type -> the statement as written
    "OBJECT_INDEX": "ALTER INDEX",
    "OBJECT_VIEW": "ALTER VIEW",
    "OBJECT_MATVIEW": "ALTER MATERIALIZED VIEW",
    "OBJECT_SEQUENCE": "ALTER SEQUENCE",
    "OBJECT_FOREIGN_TABLE": "ALTER FOREIGN TABLE",
}
_RELKIND_OF = {
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "matview",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_FOREIGN_TABLE": "foreign",
}


@handles("AlterTableStmt")
def alter_table(node: Any, ctx: Context) -> Effect:
    objtype = enum_name(node.objtype)
    name = qname(node.relation)
    table = ctx.table(name)
    recurse = bool(node.relation.inh)
    what = _STATEMENT_OF.get(objtype, "ALTER TABLE")
    eff = Effect(kind=what)
    labels: list[str] = []
    mode = M.AccessShareLock  # on the named relation
    child_mode: M | None = None  # on partitions and inheritance children
    if objtype == "OBJECT_INDEX":
        return _alter_index(node, ctx, eff)
    for cmd in node.cmds or ():
        sub = enum_name(cmd.subtype)
        label, m = _subcommand(sub, cmd, name, table, ctx, eff, recurse)
        labels.append(label)
        mode = max(mode, m)
        if recurse and _recurses(sub, cmd, table, ctx.version):
            cm = _child_mode(sub, cmd, table, m, ctx.version)
            child_mode = cm if child_mode is None else max(child_mode, cm)
    if labels:
        eff.kind = f"{what} " + ", ".join(dict.fromkeys(labels))
    relkind = _RELKIND_OF.get(objtype)
    if child_mode is not None:
        ctx.lock(eff, name, child_mode, eff.kind, recurse=True, relkind=relkind)
    ctx.lock(eff, name, mode, eff.kind, recurse=False, relkind=relkind)
    if table is None and not ctx.catalog.tables.get(name):
        eff.cause("catalog:unknown-table", name)
    return eff


def _child_mode(sub: str, cmd: Any, table: Table | None, mode: M, version: int) -> M:
    """The lock a partition gets: before 18 a UNIQUE, PRIMARY KEY or EXCLUDE constraint builds
    its index on each partition under SHARE (DefineIndex), unless a primary key must also set
    NOT NULL on them; from 18 every ADD CONSTRAINT visits them with the table's lock."""
    if sub != "AT_AddConstraint" or version >= 18 or table is None or table.kind != "partitioned":
        return mode
    ct = enum_name(cmd.def_.contype)
    if ct not in ("CONSTR_UNIQUE", "CONSTR_PRIMARY", "CONSTR_EXCLUSION"):
        return mode
    if ct == "CONSTR_PRIMARY":
        keys = [getattr(k, "sval", "") for k in cmd.def_.keys or ()]
        if any(not (c := table.columns.get(k)) or not c.not_null for k in keys):
            return mode
    return M.ShareLock


def _recurses(sub: str, cmd: Any, table: Table | None, version: int) -> bool:
    """Does the subcommand reach partitions and inheritance children?"""
    if sub in NO_RECURSE:
        return False
    if sub == "AT_AddConstraint" and (table is None or table.kind != "partitioned"):
        # Inheritance children get CHECK and NOT NULL constraints (a primary key's NOT NULL
        # too), not keys or indexes; from 18, which catalogues NOT NULL constraints, every
        # ADD CONSTRAINT visits (locks) them. Observed on 15, 16, 17 (as 15) and 18.
        ct = enum_name(cmd.def_.contype)
        return version >= 18 or ct in ("CONSTR_CHECK", "CONSTR_NOTNULL", "CONSTR_PRIMARY")
    if sub in _TRIGGER_CMDS:
        # EnableDisableTrigger recurses only into partitions, for row-level triggers (user
        # triggers, or ALL: also the foreign-key triggers).
        if table is None or table.kind != "partitioned":
            return False
        if sub in ("AT_EnableTrigAll", "AT_DisableTrigAll"):
            return any(table.triggers.values()) or bool(table.foreign_keys())
        if sub in ("AT_EnableTrigUser", "AT_DisableTrigUser"):
            return any(table.triggers.values())
        return bool(table.triggers.get(cmd.name))
    return True


def _alter_index(node: Any, ctx: Context, eff: Effect) -> Effect:
    index = qname(node.relation)
    idx = ctx.catalog.indexes.get(index)
    mode = M.AccessExclusiveLock
    tables: list[QualifiedName] = []  # tables locked ACCESS SHARE besides the index
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
            eff.index_rebuilds.append(index)  # the table itself is not locked
        elif sub == "AT_AttachPartition":
            eff.kind = "ALTER INDEX ATTACH PARTITION"
            mode = M.ShareUpdateExclusiveLock
            # Both indexes' tables are opened to check the partition matches (AttachPartitionIdx).
            child = ctx.catalog.indexes.get(qname(cmd.def_.name))
            tables.extend(i.table for i in (idx, child) if i is not None)
        else:
            eff.kind = f"ALTER INDEX {sub.removeprefix('AT_')}"
    eff.lock(index, mode, relkind="index", new=ctx.is_new(index), reason=eff.kind)
    for t in tables:
        ctx.lock(eff, t, M.AccessShareLock, "table of the index", recurse=False)
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
    since = _SINCE.get(sub)
    if since is not None:
        label = SIMPLE[sub][0] if sub in SIMPLE else _SINCE_LABELS.get(sub, sub.removeprefix("AT_"))
        ctx.requires(eff, since, label)
    if sub == "AT_AlterConstraint":
        return constraints.alter_constraint(cmd, name, table, ctx, eff)
    if sub in SIMPLE:
        label, mode = SIMPLE[sub]
        if sub == "AT_DropNotNull":
            eff.cause("compat:drop-not-null", name, column=cmd.name)
        seq = nextval_sequence(cmd.def_) if sub == "AT_ColumnDefault" else None
        if seq is not None and ctx.version >= 18:
            # 18 opens the sequence the new default names (15, 16 and 17 do not).
            ctx.lock_sequence(eff, seq, M.AccessShareLock, "named by the new default")
        if sub == "AT_AddInherit" and cmd.def_ is not None:
            ctx.lock(eff, qname(cmd.def_), M.ShareUpdateExclusiveLock, "new parent", recurse=False)
        if sub == "AT_DropInherit" and cmd.def_ is not None:
            # ATExecDropInherit opens the parent with ACCESS SHARE: it is not modified.
            ctx.lock(eff, qname(cmd.def_), M.AccessShareLock, "former parent", recurse=False)
        return label, mode
    if sub == "AT_AddColumn" or sub == "AT_AddColumnToView":
        return alter_column.add_column(cmd, name, table, ctx, eff, recurse)
    if sub == "AT_DropColumn":
        return alter_column.drop_column(cmd, name, table, ctx, eff)
    if sub == "AT_AlterColumnType":
        return alter_column.alter_type(cmd, name, table, ctx, eff, recurse)
    if sub == "AT_SetNotNull":
        return alter_column.set_not_null(cmd, name, table, ctx, eff, recurse)
    if sub in ("AT_AddIdentity", "AT_SetIdentity", "AT_DropIdentity"):
        return alter_column.identity(sub, cmd, name, table, ctx, eff)
    if sub == "AT_SetExpression":
        alter_column.set_expression(cmd, name, ctx, eff, recurse)
        return "ALTER COLUMN SET EXPRESSION", M.AccessExclusiveLock
    if sub in ("AT_AddConstraint", "AT_AddIndexConstraint", "AT_AddIndex"):
        return constraints.add_constraint(cmd.def_, name, table, ctx, eff, recurse)
    if sub == "AT_ValidateConstraint":
        return constraints.validate(cmd, name, table, ctx, eff, recurse)
    if sub == "AT_DropConstraint":
        return constraints.drop_constraint(cmd, name, table, ctx, eff)
    if sub == "AT_AttachPartition":
        return constraints.attach(cmd, name, table, ctx, eff)
    if sub == "AT_DetachPartition":
        return constraints.detach(cmd, name, table, ctx, eff)
    if sub == "AT_DetachPartitionFinalize":
        return constraints.finalize(cmd, name, ctx, eff)
    if sub in ("AT_SetTableSpace", "AT_SetLogged", "AT_SetUnLogged", "AT_SetAccessMethod"):
        return _move(sub, cmd, name, table, eff)
    if sub in ("AT_SetRelOptions", "AT_ResetRelOptions", "AT_ReplaceRelOptions"):
        return "SET (storage parameter)", _reloption_mode(cmd)
    eff.unknown = True
    eff.note = f"ALTER TABLE subcommand {sub} is not modelled"
    return sub.removeprefix("AT_"), M.AccessExclusiveLock


def _move(
    sub: str, cmd: Any, name: QualifiedName, table: Table | None, eff: Effect
) -> tuple[str, M]:
    """SET TABLESPACE / LOGGED / UNLOGGED / ACCESS METHOD copy the table into new storage, unless
    it already has that property: then tablespace.c/tablecmds.c return early (no rewrite).
    A partitioned table has no storage: only the default for future partitions changes."""
    label = {
        "AT_SetTableSpace": "SET TABLESPACE",
        "AT_SetLogged": "SET LOGGED",
        "AT_SetUnLogged": "SET UNLOGGED",
        "AT_SetAccessMethod": "SET ACCESS METHOD",
    }[sub]
    code = {
        "AT_SetTableSpace": "rewrite:set-tablespace",
        "AT_SetLogged": "rewrite:set-logged",
        "AT_SetUnLogged": "rewrite:set-logged",
        "AT_SetAccessMethod": "rewrite:set-access-method",
    }[sub]
    if table is not None and (table.kind == "partitioned" or _already(sub, cmd, table)):
        eff.note = f"{label}: {name} already has it (or has no storage): no rewrite"
        return label, M.AccessExclusiveLock
    eff.rewrite(name, code, f"{label} copies the table into new storage")
    return label, M.AccessExclusiveLock


def _already(sub: str, cmd: Any, table: Table) -> bool:
    if sub == "AT_SetLogged":
        return not table.unlogged
    if sub == "AT_SetUnLogged":
        return table.unlogged
    if sub == "AT_SetAccessMethod":
        # NULL name: SET ACCESS METHOD DEFAULT (PG 17), i.e. default_table_access_method.
        return (cmd.name or "heap") == (table.access_method or "heap")
    # pg_default is where a table without a TABLESPACE clause lives, unless the database's
    # default tablespace is another one (then the move is real; pgwarden cannot see that).
    return (cmd.name or "") == (table.tablespace or "pg_default")
