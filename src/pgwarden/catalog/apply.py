"""Update the catalog after a statement, so later statements see the schema it produced."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pgwarden.catalog.model import Catalog, Column, Constraint, Index, QualifiedName, Table
from pgwarden.catalog.names import constraint_name, index_column_names, index_name, name_addition
from pgwarden.catalog.search_path import DEFAULT as DEFAULT_PATH
from pgwarden.catalog.search_path import qualify, set_search_path
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
_KEYS = ("primary_key", "unique", "exclusion")  # constraints backed by an index
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
        if catalog.search_path != DEFAULT_PATH:
            qualify(node, catalog)
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
    if kind == "exclusion":  # its columns stay (): the index is not a btree on them
        elems = [pair[0] for pair in c.exclusions or () if pair]
        con.index_columns = tuple(index_column_names(elems))
    if kind in _KEYS and c.including:
        included = tuple(k.sval for k in c.including if hasattr(k, "sval"))
        con.index_columns = (*(con.index_columns or con.columns), *included)
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
            seq = cat.own(Table(col.sequence, "sequence", new=new, owned_by=t.name))
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


def _name_constraint(cat: Catalog, table: Table, con: Constraint) -> None:
    """Give an unnamed constraint the name the server would (see catalog/names.py)."""
    if not con.name:
        if con.kind in _KEYS:
            con.name = index_name(
                cat,
                table.name,
                list(con.index_columns or con.columns),
                primary=con.kind == "primary_key",
                exclusion=con.kind == "exclusion",
                constraint=True,
                constraints=table,
            )
        elif con.kind == "check":  # named after its column when it uses exactly one
            cols = _columns_used(con.expr)
            con.name = constraint_name(table, cols[0] if len(cols) == 1 else None, "check")
        elif con.kind == "foreign_key":
            con.name = constraint_name(table, name_addition(con.columns), "fkey")
        else:
            suffix = "not_null" if con.kind == "not_null" else "con"
            con.name = constraint_name(table, name_addition(con.columns) or None, suffix)
    table.constraints[con.name] = con


def _columns_used(expr: Any) -> list[str]:
    """The distinct columns an expression names, in order."""
    out: list[str] = []
    for n in _walk(expr):
        if type(n).__name__ == "ColumnRef" and n.fields:
            name = getattr(n.fields[-1], "sval", None)
            if name and name not in out:
                out.append(name)
    return out


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
    if con.kind in _KEYS:
        iname = QualifiedName(table.name.schema, con.index or con.name)
        idx = Index(
            iname,
            table.name,
            con.columns,
            con.kind != "exclusion",
            constraint=con.kind,
            name_columns=con.index_columns or con.columns,
        )
        cat.indexes[iname] = cat.own(idx)
        _index_partitions(cat, table, idx)
    if con.kind == "primary_key":
        for c in con.columns:
            if c in table.columns:
                table.columns[c].not_null = True


@applies("CreateStmt")
def _create(node: Any, cat: Catalog, new: bool) -> None:
    _create_relation(node, cat, new, foreign=False)


@applies("CreateForeignTableStmt")
def _create_foreign(node: Any, cat: Catalog, new: bool) -> None:
    _create_relation(node.base, cat, new, foreign=True)


def _create_relation(node: Any, cat: Catalog, new: bool, foreign: bool) -> None:
    name = qname(node.relation)
    if node.if_not_exists and name in cat.tables:
        return
    kind = "foreign" if foreign else "partitioned" if node.partspec is not None else "table"
    t = cat.own(Table(name, kind, new=new, unlogged=node.relation.relpersistence == "u"))
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
    found: list[Constraint] = []
    for elt in node.tableElts or ():
        k = type(elt).__name__
        if k == "ColumnDef":
            col, cons = _column(elt)
            t.columns[col.name] = col
            found += cons
        elif k == "Constraint":
            found.append(_constraint(elt))
        elif k == "TableLikeClause":
            src = cat.tables.get(qname(elt.relation))
            if src is not None:
                for c in src.columns.values():
                    t.columns[c.name] = Column(c.name, c.type_name, c.typmods, c.not_null)
    for con in _in_creation_order(found):
        _name_constraint(cat, t, con)
        _add_constraint_index(cat, t, con)
    cat.tables[name] = t
    _own_sequences(cat, t, new)
    if node.partbound is not None and t.parent is not None and not foreign:
        _inherit_indexes(cat, t.parent, t)  # (a foreign partition gets no index copies)


def _in_creation_order(cons: list[Constraint]) -> list[Constraint]:
    """A new table's constraints in the order the server names them: checks with the table,
    then the indexes of keys (the primary key first, a repeated key once), then foreign keys
    (transformIndexConstraints, transformFKConstraints)."""
    keys = sorted((c for c in cons if c.kind in _KEYS), key=lambda c: c.kind != "primary_key")
    kept: list[Constraint] = []
    for con in keys:
        same = next(
            (
                k
                for k in kept
                if (k.kind == "exclusion") == (con.kind == "exclusion")
                and (k.index_columns or k.columns) == (con.index_columns or con.columns)
                and (k.kind != "exclusion" or k.index_columns)
            ),
            None,
        )
        if same is None:
            kept.append(con)
        elif not same.name:
            same.name = con.name  # the repeated key's name, if it has one
    first = [c for c in cons if c.kind not in _KEYS and c.kind != "foreign_key"]
    return first + kept + [c for c in cons if c.kind == "foreign_key"]


def _inherit_indexes(cat: Catalog, parent: QualifiedName, part: Table) -> None:
    """A new or attached partition gets (or attaches) a copy of each of its parent's indexes."""
    for idx in list(cat.indexes_of(parent)):
        _clone_index(cat, idx, part)


