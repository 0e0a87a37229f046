"""Maintenance, triggers, policies, comments, grants, types, sequences and statements that lock
nothing: everything outside ALTER TABLE, CREATE/DROP and DML."""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context, handles
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.sql.nodes import cte_names, enum_name, list_qname, qname, range_vars


@handles("VacuumStmt")
def vacuum(node: Any, ctx: Context) -> Effect:
    """VACUUM [FULL] and ANALYZE: each table in the list, each partition of a partitioned one,
    and from PostgreSQL 18 the inheritance children of a parent too unless ONLY is written
    (before 18 ANALYZE only read them, for the parent's inheritance statistics)."""
    opts = {(d.defname or "").lower() for d in node.options or ()}
    rels = [r.relation for r in node.rels or () if r.relation is not None]
    full = node.is_vacuumcmd and "full" in opts
    if not node.is_vacuumcmd:
        eff = Effect(kind="ANALYZE")
    elif full:
        eff = Effect(kind="VACUUM FULL", transactional=False)
    else:
        eff = Effect(kind="VACUUM", transactional=False)
    mode = M.AccessExclusiveLock if full else M.ShareUpdateExclusiveLock
    reason = "VACUUM FULL rewrites the table" if full else eff.kind
    # https://postgr.es/m/E1ssyeq-000e41-ON@gemulon.postgresql.org (ONLY; children, 18)
    since18 = ctx.version >= 18
    for rv in rels:
        n = qname(rv)
        only = since18 and not rv.inh
        ctx.lock(eff, n, mode, reason, recurse=not only, children=since18)
        tree = [n] if only else [n, *ctx.each_partition(n)]
        if since18 and not only:
            tree = ctx.each_partition_tree(n)
        elif not node.is_vacuumcmd or "analyze" in opts:
            # What ANALYZE (or VACUUM's ANALYZE pass) does not analyze itself it still samples
            # for the parent's statistics: inheritance children before 18, partitions with
            # ONLY.
            t = ctx.table(n)
            sampled = ctx.each_partition_tree(n)[1:] if only else (t.children if t else [])
            for child in sampled:
                ctx.lock(eff, child, M.AccessShareLock, "sampled for the parent's statistics")
        if full:
            eff.rewrite(n, "rewrite:vacuum-full", "VACUUM FULL copies the table into new storage")
            for part in tree[1:]:
                if part not in eff.rewrites:
                    eff.rewrites.append(part)
        elif node.is_vacuumcmd:
            eff.scan(n)
    if not rels:
        # Without a list: every table (and materialized view) of the database, in turn.
        for t in list(ctx.catalog.tables.values()):
            if t.kind in ("table", "partitioned", "matview"):
                ctx.lock(eff, t.name, mode, f"{eff.kind} of every table", recurse=False)
        if full:
            eff.cause("rewrite:vacuum-full", None, "every table in the database")
    return eff


@handles("ClusterStmt")
def cluster(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="CLUSTER")
    if node.relation is None:
        eff.transactional = False
        eff.cause("rewrite:cluster", None, "every previously clustered table")
        return eff
    name = qname(node.relation)
    ctx.lock(eff, name, M.AccessExclusiveLock, "CLUSTER rewrites the table in index order")
    t = ctx.table(name)
    if t is not None and t.kind == "partitioned":
        # 15+ clusters a partitioned table partition by partition, each in a transaction of
        # its own: the partitions are rewritten, the partitioned table has no storage.
        ctx.requires(eff, 15, "CLUSTER of a partitioned table")
        eff.transactional = False
        leaves = [p for p in ctx.each_partition_tree(name)[1:] if ctx.relkind(p) != "partitioned"]
    else:
        leaves = [name]
    for leaf in leaves:
        eff.rewrite(leaf, "rewrite:cluster", "CLUSTER copies the table into new storage")
        for i in ctx.catalog.indexes_of(leaf):
            eff.index_rebuilds.append(i.name)
    return eff


