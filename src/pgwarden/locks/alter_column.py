"""ALTER TABLE column subcommands: ADD/DROP COLUMN, TYPE, SET NOT NULL, identity, expressions.

Called by alter_table.py, which takes the table lock; these functions add what the subcommand
does besides: rewrites and scans (of every partition when the command recurses), and locks on
other relations (foreign-key partners, owned sequences).
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog import QualifiedName, Table
from pgwarden.locks.constraints import add_constraint
from pgwarden.locks.context import Context
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M
from pgwarden.locks.typechange import rewrite_reason
from pgwarden.locks.volatility import default_volatility
from pgwarden.sql.nodes import enum_name, list_qname, nextval_sequence, type_label, type_name

SERIAL_TYPES = frozenset({"serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"})


def add_column(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect, recurse: bool
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
    for c in col.constraints or ():
        ct = enum_name(c.contype)
        if ct == "CONSTR_IDENTITY":
            ctx.rewrite(
                eff,
                name,
                "rewrite:identity",
                "an identity column fills every row from a sequence",
                colname,
                recurse=recurse,
            )
        elif ct == "CONSTR_GENERATED":
            if c.generated_kind == "v":  # PG 18 virtual generated columns store nothing
                ctx.requires(eff, 18, "a VIRTUAL generated column")
            else:
                ctx.rewrite(
                    eff,
                    name,
                    "rewrite:generated-stored",
                    "a stored generated column is computed for every row",
                    colname,
                    recurse=recurse,
                )
        elif ct in (
            "CONSTR_PRIMARY",
            "CONSTR_UNIQUE",
            "CONSTR_EXCLUSION",
            "CONSTR_CHECK",
            "CONSTR_FOREIGN",
        ):
            # A foreign key on a new column has nothing to check unless a default fills it
            # (tablecmds.c skips the validation of a new all-NULL column).
            add_constraint(c, name, table, ctx, eff, recurse, column=colname, empty=default is None)
    if tname in SERIAL_TYPES:
        ctx.rewrite(
            eff,
            name,
            "rewrite:serial",
            "a serial column fills every row from nextval()",
            colname,
            recurse=recurse,
        )
        not_null = True
    elif default is not None:
        vol, fn = default_volatility(default)
        if ctx.version < 11:
            ctx.rewrite(
                eff,
                name,
                "rewrite:default-pre11",
                "any default rewrites before PostgreSQL 11",
                colname,
                recurse=recurse,
            )
        elif vol == "volatile":
            ctx.rewrite(
                eff,
                name,
                "rewrite:volatile-default",
                f"{fn}() is volatile: evaluated per row",
                colname,
                recurse=recurse,
            )
            if (seq := nextval_sequence(default)) is not None:
                ctx.lock_sequence(
                    eff,
                    seq,
                    M.RowExclusiveLock,
                    f"nextval() fills {name}.{colname} in every row",
                    per_row=True,
                )
        elif vol == "unknown":
            ctx.rewrite(
                eff,
                name,
                "rewrite:volatile-default",
                f"{fn}() may be volatile (evaluated per row) unless it is STABLE/IMMUTABLE",
                colname,
                recurse=recurse,
            )
    elif not_null:
        ctx.scan(eff, name, recurse=recurse)
    dom = ctx.catalog.domains.get(list_qname(col.typeName.names or ()))
    if dom and name not in eff.rewrites:
        ctx.rewrite(
            eff,
            name,
            "rewrite:domain-constraint",
            "a domain with constraints is checked per row",
            colname,
            recurse=recurse,
        )
    self_filling = tname in SERIAL_TYPES or any(
        enum_name(c.contype) in ("CONSTR_IDENTITY", "CONSTR_GENERATED")
        for c in col.constraints or ()
    )
    if not_null and default is None and not self_filling:
        eff.cause("compat:required-column", name, column=colname)
    eff.cause("add-column", name, type_label(tname, mods, array), colname)
    return "ADD COLUMN", M.AccessExclusiveLock


def drop_column(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    """Dropping a column drops what depends on it: its foreign keys (whose triggers live on the
    referenced table too), with CASCADE the foreign keys pointing at it, its owned sequence."""
    colname = cmd.name
    eff.cause("compat:drop-column", name, column=colname)
    if table is None:
        return "DROP COLUMN", M.AccessExclusiveLock
    for fk in table.foreign_keys():
        if colname in fk.columns and fk.references is not None and fk.references != name:
            ctx.lock(
                eff,
                fk.references,
                M.AccessExclusiveLock,
                f"foreign key {fk.name} is dropped with the column",
                recurse=False,
            )
    col = table.columns.get(colname)
    if col is not None and col.sequence is not None:
        ctx.lock_sequence(eff, col.sequence, M.AccessExclusiveLock, "owned sequence is dropped")
    if enum_name(cmd.behavior) == "DROP_CASCADE":
        for view in ctx.catalog.views_using_column(name, colname):
            ctx.lock(
                eff,
                view,
                M.AccessExclusiveLock,
                f"uses {name}.{colname}: dropped with it (CASCADE)",
                recurse=False,
            )
        for other, fk in ctx.keys_on_column(name, colname):
            ctx.lock_key_holder(
                eff,
                other.name,
                M.AccessExclusiveLock,
                f"its foreign key {fk.name} is dropped (CASCADE)",
            )
    return "DROP COLUMN", M.AccessExclusiveLock


def identity(
    sub: str, cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect
) -> tuple[str, M]:
    """SET GENERATED/sequence options alter the identity sequence (ALTER SEQUENCE takes SHARE
    ROW EXCLUSIVE on it); DROP IDENTITY drops it."""
    col = table.columns.get(cmd.name) if table else None
    seq = col.sequence if col is not None else None
    if sub == "AT_AddIdentity":
        return "ALTER COLUMN ADD GENERATED AS IDENTITY", M.AccessExclusiveLock
    if sub == "AT_SetIdentity":
        if seq is not None:
            ctx.lock_sequence(eff, seq, M.ShareRowExclusiveLock, "identity sequence altered")
        return "ALTER COLUMN SET GENERATED/sequence option", M.AccessExclusiveLock
    if seq is not None:
        ctx.lock_sequence(eff, seq, M.AccessExclusiveLock, "identity sequence dropped")
    return "ALTER COLUMN DROP IDENTITY", M.AccessExclusiveLock


def set_not_null(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect, recurse: bool
) -> tuple[str, M]:
    col = cmd.name
    # PostgreSQL 12+ skips the scan when a valid CHECK (col IS NOT NULL) proves it
    # (ALTER TABLE docs, SET/DROP NOT NULL).
    if table is not None and table.has_valid_not_null_check(col) and ctx.version >= 12:
        eff.cause("not-null:proven-by-check", name, column=col)
    else:
        ctx.scan(eff, name, recurse=recurse)
        eff.cause("scan:set-not-null", name, f"checks every row of {name} for NULLs", col)
    return "ALTER COLUMN SET NOT NULL", M.AccessExclusiveLock


def alter_type(
    cmd: Any, name: QualifiedName, table: Table | None, ctx: Context, eff: Effect, recurse: bool
) -> tuple[str, M]:
    colname = cmd.name
    new, new_mods, new_array = type_name(cmd.def_.typeName)
    col = table.columns.get(colname) if table else None
    eff.cause("compat:type-change", name, type_label(new, new_mods, new_array), colname)
    if col is None:
        ctx.rewrite(
            eff,
            name,
            "rewrite:type-change",
            f"type of {colname} unknown to pgwarden: assume the change to "
            f"{type_label(new, new_mods)} rewrites",
            colname,
            recurse=recurse,
        )
        return "ALTER COLUMN TYPE", M.AccessExclusiveLock
    using = cmd.def_.raw_default
    reason = rewrite_reason(
        col.type_name,
        col.typmods,
        new,
        new_mods,
        has_using=using is not None and not _trivial_using(using, colname, new, new_mods),
        version=ctx.version,
        timezone=ctx.setting("timezone"),
    )
    base = ctx.catalog.domain_bases.get(QualifiedName("public", col.type_name))
    if reason is not None and base == (new, new_mods) and using is None and not new_array:
        reason = None  # a domain to its own base type: a relabel, no check, no rewrite
    if col.array != new_array and reason is None:
        reason = "array-ness changes"
    dom = ctx.catalog.domains.get(list_qname(cmd.def_.typeName.names or ()))
    if dom and reason is None:
        reason = "a domain with constraints is checked per row"
    if reason is not None:
        ctx.rewrite(
            eff,
            name,
            "rewrite:type-change",
            f"{type_label(col.type_name, col.typmods)} -> {type_label(new, new_mods)}: {reason}",
            colname,
            recurse=recurse,
        )
        for idx in ctx.catalog.indexes_of(name):
            eff.index_rebuilds.append(idx.name)
    elif cmd.def_.collClause is not None:
        # A new collation keeps the storage but not the order: each index on the column is
        # built again, reading the table.
        rebuilt = [i.name for i in ctx.catalog.indexes_of(name) if colname in i.columns]
        eff.index_rebuilds.extend(rebuilt)
        if rebuilt:
            ctx.scan(eff, name, recurse=recurse, children=False)
    _foreign_keys_rebuilt(ctx, eff, name, table, colname, revalidate=reason is not None)
    return "ALTER COLUMN TYPE", M.AccessExclusiveLock


def _foreign_keys_rebuilt(
    ctx: Context,
    eff: Effect,
    name: QualifiedName,
    table: Table | None,
    colname: str,
    revalidate: bool,
) -> None:
    """The foreign keys on either side of the column are dropped and added again
    (ATPostAlterTypeCleanup): the other table is locked ACCESS EXCLUSIVE, and when the type
    really changes (here: when it rewrites) the key is validated again, reading the
    referencing rows (and, as for ADD FOREIGN KEY, the referenced table)."""
    for fk in table.foreign_keys() if table is not None else ():
        if colname in fk.columns and fk.references is not None and fk.references != name:
            ctx.lock(
                eff,
                fk.references,
                M.AccessExclusiveLock,
                f"foreign key {fk.name} on {name}.{colname} is added again",
                recurse=False,
            )
            if revalidate:
                eff.scan(fk.references)
                eff.cause("validate:foreign-key", name, str(fk.references), colname)
    for other, fk in ctx.keys_on_column(name, colname):
        ctx.lock_key_holder(
            eff,
            other.name,
            M.AccessExclusiveLock,
            f"its foreign key {fk.name} to {name}.{colname} is added again",
            scan=revalidate,
        )
        if revalidate:
            eff.cause("validate:foreign-key", other.name, str(name), colname)


def _trivial_using(expr: Any, colname: str, new: str, new_mods: tuple[int, ...]) -> bool:
    """`USING col`, or `USING col::newtype` as Django writes it, is the implicit conversion, so
    the binary-coercion rules still apply; a cast to another type, or any other expression, is
    evaluated per row (ATColumnChangeRequiresRewrite sees a function call)."""
    if type(expr).__name__ == "TypeCast":
        cast, cast_mods, _ = type_name(expr.typeName)
        if (cast, cast_mods) != (new, new_mods):
            return False
        expr = expr.arg
    fields: Any = getattr(expr, "fields", None)
    return bool(fields) and getattr(fields[-1], "sval", None) == colname


def set_expression(cmd: Any, name: QualifiedName, ctx: Context, eff: Effect, recurse: bool) -> None:
    ctx.rewrite(
        eff,
        name,
        "rewrite:set-expression",
        "recomputes the generated column",
        cmd.name,
        recurse=recurse,
    )
