"""ALTER TABLE constraint and partition subcommands: ADD/VALIDATE/DROP CONSTRAINT, ATTACH/DETACH.

A constraint added with validation reads the whole table (every partition); a foreign key also
locks the referenced table (SHARE ROW EXCLUSIVE: its triggers are created there) and its
validation query reads it. ATTACH PARTITION scans the new partition unless its constraints
prove the partition bound (PartConstraintImpliedByRelConstraint in tablecmds.c).
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName, Table
from pgwarden.locks.context import Context
from pgwarden.locks.effects import Effect
from pgwarden.locks.implication import bound_implied
from pgwarden.locks.modes import LockMode as M
from pgwarden.locks.partition_keys import partition_keys
from pgwarden.sql.nodes import enum_name, qname


def add_constraint(
    con: Any,
    name: QualifiedName,
    table: Table | None,
    ctx: Context,
    eff: Effect,
    recurse: bool,
    column: str | None = None,
    empty: bool = False,
) -> tuple[str, M]:
    """`column`: the constraint comes with ADD COLUMN; `empty`: that column is all NULL."""
    ct = enum_name(con.contype)
    not_valid = bool(con.skip_validation)
    new_table = ctx.is_new(name)
    if ct == "CONSTR_FOREIGN":
        ref = qname(con.pktable)
        ctx.lock(eff, ref, M.ShareRowExclusiveLock, f"referenced by a new foreign key on {name}")
        if not_valid and table is not None and table.kind == "partitioned":
            ctx.requires(eff, 18, "NOT VALID foreign key on a partitioned table")
        if not_valid:
            eff.cause("not-valid:foreign-key", name, str(ref), column)
        elif not empty:
            ctx.scan(eff, name, recurse=recurse, children=False)  # keys are not inherited
            eff.scan(ref)  # the validation query joins every row to the referenced table
            eff.cause("validate:foreign-key", name, str(ref), column)
        eff.cause("foreign-key", name, str(ref), column)
        return (
            "ADD FOREIGN KEY",
            M.ShareRowExclusiveLock if column is None else M.AccessExclusiveLock,
        )
    if ct == "CONSTR_CHECK":
        if not not_valid:
            ctx.scan(eff, name, recurse=recurse)
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
                    ctx.scan(eff, name, recurse=recurse)
                    eff.cause(
                        "scan:set-not-null", name, "PRIMARY KEY USING INDEX sets NOT NULL", None
                    )
            return f"ADD {label} USING INDEX", M.AccessExclusiveLock
        # The index is built on the table and its partitions; a primary key also sets NOT
        # NULL on inheritance children, reading them.
        ctx.scan(eff, name, recurse=recurse, children=ct == "CONSTR_PRIMARY")
        eff.cause("index-build:constraint", name, label, column)
        if ct == "CONSTR_PRIMARY" and table is not None:
            for key in con.keys or ():
                c = table.columns.get(key.sval)
                if c is not None and not c.not_null and not new_table:
                    eff.cause("scan:set-not-null", name, "PRIMARY KEY sets NOT NULL", key.sval)
        return f"ADD {label}", M.AccessExclusiveLock
    if ct == "CONSTR_EXCLUSION":
        ctx.scan(eff, name, recurse=recurse, children=False)
        eff.cause("index-build:constraint", name, "EXCLUDE", column)
        eff.cause("exclusion-constraint", name, "", column)
        return "ADD EXCLUDE", M.AccessExclusiveLock
    if ct == "CONSTR_NOTNULL":
        # PostgreSQL 18 accepts NOT NULL constraints NOT VALID: no scan until VALIDATE.
        # https://www.postgresql.org/docs/18/sql-altertable.html
        if not_valid and ctx.requires(eff, 18, "NOT NULL ... NOT VALID"):
            eff.cause("not-valid:not-null", name, con.conname or "", column)
            return "ADD NOT NULL NOT VALID", M.AccessExclusiveLock
        ctx.scan(eff, name, recurse=recurse)
        eff.cause("scan:set-not-null", name, "", column)
        return "ADD NOT NULL", M.AccessExclusiveLock
    return f"ADD CONSTRAINT ({ct})", M.AccessExclusiveLock


def validate(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect, recurse: bool
) -> tuple[str, M]:
    ctx.scan(eff, name, recurse=recurse)
    con = table.constraints.get(cmd.name) if table else None
    eff.cause("validate", name, cmd.name or "")
    if con is not None and con.kind == "foreign_key" and con.references:
        # The validation query reads the referenced table FOR KEY SHARE: ROW SHARE.
        ctx.lock(eff, con.references, M.RowShareLock, "referenced by the validated foreign key")
        eff.scan(con.references)
    return "VALIDATE CONSTRAINT", M.ShareUpdateExclusiveLock


def alter_constraint(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    """Deferrability changes update the constraint's triggers without locking the other table.
    PostgreSQL 18's NOT ENFORCED drops a foreign key's triggers on the referenced table too
    (ACCESS EXCLUSIVE there, as DROP CONSTRAINT); ENFORCED creates them (SHARE ROW EXCLUSIVE,
    as ADD FOREIGN KEY) and validates the rows."""
    d = cmd.def_
    con = table.constraints.get(d.conname) if table is not None and d is not None else None
    enforceability = bool(getattr(d, "alterEnforceability", False))
    if enforceability and ctx.requires(eff, 18, "ALTER CONSTRAINT [NOT] ENFORCED"):
        if con is not None and con.kind == "foreign_key" and con.references is not None:
            mode = M.ShareRowExclusiveLock if d.is_enforced else M.AccessExclusiveLock
            ctx.lock(eff, con.references, mode, "foreign-key triggers change", recurse=False)
            if d.is_enforced:
                eff.scan(con.references)
        if d.is_enforced:
            ctx.scan(eff, name)
            eff.cause("validate", name, d.conname or "")
    return "ALTER CONSTRAINT", M.AccessExclusiveLock


def drop_constraint(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    """A foreign key's triggers live on both tables; dropping a key other foreign keys use
    needs CASCADE and drops those foreign keys (and their triggers) too."""
    con = table.constraints.get(cmd.name) if table else None
    if con is not None:
        # What kind of guarantee goes (rules word it): `drop-constraint:foreign-key` names the
        # referenced table, the others the table itself; the detail is the constraint's name.
        kind = con.kind.replace("_", "-")
        on = con.references if con.kind == "foreign_key" and con.references else name
        eff.cause(f"drop-constraint:{kind}", on, cmd.name)
    if con is not None and con.kind == "foreign_key" and con.references:
        # The triggers live on each partition of a partitioned referenced table (even with ONLY).
        ctx.lock(eff, con.references, M.AccessExclusiveLock, "its foreign-key triggers are dropped")
    if (
        con is not None
        and con.kind in ("primary_key", "unique")
        and enum_name(cmd.behavior) == "DROP_CASCADE"
    ):
        for other, fk in ctx.catalog.referencing(name):
            refcols = fk.ref_columns or ctx.catalog.key_columns(name)
            if set(refcols) == set(con.columns) and other.name != name:
                ctx.lock_key_holder(
                    eff,
                    other.name,
                    M.AccessExclusiveLock,
                    f"its foreign key {fk.name} is dropped (CASCADE)",
                )
    eff.cause("drop-constraint", name, cmd.name or "")
    return "DROP CONSTRAINT", M.AccessExclusiveLock


def _default_partition(ctx: Context, table: Table | None) -> QualifiedName | None:
    for p in table.partitions if table is not None else ():
        t = ctx.table(p)
        if t is not None and t.default_partition:
            return p
    return None


def attach(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    part = qname(cmd.def_.name)
    bound = cmd.def_.bound
    # The attached table and, when it is partitioned itself, all of its partitions.
    ctx.lock(eff, part, M.AccessExclusiveLock, "partition being attached")
    part_table = ctx.table(part)
    if part_table is not None and table is not None and bound_implied(table, part_table, bound):
        eff.cause("attach-partition:proven-by-check", part, "its constraints prove the bound")
    else:
        ctx.scan(eff, part)
        eff.cause(
            "scan:attach-partition",
            part,
            f"checks every row of {part} against the bound unless its constraints prove it",
        )
    default = _default_partition(ctx, table)
    if default is not None and not (bound is not None and bound.is_default):
        # The default partition must not hold rows of the new bound: locked and scanned.
        ctx.lock(eff, default, M.AccessExclusiveLock, "default partition is re-checked")
        ctx.scan(eff, default)
    partition_keys(ctx, eff, name, part, "attach")
    # PostgreSQL 12 reduced ATTACH PARTITION to SHARE UPDATE EXCLUSIVE on the parent.
    return (
        "ATTACH PARTITION",
        M.ShareUpdateExclusiveLock if ctx.version >= 12 else M.AccessExclusiveLock,
    )


def detach(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    part = qname(cmd.def_.name)
    if cmd.def_.concurrent:
        # PostgreSQL 14+; runs in two transactions, so never inside a transaction block.
        ctx.requires(eff, 14, "DETACH PARTITION CONCURRENTLY")
        eff.transactional = False
        # First transaction: SHARE UPDATE EXCLUSIVE on parent and partition. The second one
        # finalises the detach holding ACCESS EXCLUSIVE on the partition (observed by
        # `pgwarden trace --self-check` on 15 and 18), so direct queries on it wait then.
        ctx.lock(eff, part, M.AccessExclusiveLock, "partition finalised in the second transaction")
        partition_keys(ctx, eff, name, part, "detach")
        return "DETACH PARTITION CONCURRENTLY", M.ShareUpdateExclusiveLock
    ctx.lock(eff, part, M.AccessExclusiveLock, "partition being detached")
    default = _default_partition(ctx, table)
    if default is not None and default != part:
        # Its partition constraint depends on the other bounds (ATExecDetachPartition).
        ctx.lock(eff, default, M.AccessExclusiveLock, "default partition's constraint changes")
    partition_keys(ctx, eff, name, part, "detach")
    eff.cause("detach-partition", name, str(part))
    return "DETACH PARTITION", M.AccessExclusiveLock


def finalize(cmd: Any, name: QualifiedName, ctx: Context, eff: Effect) -> tuple[str, M]:
    """Completes an interrupted DETACH CONCURRENTLY: the second transaction's work, run in
    one (DetachPartitionFinalize), so the partition is locked ACCESS EXCLUSIVE."""
    part = qname(cmd.def_.name)
    ctx.lock(eff, part, M.AccessExclusiveLock, "partition whose detach is finalised")
    partition_keys(ctx, eff, name, part, "finalize")
    return "DETACH PARTITION FINALIZE", M.ShareUpdateExclusiveLock