_COMMENT_ON_RELATION = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "matview",
    "OBJECT_INDEX": "index",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_FOREIGN_TABLE": "foreign",
}


@handles("CommentStmt", "SecLabelStmt")
def comment(node: Any, ctx: Context) -> Effect:
    what = "COMMENT" if type(node).__name__ == "CommentStmt" else "SECURITY LABEL"
    ot = enum_name(node.objtype)
    eff = Effect(kind=f"{what} ON {ot.removeprefix('OBJECT_').replace('_', ' ')}")
    obj = node.object
    # Comments take SHARE UPDATE EXCLUSIVE on the object they describe (or its table).
    if ot in _COMMENT_ON_RELATION:
        name = list_qname(obj)
        relkind = _COMMENT_ON_RELATION[ot]
        if relkind == "index":
            eff.lock(name, M.ShareUpdateExclusiveLock, relkind="index", new=ctx.is_new(name))
        else:
            ctx.lock(
                eff, name, M.ShareUpdateExclusiveLock, eff.kind, recurse=False, relkind=relkind
            )
    elif ot == "OBJECT_COLUMN":
        parts = [s.sval for s in obj]
        table = list_qname([_S(p) for p in parts[:-1]])
        ctx.lock(eff, table, M.ShareUpdateExclusiveLock, eff.kind, recurse=False)
    elif ot in ("OBJECT_TABCONSTRAINT", "OBJECT_TRIGGER", "OBJECT_POLICY", "OBJECT_RULE"):
        # get_object_address_relobject opens the table ACCESS SHARE and locks the described
        # object itself (an `object` lock, not a relation lock).
        parts = [s.sval for s in obj]
        table = list_qname([_S(p) for p in parts[:-1]])
        ctx.lock(eff, table, M.AccessShareLock, eff.kind, recurse=False)
    return eff


class _S:
    __slots__ = ("sval",)

    def __init__(self, s: str) -> None:
        self.sval = s


_GRANT_OBJECTS = frozenset({"OBJECT_TABLE", "OBJECT_SEQUENCE"})


@handles("GrantStmt")
def grant(node: Any, ctx: Context) -> Effect:
    """GRANT/REVOKE rewrite pg_class.relacl. Up to PostgreSQL 17 without a table lock; 18 takes
    ACCESS SHARE on each relation first (README.tuplock: a pg_class heap_update() caller
    locks the relation, so inplace updates such as VACUUM's cannot be lost; not back-patched:
    15.18 takes none)."""
    eff = Effect(kind="GRANT" if node.is_grant else "REVOKE")
    ot = enum_name(node.objtype)
    if ot not in _GRANT_OBJECTS or ctx.version < 18:
        return eff
    # ON ALL TABLES IN SCHEMA reads the relations from pg_class without locking them.
    names = [qname(rv) for rv in node.objects or () if type(rv).__name__ == "RangeVar"]
    for name in names:
        ctx.lock(eff, name, M.AccessShareLock, eff.kind, recurse=False)
    return eff


@handles("CreateTrigStmt")
def create_trigger(node: Any, ctx: Context) -> Effect:
    name = qname(node.relation)
    eff = Effect(kind="CREATE TRIGGER" if not node.replace else "CREATE OR REPLACE TRIGGER")
    if node.replace:
        ctx.requires(eff, 14, "CREATE OR REPLACE TRIGGER")
    mode = M.ShareRowExclusiveLock
    # A row-level trigger on a partitioned table is cloned onto each partition; a statement
    # trigger is not, nor does any trigger reach inheritance children.
    ctx.lock(
        eff, name, mode, "CREATE TRIGGER blocks writes", recurse=bool(node.row), children=False
    )
    if node.isconstraint and node.constrrel is not None:
        ctx.lock(
            eff, qname(node.constrrel), M.AccessShareLock, "constraint trigger's referenced table"
        )
    eff.cause("create-trigger", name, node.trigname or "")
    return eff


