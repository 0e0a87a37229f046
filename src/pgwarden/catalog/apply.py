"""Update the catalog after a statement, so later statements see the schema it produced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pgwarden.catalog.model import Catalog, Column, Constraint, Index, QualifiedName, Table
from pgwarden.sql.nodes import (
    cte_names,
    enum_name,
    list_qname,
    nextval_sequence,
    qname,
    range_vars,
    type_name,
)

Applier = Callable[[Any, Catalog, bool], None]
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial4", "serial8", "serial2"})
_UNNAMED = QualifiedName("", "")  # a serial column's sequence before its table is known
_APPLIERS: dict[str, Applier] = {}


def applies(*kinds: str) -> Callable[[Applier], Applier]:
    def deco(fn: Applier) -> Applier:
        for k in kinds:
            _APPLIERS[k] = fn
        return fn

    return deco


def apply_statement(node: Any, catalog: Catalog, new: bool) -> None:
    """Apply a statement's schema change; `new` marks created objects as created in this file.

    Unmodellable statements (INSERTs, DO blocks, functions) change nothing here: skipped, not fatal.
    """
    fn = _APPLIERS.get(type(node).__name__)
    if fn is not None:
        fn(node, catalog, new)


def _column(cd: Any) -> tuple[Column, list[Constraint]]:
    tname, mods, array = type_name(cd.typeName)
    col = Column(cd.colname, tname, mods, bool(cd.is_not_null), array=array)
    cons: list[Constraint] = []
    if tname in SERIAL_TYPES:
        col.type_name = {
            "serial": "int4",
            "serial4": "int4",
            "bigserial": "int8",
            "serial8": "int8",
        }.get(tname, "int2")
        col.not_null = True
        col.has_default = True
        col.sequence = _UNNAMED
    for c in cd.constraints or ():
        ct = enum_name(c.contype)
        if ct == "CONSTR_NOTNULL":
            col.not_null = True
        elif ct == "CONSTR_DEFAULT":
            col.has_default = True
            col.default_sequence = nextval_sequence(c.raw_expr)
        elif ct == "CONSTR_IDENTITY":
            col.identity = True
            col.not_null = True
        elif ct == "CONSTR_GENERATED":
            col.generated = True
        elif ct == "CONSTR_PRIMARY":
            col.not_null = True
            cons.append(_constraint(c, (cd.colname,)))
        else:
            cons.append(_constraint(c, (cd.colname,)))
    return col, cons


def _constraint(c: Any, columns: tuple[str, ...] = ()) -> Constraint:
    ct = enum_name(c.contype)
    kind = {
        "CONSTR_CHECK": "check",
        "CONSTR_FOREIGN": "foreign_key",
        "CONSTR_UNIQUE": "unique",
        "CONSTR_PRIMARY": "primary_key",
        "CONSTR_EXCLUSION": "exclusion",
        "CONSTR_NOTNULL": "not_null",
    }.get(ct, ct.lower())
    keys = tuple(k.sval for k in (c.keys or c.fk_attrs or ()) if hasattr(k, "sval")) or columns
    con = Constraint(c.conname or "", kind, not bool(c.skip_validation), keys)
    if kind == "foreign_key" and c.pktable is not None:
        con.references = qname(c.pktable)
    if kind == "check":
        con.not_null_column = _is_not_null_check(c.raw_expr)
    if kind == "foreign_key":
        con.ref_columns = tuple(k.sval for k in c.pk_attrs or () if hasattr(k, "sval"))
        con.on_delete = _action(c.fk_del_action)
        con.on_update = _action(c.fk_upd_action)
    if kind == "check":
        con.expr = c.raw_expr
    if c.indexname:
        con.index = c.indexname
    return con


def _action(code: Any) -> str:
    """pglast spells an unspecified action as NUL; PostgreSQL stores it as NO ACTION ('a')."""
    return code if isinstance(code, str) and code.strip("\x00") else "a"


def _own_sequences(cat: Catalog, t: Table, new: bool) -> None:
    """Serial and identity columns own a sequence named `<table>_<column>_seq`."""
    for col in t.columns.values():
        if col.sequence == _UNNAMED or (col.identity and col.sequence is None):
            col.sequence = QualifiedName(t.name.schema, f"{t.name.name}_{col.name}_seq"[:63])
        if col.sequence is not None and col.sequence not in cat.tables:
            seq = Table(col.sequence, "sequence", new=new, owned_by=t.name)
            cat.tables[seq.name] = seq


def _drop_sequence_of(cat: Catalog, col: Column | None) -> None:
    if col is not None and col.sequence is not None:
        cat.tables.pop(col.sequence, None)
        col.sequence = None


def _is_not_null_check(expr: Any) -> str | None:
    """`CHECK (col IS NOT NULL)` proves NOT NULL so SET NOT NULL can skip its scan (PG 12+)."""
    if type(expr).__name__ != "NullTest" or enum_name(expr.nulltesttype) != "IS_NOT_NULL":
        return None
    arg = expr.arg
    if type(arg).__name__ == "ColumnRef" and arg.fields:
        last = arg.fields[-1]
        return getattr(last, "sval", None)
    return None


def _name_constraint(table: Table, con: Constraint) -> None:
    if not con.name:
        suffix = {
            "check": "check",
            "foreign_key": "fkey",
            "unique": "key",
            "primary_key": "pkey",
            "exclusion": "excl",
            "not_null": "not_null",
        }.get(con.kind, "con")
        # ChooseConstraintName: <table>_pkey; <table>_<columns>_<suffix> otherwise (a CHECK
        # names the first column its expression uses).
        cols = con.columns or _first_column(con.expr)
        if con.kind == "primary_key" or not cols:
            con.name = f"{table.name.name}_{suffix}"
        else:
            con.name = f"{table.name.name}_{'_'.join(cols)}_{suffix}"
    table.constraints[con.name] = con


def _first_column(expr: Any) -> tuple[str, ...]:
    refs = [n for n in _walk(expr) if type(n).__name__ == "ColumnRef" and n.fields]
    name = getattr(refs[0].fields[-1], "sval", None) if refs else None
    return (name,) if name else ()


def _walk(node: Any) -> list[Any]:
    """Nodes of an expression, depth first in source order."""
    from pglast import ast

    out: list[Any] = []
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple | list):
            stack.extend(reversed(cur))
        elif isinstance(cur, ast.Node):
            out.append(cur)
            children = [getattr(cur, a, None) for a in getattr(cur, "__slots__", ())]
            stack.extend(reversed([c for c in children if isinstance(c, ast.Node | tuple | list)]))
    return out


def _add_constraint_index(cat: Catalog, table: Table, con: Constraint) -> None:
    if con.kind in ("unique", "primary_key", "exclusion"):
        iname = con.index or con.name
        cat.indexes[QualifiedName(table.name.schema, iname)] = Index(
            QualifiedName(table.name.schema, iname),
            table.name,
            con.columns,
            con.kind != "exclusion",
        )
    if con.kind == "primary_key":
        for c in con.columns:
            if c in table.columns:
                table.columns[c].not_null = True


@applies("CreateStmt")
def _create(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.relation)
    if node.if_not_exists and name in cat.tables:
        return
    kind = "partitioned" if node.partspec is not None else "table"
    t = Table(name, kind, new=new, unlogged=node.relation.relpersistence == "u")
    t.tablespace = node.tablespacename or cat.default_tablespace
    t.access_method = node.accessMethod
    if node.partspec is not None:
        t.partition_key = tuple(
            p.name for p in node.partspec.partParams or () if getattr(p, "name", None)
        )
    for rv in node.inhRelations or ():
        parent = qname(rv)
        t.parent = parent
        p = cat.edit_table(parent)
        if node.partbound is not None:
            t.default_partition = bool(node.partbound.is_default)
            t.partition_bound = node.partbound
            if p is not None:
                p.partitions.append(name)
        elif p is not None:
            p.children.append(name)
        for c in p.columns.values() if p is not None else ():
            t.columns[c.name] = Column(c.name, c.type_name, c.typmods, c.not_null, c.has_default)
    for elt in node.tableElts or ():
        k = type(elt).__name__
        if k == "ColumnDef":
            col, cons = _column(elt)
            t.columns[col.name] = col
            for con in cons:
                _name_constraint(t, con)
                _add_constraint_index(cat, t, con)
        elif k == "Constraint":
            con = _constraint(elt)
            _name_constraint(t, con)
            _add_constraint_index(cat, t, con)
        elif k == "TableLikeClause":
            src = cat.tables.get(qname(elt.relation))
            if src is not None:
                for c in src.columns.values():
                    t.columns[c.name] = Column(c.name, c.type_name, c.typmods, c.not_null)
    cat.tables[name] = t
    _own_sequences(cat, t, new)


@applies("AlterTableStmt")
def _alter(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.relation)
    if enum_name(node.objtype) == "OBJECT_INDEX":
        return
    t = cat.edit_table(name)
    if t is None:
        return
    for cmd in node.cmds or ():
        sub = enum_name(cmd.subtype)
        if sub == "AT_AddColumn":
            col, cons = _column(cmd.def_)
            t.columns[col.name] = col
            for con in cons:
                _name_constraint(t, con)
                _add_constraint_index(cat, t, con)
            _own_sequences(cat, t, new)
        elif sub == "AT_DropColumn":
            if enum_name(cmd.behavior) == "DROP_CASCADE":
                for view in cat.views_using_column(name, cmd.name):
                    cat.tables.pop(view, None)
            _drop_sequence_of(cat, t.columns.pop(cmd.name, None))
        elif sub == "AT_AddIdentity" and cmd.name in t.columns:
            t.columns[cmd.name].identity = True
            _own_sequences(cat, t, new)
        elif sub == "AT_DropIdentity" and cmd.name in t.columns:
            t.columns[cmd.name].identity = False
            _drop_sequence_of(cat, t.columns[cmd.name])
        elif sub == "AT_AddInherit":
            parent = cat.edit_table(qname(cmd.def_))
            t.parent = qname(cmd.def_)
            if parent is not None and name not in parent.children:
                parent.children.append(name)
        elif sub == "AT_DropInherit":
            parent = cat.edit_table(qname(cmd.def_))
            t.parent = None
            if parent is not None and name in parent.children:
                parent.children.remove(name)
        elif sub == "AT_SetTableSpace":
            t.tablespace = cmd.name
        elif sub == "AT_SetAccessMethod":
            t.access_method = cmd.name
        elif sub == "AT_AlterColumnType":
            changed = t.columns.get(cmd.name)
            if changed is not None:
                changed.type_name, changed.typmods, changed.array = type_name(cmd.def_.typeName)
        elif sub == "AT_SetNotNull":
            if cmd.name in t.columns:
                t.columns[cmd.name].not_null = True
        elif sub == "AT_DropNotNull":
            if cmd.name in t.columns:
                t.columns[cmd.name].not_null = False
        elif sub == "AT_ColumnDefault":
            if cmd.name in t.columns:
                t.columns[cmd.name].has_default = cmd.def_ is not None
                t.columns[cmd.name].default_sequence = nextval_sequence(cmd.def_)
        elif sub in ("AT_AddConstraint", "AT_AddIndexConstraint"):
            con = _constraint(cmd.def_)
            _name_constraint(t, con)
            if con.kind in ("unique", "primary_key") and con.index:
                idx = cat.indexes.get(QualifiedName(name.schema, con.index))
                if idx is not None:
                    con.columns = con.columns or idx.columns
                    if con.kind == "primary_key":
                        for c in idx.columns:
                            if c in t.columns:
                                t.columns[c].not_null = True
            else:
                _add_constraint_index(cat, t, con)
        elif sub == "AT_ValidateConstraint":
            validated = t.constraints.get(cmd.name)
            if validated is not None:
                validated.valid = True
        elif sub == "AT_DropConstraint":
            dropped = t.constraints.pop(cmd.name, None)
            if dropped is not None and dropped.kind in ("unique", "primary_key", "exclusion"):
                cat.indexes.pop(QualifiedName(name.schema, dropped.index or dropped.name), None)
        elif sub == "AT_AttachPartition":
            part = qname(cmd.def_.name)
            t.partitions.append(part)
            pt = cat.edit_table(part)
            if pt is not None:
                pt.parent = name
                pt.default_partition = bool(cmd.def_.bound and cmd.def_.bound.is_default)
                pt.partition_bound = cmd.def_.bound
        elif sub in ("AT_DetachPartition", "AT_DetachPartitionFinalize"):
            part = qname(cmd.def_.name)
            keys = _partition_keys(cat, name)
            if part in t.partitions:
                t.partitions.remove(part)
            pt = cat.edit_table(part)
            if pt is not None:
                pt.parent = None
                pt.default_partition = False
                pt.partition_bound = None
                # Its copies of the partitioned tables' foreign keys stay, as its own keys.
                for fk in keys:
                    if fk.name not in pt.constraints:
                        pt.constraints[fk.name] = replace(fk)
        elif sub == "AT_SetLogged":
            t.unlogged = False
        elif sub == "AT_SetUnLogged":
            t.unlogged = True


def _partition_keys(cat: Catalog, parent: QualifiedName) -> list[Constraint]:
    """The foreign keys each partition of `parent` holds a copy of: those of `parent` and of
    the partitioned tables above it (an inheritance parent passes none down)."""
    keys: list[Constraint] = []
    t = cat.tables.get(parent)
    seen: set[QualifiedName] = set()
    while t is not None and t.name not in seen:
        seen.add(t.name)
        keys += [c for c in t.constraints.values() if c.kind == "foreign_key"]
        up = cat.tables.get(t.parent) if t.parent is not None else None
        if up is None or t.name not in up.partitions:
            break
        t = up
    return keys


@applies("IndexStmt")
def _index(node: Any, cat: Catalog, new: bool) -> None:
    table = qname(node.relation)
    iname = QualifiedName(table.schema, node.idxname or f"{table.name}_idx")
    cols = tuple(p.name for p in node.indexParams or () if getattr(p, "name", None))
    cat.indexes[iname] = Index(
        iname, table, cols, bool(node.unique), True, node.whereClause is not None
    )


@applies("DropStmt")
def _drop(node: Any, cat: Catalog, new: bool) -> None:
    rt = enum_name(node.removeType)
    for obj in node.objects or ():
        if rt in (
            "OBJECT_TABLE",
            "OBJECT_VIEW",
            "OBJECT_MATVIEW",
            "OBJECT_SEQUENCE",
            "OBJECT_FOREIGN_TABLE",
        ):
            name = list_qname(obj)
            if enum_name(node.behavior) == "DROP_CASCADE":
                for view in cat.dependent_views(name):  # dropped with it
                    cat.tables.pop(view, None)
                    for i in cat.indexes_of(view):
                        cat.indexes.pop(i.name, None)
            t = cat.tables.pop(name, None)
            if t is not None:
                for i in cat.indexes_of(name):
                    cat.indexes.pop(i.name, None)
                for col in t.columns.values():
                    if col.sequence is not None:
                        cat.tables.pop(col.sequence, None)
                parent = cat.edit_table(t.parent)
                if parent is not None and name in parent.partitions:
                    parent.partitions.remove(name)
                if parent is not None and name in parent.children:
                    parent.children.remove(name)
        elif rt == "OBJECT_INDEX":
            cat.indexes.pop(list_qname(obj), None)
        elif rt == "OBJECT_TYPE":
            cat.enums.pop(list_qname(obj), None)
        elif rt == "OBJECT_DOMAIN":
            cat.domains.pop(list_qname(obj), None)
            cat.domain_bases.pop(list_qname(obj), None)
        elif rt == "OBJECT_STATISTIC_EXT":
            cat.statistics.pop(list_qname(obj), None)
        elif rt == "OBJECT_TRIGGER":
            *tbl, trig = [getattr(x, "sval", "") for x in obj]
            owner = cat.edit_table(_names_qname(tbl))
            if owner is not None:
                owner.triggers.pop(trig, None)
                owner.trigger_functions.pop(trig, None)


@applies("RenameStmt")
def _rename(node: Any, cat: Catalog, new: bool) -> None:
    rt = enum_name(node.renameType)
    if node.relation is None:
        return
    name = qname(node.relation)
    if rt in (
        "OBJECT_TABLE",
        "OBJECT_VIEW",
        "OBJECT_MATVIEW",
        "OBJECT_SEQUENCE",
        "OBJECT_FOREIGN_TABLE",
    ):
        t = cat.edit_table(name)
        if t is not None:
            del cat.tables[name]
            t.name = QualifiedName(name.schema, node.newname)
            cat.tables[t.name] = t
            for iname in [i.name for i in cat.indexes.values() if i.table == name]:
                moved_idx = cat.edit_index(iname)
                if moved_idx is not None:
                    moved_idx.table = t.name
    elif rt == "OBJECT_COLUMN":
        t = cat.edit_table(name)
        if t is not None and node.subname in t.columns:
            moved = t.columns.pop(node.subname)
            moved.name = node.newname
            t.columns[moved.name] = moved
    elif rt == "OBJECT_INDEX":
        idx = cat.edit_index(name)
        if idx is not None:
            del cat.indexes[name]
            idx.name = QualifiedName(name.schema, node.newname)
            cat.indexes[idx.name] = idx
    elif rt == "OBJECT_TABCONSTRAINT":
        t = cat.edit_table(name)
        if t is not None and node.subname in t.constraints:
            renamed = t.constraints.pop(node.subname)
            renamed.name = node.newname
            t.constraints[renamed.name] = renamed


def _names_qname(parts: list[str]) -> QualifiedName:
    return (
        QualifiedName(parts[-2], parts[-1])
        if len(parts) >= 2
        else QualifiedName("public", parts[-1])
    )


def _sources(query: Any) -> list[QualifiedName]:
    """Relations a view or materialized view reads (CTE names are not relations)."""
    ctes = cte_names(query)
    out: list[QualifiedName] = []
    for rv in range_vars(query):
        if rv.schemaname is None and rv.relname in ctes:
            continue
        if qname(rv) not in out:
            out.append(qname(rv))
    return out


@applies("ViewStmt")
def _view(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.view)
    t = cat.edit_table(name)
    if t is None:
        t = cat.tables[name] = Table(name, "view", new=new)
    t.sources = _sources(node.query)
    t.view_query = node.query


@applies("CreateTableAsStmt")
def _ctas(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.into.rel)
    kind = "matview" if enum_name(node.objtype) == "OBJECT_MATVIEW" else "table"
    if name not in cat.tables:
        cat.tables[name] = Table(name, kind, new=new)
        if kind == "matview":
            cat.tables[name].sources = _sources(node.query)
            cat.tables[name].view_query = node.query


@applies("CreateTrigStmt")
def _trigger(node: Any, cat: Catalog, new: bool) -> None:
    t = cat.edit_table(qname(node.relation))
    if t is not None and node.trigname:
        t.triggers[node.trigname] = bool(node.row)
        t.trigger_functions[node.trigname] = getattr(node.funcname[-1], "sval", "")


@applies("CreateStatsStmt")
def _statistics(node: Any, cat: Catalog, new: bool) -> None:
    rels = [r for r in node.relations or () if type(r).__name__ == "RangeVar"]
    if node.defnames and rels:
        cat.statistics[list_qname(node.defnames)] = qname(rels[0])


@applies("VariableSetStmt")
def _set(node: Any, cat: Catalog, new: bool) -> None:
    if (node.name or "").lower() == "default_tablespace":
        vals = [getattr(getattr(a, "val", None), "sval", None) for a in node.args or ()]
        cat.default_tablespace = next((v for v in vals if v), None)


@applies("CreateSeqStmt")
def _seq(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.sequence)
    cat.tables.setdefault(name, Table(name, "sequence", new=new))


@applies("CreateEnumStmt")
def _enum(node: Any, cat: Catalog, new: bool) -> None:
    cat.enums[list_qname(node.typeName)] = [getattr(v, "sval", "") for v in node.vals or ()]


@applies("AlterEnumStmt")
def _alter_enum(node: Any, cat: Catalog, new: bool) -> None:
    vals = cat.enums.get(list_qname(node.typeName))
    if vals is not None and node.newVal and not node.oldVal:
        # A new list, not an append: catalog copies share these lists (see Catalog.copy).
        cat.enums[list_qname(node.typeName)] = [*vals, node.newVal]


@applies("CreateDomainStmt")
def _domain(node: Any, cat: Catalog, new: bool) -> None:
    has = any(enum_name(c.contype) == "CONSTR_CHECK" for c in node.constraints or ())
    cat.domains[list_qname(node.domainname)] = has
    base, mods, array = type_name(node.typeName)
    if not array:
        cat.domain_bases[list_qname(node.domainname)] = (base, mods)


@applies("AlterDomainStmt")
def _alter_domain(node: Any, cat: Catalog, new: bool) -> None:
    if node.subtype == "C":
        cat.domains[list_qname(node.typeName)] = True


@applies("CreateSchemaStmt")
def _schema(node: Any, cat: Catalog, new: bool) -> None:
    if node.schemaname:
        cat.schemas.add(node.schemaname)
    for elt in node.schemaElts or ():
        apply_statement(elt, cat, new)