@applies("AlterTableStmt")
def _alter(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.relation)
    if enum_name(node.objtype) == "OBJECT_INDEX":
        for cmd in node.cmds or ():  # ALTER INDEX parent ATTACH PARTITION child
            if enum_name(cmd.subtype) == "AT_AttachPartition" and name in cat.indexes:
                child = cat.edit_index(qname(cmd.def_.name))
                if child is not None:
                    child.parent = name
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
                _name_constraint(cat, t, con)
                _add_constraint_index(cat, t, con)
            _own_sequences(cat, t, new)
        elif sub == "AT_DropColumn":
            if enum_name(cmd.behavior) == "DROP_CASCADE":
                for view in cat.views_using_column(name, cmd.name):
                    cat.tables.pop(view, None)
            _drop_sequence_of(cat, t.columns.pop(cmd.name, None))
            _drop_column_dependents(cat, t, cmd.name)
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
            _name_constraint(cat, t, con)
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
            if dropped is not None and dropped.kind in _KEYS:
                _drop_index(cat, QualifiedName(name.schema, dropped.index or dropped.name))
        elif sub == "AT_AttachPartition":
            part = qname(cmd.def_.name)
            t.partitions.append(part)
            pt = cat.edit_table(part)
            if pt is not None:
                pt.parent = name
                pt.default_partition = bool(cmd.def_.bound and cmd.def_.bound.is_default)
                pt.partition_bound = cmd.def_.bound
                _inherit_indexes(cat, name, pt)
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
                # Its copies of the partitioned tables' foreign keys stay, as its own keys;
                # its copies of their indexes too, as its own indexes.
                for fk in keys:
                    if fk.name not in pt.constraints:
                        pt.constraints[fk.name] = replace(fk)
                for idx in cat.indexes_of(part):
                    if idx.parent is not None:
                        edited = cat.edit_index(idx.name)
                        if edited is not None:
                            edited.parent = None
        elif sub == "AT_SetLogged":
            t.unlogged = False
        elif sub == "AT_SetUnLogged":
            t.unlogged = True


def _drop_column_dependents(cat: Catalog, t: Table, column: str) -> None:
    """DROP COLUMN takes along the table's indexes and constraints that involve the column."""
    for con in list(t.constraints.values()):
        uses = con.columns if con.kind != "check" else tuple(_columns_used(con.expr))
        if column in uses or column in con.index_columns:
            del t.constraints[con.name]
            if con.kind in _KEYS:
                _drop_index(cat, QualifiedName(t.name.schema, con.index or con.name))
    for idx in list(cat.indexes_of(t.name)):
        if column in idx.columns or column in idx.name_columns:
            _drop_index(cat, idx.name)


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
    names = tuple(
        index_column_names((*(node.indexParams or ()), *(node.indexIncludingParams or ())))
    )
    if node.idxname:
        iname = QualifiedName(table.schema, node.idxname)
        if node.if_not_exists and iname in cat.indexes:
            return
    else:
        iname = QualifiedName(table.schema, index_name(cat, table, list(names)))
    cols = tuple(p.name for p in node.indexParams or () if getattr(p, "name", None))
    t = cat.tables.get(table)
    # ON ONLY a partitioned table: invalid until an index of each partition is attached.
    only = t is not None and t.kind == "partitioned" and not node.relation.inh
    idx = Index(
        iname,
        table,
        cols,
        bool(node.unique),
        not (only and t is not None and t.partitions),
        node.whereClause is not None,
        name_columns=names,
    )
    cat.indexes[iname] = cat.own(idx)
    if t is not None and not only:
        _index_partitions(cat, t, idx)


def _index_partitions(cat: Catalog, table: Table, idx: Index) -> None:
    """An index on a partitioned table is made on each partition too (and theirs, down the
    tree), named as the server names them: after the partition."""
    if table.kind != "partitioned":
        return
    for part in table.partitions:
        pt = cat.tables.get(part)
        if pt is not None:
            _clone_index(cat, idx, pt)