@handles("CreatePolicyStmt", "AlterPolicyStmt")
def policy(node: Any, ctx: Context) -> Effect:
    name = qname(node.table)
    kind = "CREATE POLICY" if type(node).__name__ == "CreatePolicyStmt" else "ALTER POLICY"
    eff = Effect(kind=kind)
    ctx.lock(eff, name, M.AccessExclusiveLock, kind, recurse=False)
    # Tables the USING / WITH CHECK expressions read are opened to analyse them.
    for expr in (node.qual, node.with_check):
        ctes = cte_names(expr) if expr is not None else set()
        for rv in range_vars(expr) if expr is not None else ():
            if rv.schemaname is None and rv.relname in ctes:
                continue
            ctx.lock(eff, qname(rv), M.AccessShareLock, "read by the policy", recurse=False)
    return eff


@handles("RuleStmt")
def rule(node: Any, ctx: Context) -> Effect:
    from pgwarden.locks.dml import opened_by_analysis

    eff = Effect(kind="CREATE RULE")
    ctx.lock(eff, qname(node.relation), M.AccessExclusiveLock, "CREATE RULE", recurse=False)
    for action in node.actions or ():  # analysed like a prepared statement
        opened_by_analysis(action, ctx, eff)
    return eff


@handles("AlterEnumStmt")
def alter_enum(node: Any, ctx: Context) -> Effect:
    if node.oldVal:
        return Effect(kind="ALTER TYPE ... RENAME VALUE")
    eff = Effect(kind="ALTER TYPE ... ADD VALUE")
    # Before PostgreSQL 12 ADD VALUE cannot run inside a transaction block; since 12 it can, but
    # the new value cannot be used until the transaction commits.
    if ctx.version < 12:
        eff.transactional = False
    eff.cause("enum-add-value", None, node.newVal or "")
    if not node.newValNeighbor:
        eff.cause("enum-add-value:unordered", None, node.newVal or "")
    return eff


@handles("AlterSeqStmt")
def alter_sequence(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="ALTER SEQUENCE")
    name = qname(node.sequence)
    ctx.lock_sequence(eff, name, M.ShareRowExclusiveLock, "")
    _owned_by(node, ctx, eff)
    return eff


@handles("CreateStatsStmt")
def create_statistics(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="CREATE STATISTICS")
    for rel in node.relations or ():
        if type(rel).__name__ == "RangeVar":
            ctx.lock(
                eff, qname(rel), M.ShareUpdateExclusiveLock, "CREATE STATISTICS", recurse=False
            )
    return eff


@handles("CreatePublicationStmt", "AlterPublicationStmt")
def publication(node: Any, ctx: Context) -> Effect:
    eff = Effect(
        kind="CREATE PUBLICATION"
        if type(node).__name__ == "CreatePublicationStmt"
        else "ALTER PUBLICATION"
    )
    for obj in node.pubobjects or ():
        pt = getattr(obj, "pubtable", None)
        if pt is not None and pt.relation is not None:
            ctx.lock(eff, qname(pt.relation), M.ShareUpdateExclusiveLock, eff.kind, recurse=False)
    return eff


@handles("AlterDomainStmt")
def alter_domain(node: Any, ctx: Context) -> Effect:
    dom = list_qname(node.typeName)
    eff = Effect(kind="ALTER DOMAIN")
    if node.subtype == "C":
        eff.kind = "ALTER DOMAIN ADD CONSTRAINT"
        not_valid = bool(node.def_ is not None and node.def_.skip_validation)
        eff.cause("domain-constraint", None, str(dom))
        if not not_valid:
            _domain_columns_checked(ctx, eff, dom)
    elif node.subtype == "V":
        # validateDomainConstraint: every column of the domain is checked under SHARE.
        eff.kind = "ALTER DOMAIN VALIDATE CONSTRAINT"
        _domain_columns_checked(ctx, eff, dom)
    elif node.subtype == "O":  # SET NOT NULL: every column of the domain is checked too
        eff.kind = "ALTER DOMAIN SET NOT NULL"
        _domain_columns_checked(ctx, eff, dom)
    elif node.subtype in ("N", "T"):
        eff.kind = (
            "ALTER DOMAIN DROP NOT NULL" if node.subtype == "N" else "ALTER DOMAIN SET DEFAULT"
        )
    return eff


