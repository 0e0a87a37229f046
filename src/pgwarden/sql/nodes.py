"""Small readers over pglast nodes: names, type names, constants. No lock knowledge here."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator
from typing import Any

from pgwarden.catalog import QualifiedName

DEFAULT_SCHEMA = "public"

# Canonical names for types users spell differently; the parser already maps SQL-standard
# spellings (integer, character varying, timestamp with time zone) to pg_catalog names.
_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "bool": "bool",
    "boolean": "bool",
    "float": "float8",
    "double precision": "float8",
    "real": "float4",
    "decimal": "numeric",
    "character varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
}


# QualifiedName's own __new__ is a Python function (a NamedTuple's); tuple.__new__ is C.
_QUALIFIED: Any = functools.partial(tuple.__new__, QualifiedName)


def qname(rv: Any) -> QualifiedName:
    """A RangeVar to a QualifiedName (unqualified names resolve to `public`)."""
    name: QualifiedName = _QUALIFIED((rv.schemaname or DEFAULT_SCHEMA, rv.relname))
    return name


def list_qname(items: Any) -> QualifiedName:
    """A list of String nodes (`schema.name` or `name`) to a QualifiedName."""
    parts = [s.sval for s in items if hasattr(s, "sval")]
    if len(parts) >= 2:
        return QualifiedName(parts[-2], parts[-1])
    return QualifiedName(DEFAULT_SCHEMA, parts[-1] if parts else "?")


def type_name(tn: Any) -> tuple[str, tuple[int, ...], bool]:
    """(canonical type name, integer typmods, is_array) of a TypeName node."""
    names = [s.sval for s in (tn.names or ()) if hasattr(s, "sval")]
    name = names[-1].lower() if names else "?"
    name = _ALIASES.get(name, name)
    mods: list[int] = []
    for m in tn.typmods or ():
        val = getattr(m, "val", None)
        ival = getattr(val, "ival", None)
        if isinstance(ival, int):
            mods.append(ival)
    array = bool(tn.arrayBounds)
    return name, tuple(mods), array


def type_label(name: str, mods: tuple[int, ...], array: bool = False) -> str:
    label = name + (f"({','.join(map(str, mods))})" if mods else "")
    return label + ("[]" if array else "")


def string_value(node: Any) -> str | None:
    val = getattr(node, "val", node)
    sval = getattr(val, "sval", None)
    return sval if isinstance(sval, str) else None


def enum_name(value: Any) -> str:
    # `_name_` is a plain attribute of every Enum member; `.name` goes through a descriptor
    # that costs several times more, and this runs for most nodes the lock model reads.
    name = getattr(value, "_name_", None)
    if isinstance(name, str):
        return name
    return value.name if hasattr(value, "name") else str(value)


_CHILD_SLOTS: dict[type, tuple[str, ...]] = {}
_SCALAR_POINTERS = ("char*", "Bitmapset*")


def _child_slots(cls: type) -> tuple[str, ...]:
    """Attributes of a pglast node class that can hold nodes (pointers, lists, `val`).

    pglast describes each attribute's C type in `__slots__`; skipping strings, numbers,
    booleans and enums makes a tree walk several times faster than trying every attribute.
    """
    names = _CHILD_SLOTS.get(cls)
    if names is None:
        from pglast import ast

        spec = getattr(cls, "__slots__", ())
        if isinstance(spec, dict):
            keep = []
            for attr, info in spec.items():
                ctype = str(getattr(info, "c_type", info))
                if (
                    ctype == "ValUnion"
                    or (ctype.endswith("*") and ctype not in _SCALAR_POINTERS)
                    or isinstance(getattr(ast, ctype, None), type)
                ):
                    keep.append(attr)
            names = tuple(keep)
        else:
            names = tuple(a for a in spec if a != "ancestors")
        _CHILD_SLOTS[cls] = names
    return names


def _slots_of(kind: type) -> tuple[str, ...]:
    names = _CHILD_SLOTS.get(kind)
    return names if names is not None else _child_slots(kind)


# A class's child slots read in one C call, for classes with two or more of them (a walk reads
# ~50k nodes per corpus); None for the others, which are read one attribute at a time.
_GETTERS: dict[type, Any] = {}
_NOT_NONE = functools.partial(operator.is_not, None)


def _getter_of(kind: type) -> Any:
    names = _slots_of(kind)
    getter = operator.attrgetter(*names) if len(names) > 1 else None
    _GETTERS[kind] = getter
    return getter


def _push_children(cur: Any, kind: type, push: Any, extend: Any) -> None:
    """Push the node's children that are set, in slot order."""
    getter = _GETTERS[kind] if kind in _GETTERS else _getter_of(kind)
    if getter is not None:
        try:
            extend(filter(_NOT_NONE, getter(cur)))
            return
        except AttributeError:  # a slot never set (a node built by hand): one at a time
            pass
    for attr in _slots_of(kind):
        child = getattr(cur, attr, None)
        if child is not None:
            push(child)


