"""Small readers over pglast nodes: names, type names, constants. No lock knowledge here."""

from __future__ import annotations

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


def qname(rv: Any) -> QualifiedName:
    """A RangeVar to a QualifiedName (unqualified names resolve to `public`)."""
    return QualifiedName(rv.schemaname or DEFAULT_SCHEMA, rv.relname)


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
    return value.name if hasattr(value, "name") else str(value)


def range_vars(node: Any) -> list[Any]:
    """Every RangeVar under a node (tables a query reads); iterative, so deep trees are fine."""
    out: list[Any] = []
    stack: list[Any] = [node]
    from pglast import ast

    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple | list):
            stack.extend(cur)
            continue
        if not isinstance(cur, ast.Node):
            continue
        if isinstance(cur, ast.RangeVar):
            out.append(cur)
            continue
        for attr in getattr(cur, "__slots__", ()):
            child = getattr(cur, attr, None)
            if isinstance(child, ast.Node | tuple | list):
                stack.append(child)
    return out


def cte_names(node: Any) -> set[str]:
    """Names of CTEs defined anywhere under a node (they look like RangeVars but are not tables)."""
    from pglast import ast

    names: set[str] = set()
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple | list):
            stack.extend(cur)
            continue
        if not isinstance(cur, ast.Node):
            continue
        if isinstance(cur, ast.CommonTableExpr) and cur.ctename:
            names.add(cur.ctename)
        for attr in getattr(cur, "__slots__", ()):
            child = getattr(cur, attr, None)
            if isinstance(child, ast.Node | tuple | list):
                stack.append(child)
    return names