def _domain_columns_checked(ctx: Context, eff: Effect, dom: QualifiedName) -> None:
    for t in ctx.catalog.tables.values():
        if any(c.type_name == dom.name for c in t.columns.values()):
            ctx.lock(
                eff, t.name, M.ShareLock, f"columns of domain {dom} are checked", recurse=False
            )
            eff.scan(t.name)


@handles("CreateDomainStmt")
def create_domain(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="CREATE DOMAIN")
    if any(enum_name(c.contype) == "CONSTR_CHECK" for c in node.constraints or ()):
        eff.cause("domain-constraint", None, str(list_qname(node.domainname)))
    return eff


@handles("CreateEnumStmt")
def create_enum(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="CREATE TYPE ... AS ENUM")
    eff.cause("create-enum", None, str(list_qname(node.typeName)))
    return eff


@handles("CreateSeqStmt")
def create_sequence(node: Any, ctx: Context) -> Effect:
    eff = Effect(kind="CREATE SEQUENCE")
    _owned_by(node, ctx, eff)
    return eff


def _owned_by(node: Any, ctx: Context, eff: Effect) -> None:
    """OWNED BY table.column opens the table (ACCESS SHARE) to check the column."""
    for opt in node.options or ():
        if opt.defname == "owned_by" and opt.arg and len(opt.arg) >= 2:
            *tbl, _col = [getattr(x, "sval", "") for x in opt.arg]
            if tbl != ["none"]:
                owner = QualifiedName(tbl[-2] if len(tbl) > 1 else "public", tbl[-1])
                ctx.lock(eff, owner, M.AccessShareLock, "OWNED BY checks the column", recurse=False)


@handles("DoStmt", "CallStmt")
def opaque(node: Any, ctx: Context) -> Effect:
    kind = "DO block" if type(node).__name__ == "DoStmt" else "CALL"
    return Effect(
        kind=kind,
        unknown=True,
        note=f"a {kind} runs arbitrary code: its locks cannot be known statically",
    )


# ALTER EXTENSION ... ADD/DROP of a relation: membership only, with the relation opened
# SHARE UPDATE EXCLUSIVE like other catalog-only changes to it.
_MEMBER_RELATIONS = {
    "OBJECT_TABLE": "table",
    "OBJECT_VIEW": "view",
    "OBJECT_MATVIEW": "matview",
    "OBJECT_SEQUENCE": "sequence",
    "OBJECT_FOREIGN_TABLE": "foreign table",
}


@handles("AlterExtensionContentsStmt")
def alter_extension_contents(node: Any, ctx: Context) -> Effect:
    verb = "ADD" if node.action > 0 else "DROP"
    eff = Effect(kind=f"ALTER EXTENSION ... {verb}")
    what = _MEMBER_RELATIONS.get(enum_name(node.objtype))
    if what is not None:
        name = list_qname(node.object)
        reason = f"{what} {'added to' if verb == 'ADD' else 'dropped from'} an extension"
        ctx.lock(eff, name, M.ShareUpdateExclusiveLock, reason, recurse=False)
    return eff


@handles("TransactionStmt")
def transaction(node: Any, ctx: Context) -> Effect:
    return Effect(kind=enum_name(node.kind).removeprefix("TRANS_STMT_"))