def iter_nodes(node: Any, prune: tuple[type, ...] = ()) -> Iterator[Any]:
    """Every pglast node under `node` (itself included), depth first; iterative, so deep
    trees are fine. The children of nodes of a `prune` type are not visited."""
    from pglast import ast

    base = ast.Node
    stack: list[Any] = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        cur = pop()
        kind = type(cur)
        if kind is tuple or kind is list:
            extend(cur)
            continue
        if not isinstance(cur, base):
            continue
        yield cur
        if prune and isinstance(cur, prune):
            continue
        _push_children(cur, kind, push, extend)


def find_nodes(node: Any, cls: type, prune: bool = False) -> list[Any]:
    """Every node of type `cls` under `node`, in iter_nodes order (the loop of iter_nodes
    without a generator: this runs on every statement). `prune`: not inside a match."""
    from pglast import ast

    base = ast.Node
    out: list[Any] = []
    stack: list[Any] = [node]
    pop, push, extend, found = stack.pop, stack.append, stack.extend, out.append
    while stack:
        cur = pop()
        kind = type(cur)
        if kind is tuple or kind is list:
            extend(cur)
            continue
        if kind is cls:
            found(cur)
            if prune:
                continue
        elif not isinstance(cur, base):
            continue
        _push_children(cur, kind, push, extend)
    return out


def nextval_sequence(expr: Any) -> QualifiedName | None:
    """The sequence a `nextval('name')` expression calls (a literal name, maybe cast to
    regclass), else None."""
    if type(expr).__name__ != "FuncCall" or not expr.funcname or not expr.args:
        return None
    if getattr(expr.funcname[-1], "sval", None) != "nextval":
        return None
    return sequence_literal(expr.args[0])


def sequence_literal(arg: Any) -> QualifiedName | None:
    """A sequence named by a string literal (`'s'`, `'public.s'::regclass`), else None."""
    if type(arg).__name__ == "TypeCast":
        arg = arg.arg
    name = getattr(getattr(arg, "val", None), "sval", None)
    if type(arg).__name__ != "A_Const" or not name:
        return None
    # An unquoted part folds to lower case, as the server's regclass input does.
    parts = [p[1:-1] if p.startswith('"') else p.lower() for p in name.split(".")]
    return QualifiedName(parts[-2] if len(parts) > 1 else "public", parts[-1])


def range_vars(node: Any) -> list[Any]:
    """Every RangeVar under a node (tables a query reads)."""
    return list(_reads(node)[0])


def cte_names(node: Any) -> set[str]:
    """Names of CTEs defined anywhere under a node (they look like RangeVars but are not tables)."""
    return set(_reads(node)[1])


def range_var_filters(node: Any) -> dict[int, Any]:
    """id(RangeVar) -> WHERE clause, for each SELECT under a node (itself included) whose FROM
    is that one table: what plan-time partition pruning can use."""
    return _reads(node)[2]


_LEAVES: list[frozenset[type]] = []


def _leaves() -> frozenset[type]:
    """Node types that never hold a RangeVar or a CTE: the most common ones in a query
    (column references, constants, type names), not worth looking inside."""
    if not _LEAVES:
        from pglast import ast

        names = ("ColumnRef", "A_Const", "TypeName", "String", "Integer", "Float", "Boolean")
        _LEAVES.append(frozenset(getattr(ast, n) for n in (*names, "ParamRef", "A_Star")))
    return _LEAVES[0]


_Reads = tuple[tuple[Any, ...], frozenset[str], dict[int, Any]]
# The lock model, the catalog and rules each ask both questions about the same query (a view's,
# an UPDATE's): one walk answers both, kept for the node last asked about.
_LAST_READS: list[Any] = [None, ((), frozenset(), {})]


def _reads(node: Any) -> _Reads:
    """(range_vars(node), cte_names(node), range_var_filters(node)) in one walk, like
    find_nodes: RangeVars in its order and not looked inside (nor could a CTE be: a RangeVar
    holds names and an alias)."""
    if _LAST_READS[0] is node:  # holding the node keeps its id from being reused
        found: _Reads = _LAST_READS[1]
        return found
    from pglast import ast

    base, range_var, cte, select = ast.Node, ast.RangeVar, ast.CommonTableExpr, ast.SelectStmt
    leaves = _leaves()
    rvs: list[Any] = []
    names: set[str] = set()
    filters: dict[int, Any] = {}
    stack: list[Any] = [node]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        cur = pop()
        kind = type(cur)
        if kind is tuple or kind is list:
            extend(cur)
            continue
        if kind is range_var:
            rvs.append(cur)
            continue
        if kind in leaves:
            continue
        if kind is cte and cur.ctename:
            names.add(cur.ctename)
        elif kind is select:
            frm = cur.fromClause
            if cur.whereClause is not None and frm and len(frm) == 1 and type(frm[0]) is range_var:
                filters[id(frm[0])] = cur.whereClause
        elif not isinstance(cur, base):
            continue
        _push_children(cur, kind, push, extend)
    found = (tuple(rvs), frozenset(names), filters)
    _LAST_READS[:] = [node, found]
    return found