def _clone_index(cat: Catalog, idx: Index, part: Table) -> None:
    """The copy of a partitioned table's index on one of its partitions: an equivalent index
    the partition has already is attached instead (AttachPartitionEnsureIndexes)."""
    for mine in cat.indexes_of(part.name):
        if (
            mine.parent is None
            and mine.columns == idx.columns
            and mine.unique == idx.unique
            and mine.partial == idx.partial
            and mine.constraint == idx.constraint
            and mine.name_columns == idx.name_columns
        ):
            edited = cat.edit_index(mine.name)
            if edited is not None:
                edited.parent = idx.name
            return
    name = index_name(
        cat,
        part.name,
        list(idx.name_columns),
        primary=idx.constraint == "primary_key",
        exclusion=idx.constraint == "exclusion",
        constraint=bool(idx.constraint),
        constraints=part,
    )
    child = replace(
        idx,
        name=QualifiedName(part.name.schema, name),
        table=part.name,
        parent=idx.name,
        owner=None,
    )
    cat.indexes[child.name] = child
    if idx.constraint:  # a key's copy is a constraint of the partition too
        pt = cat.edit_table(part.name)
        if pt is not None:
            pt.constraints[name] = Constraint(
                name, idx.constraint, True, idx.columns, index_columns=idx.name_columns
            )
    _index_partitions(cat, part, child)


def _drop_index(cat: Catalog, name: QualifiedName) -> None:
    """The index, and with a partitioned table's index its copies on the partitions."""
    idx = cat.indexes.pop(name, None)
    if idx is None:
        return
    t = cat.tables.get(idx.table)
    for part in t.partitions if t is not None and t.kind == "partitioned" else ():
        for child in list(cat.indexes_of(part)):
            if child.parent == name:
                _drop_index(cat, child.name)


@applies("CreateFunctionStmt")
def _function(node: Any, cat: Catalog, new: bool) -> None:
    """Functions the migrations define (a procedure is CALLed, which is unknown anyway)."""
    if not node.is_procedure:
        cat.functions.add(list_qname(node.funcname))


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
            _drop_index(cat, list_qname(obj))
        elif rt == "OBJECT_TYPE":
            cat.enums.pop(list_qname(obj), None)
        elif rt == "OBJECT_DOMAIN":
            cat.domains.pop(list_qname(obj), None)
            cat.domain_bases.pop(list_qname(obj), None)
        elif rt == "OBJECT_STATISTIC_EXT":
            cat.statistics.pop(list_qname(obj), None)
        elif rt == "OBJECT_FUNCTION":
            cat.functions.discard(list_qname(getattr(obj, "objname", None) or ()))
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
            _rename_index(cat, idx, node.newname)
            # A key's index and constraint share their name: renaming one renames both.
            t = cat.edit_table(idx.table) if idx.constraint else None
            con = _key_of_index(t, name.name) if t is not None else None
            if t is not None and con is not None:
                del t.constraints[con.name]
                con.name, con.index = node.newname, None
                t.constraints[con.name] = con
    elif rt == "OBJECT_TABCONSTRAINT":
        t = cat.edit_table(name)
        if t is not None and node.subname in t.constraints:
            renamed = t.constraints.pop(node.subname)
            old_index = renamed.index or renamed.name
            renamed.name = node.newname
            t.constraints[renamed.name] = renamed
            if renamed.kind in _KEYS:
                renamed.index = None
                idx = cat.edit_index(QualifiedName(name.schema, old_index))
                if idx is not None and idx.table == name:
                    _rename_index(cat, idx, node.newname)


def _rename_index(cat: Catalog, idx: Index, new_name: str) -> None:
    """Rename an index (owned by `cat`), and point its partitions' copies at the new name."""
    old = idx.name
    del cat.indexes[old]
    idx.name = QualifiedName(old.schema, new_name)
    cat.indexes[idx.name] = idx
    t = cat.tables.get(idx.table)
    for part in t.partitions if t is not None and t.kind == "partitioned" else ():
        for child in cat.indexes_of(part):
            if child.parent == old:
                edited = cat.edit_index(child.name)
                if edited is not None:
                    edited.parent = idx.name


def _key_of_index(t: Table, index: str) -> Constraint | None:
    """The key constraint of `t` whose index is called `index`."""
    for con in t.constraints.values():
        if con.kind in _KEYS and (con.index or con.name) == index:
            return con
    return None


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
        t = cat.tables[name] = cat.own(Table(name, "view", new=new))
    t.sources = _sources(node.query)
    t.view_query = node.query


@applies("CreateTableAsStmt")
def _ctas(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.into.rel)
    kind = "matview" if enum_name(node.objtype) == "OBJECT_MATVIEW" else "table"
    if name not in cat.tables:
        cat.tables[name] = cat.own(Table(name, kind, new=new))
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
    if (node.name or "").lower() == "search_path":
        set_search_path(node, cat)
    if (node.name or "").lower() == "default_tablespace":
        vals = [getattr(getattr(a, "val", None), "sval", None) for a in node.args or ()]
        cat.default_tablespace = next((v for v in vals if v), None)


@applies("CreateSeqStmt")
def _seq(node: Any, cat: Catalog, new: bool) -> None:
    name = qname(node.sequence)
    cat.tables.setdefault(name, cat.own(Table(name, "sequence", new=new)))


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