# Statements that touch no table lock: catalog-only objects, settings, session commands.
_HARMLESS = {
    "VariableSetStmt": "SET",
    "VariableShowStmt": "SHOW",
    "CreateFunctionStmt": "CREATE FUNCTION",
    "AlterFunctionStmt": "ALTER FUNCTION",
    "CreateSchemaStmt": "CREATE SCHEMA",
    "CreateExtensionStmt": "CREATE EXTENSION",
    "AlterExtensionStmt": "ALTER EXTENSION",
    "CompositeTypeStmt": "CREATE TYPE",
    "DefineStmt": "CREATE (type/aggregate/operator/collation)",
    "CreateRangeStmt": "CREATE TYPE ... AS RANGE",
    "AlterOwnerStmt": "ALTER ... OWNER TO",
    "CreateRoleStmt": "CREATE ROLE",
    "AlterRoleStmt": "ALTER ROLE",
    "AlterRoleSetStmt": "ALTER ROLE SET",
    "DropRoleStmt": "DROP ROLE",
    "GrantRoleStmt": "GRANT role",
    "AlterDefaultPrivilegesStmt": "ALTER DEFAULT PRIVILEGES",
    "CreateCastStmt": "CREATE CAST",
    "CreateEventTrigStmt": "CREATE EVENT TRIGGER",
    "NotifyStmt": "NOTIFY",
    "ListenStmt": "LISTEN",
    "DiscardStmt": "DISCARD",
    "CheckPointStmt": "CHECKPOINT",
    "CreateFdwStmt": "CREATE FOREIGN DATA WRAPPER",
    "CreateForeignServerStmt": "CREATE SERVER",
    "CreateUserMappingStmt": "CREATE USER MAPPING",
    "CreateConversionStmt": "CREATE CONVERSION",
    "CreateOpClassStmt": "CREATE OPERATOR CLASS",
    "CreateOpFamilyStmt": "CREATE OPERATOR FAMILY",
    "CreateTransformStmt": "CREATE TRANSFORM",
    "CreatePLangStmt": "CREATE LANGUAGE",
    "AlterTSConfigurationStmt": "ALTER TEXT SEARCH CONFIGURATION",
    "AlterTSDictionaryStmt": "ALTER TEXT SEARCH DICTIONARY",
    "CreateAmStmt": "CREATE ACCESS METHOD",
    "AlterTypeStmt": "ALTER TYPE SET",
    "AlterCollationStmt": "ALTER COLLATION",
    "AlterDatabaseSetStmt": "ALTER DATABASE SET",
    "AlterSystemStmt": "ALTER SYSTEM",
    "DeallocateStmt": "DEALLOCATE",
    "DeclareCursorStmt": "DECLARE",
    "ClosePortalStmt": "CLOSE",
    "FetchStmt": "FETCH",
    "ConstraintsSetStmt": "SET CONSTRAINTS",
    "VariableResetStmt": "RESET",
    "LoadStmt": "LOAD",
    "AlterObjectDependsStmt": "ALTER ... DEPENDS ON EXTENSION",
    "AlterEventTrigStmt": "ALTER EVENT TRIGGER",
    "AlterOperatorStmt": "ALTER OPERATOR",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
    "AlterSubscriptionStmt": "ALTER SUBSCRIPTION",
    "DropSubscriptionStmt": "DROP SUBSCRIPTION",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "CreatedbStmt": "CREATE DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterDatabaseStmt": "ALTER DATABASE",
}


def _harmless(node: Any, ctx: Context) -> Effect:
    kind = type(node).__name__
    eff = Effect(kind=_HARMLESS[kind])
    if kind in ("CreatedbStmt", "DropdbStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt"):
        eff.transactional = False
    if kind == "DropdbStmt":
        eff.cause("compat:drop-database", None, node.dbname or "")
    return eff


for _kind in _HARMLESS:
    handles(_kind)(_harmless)


def _qn(schema: str, name: str) -> QualifiedName:
    return QualifiedName(schema, name)
