"""The names PostgreSQL gives indexes and constraints created without one.

Later migrations refer to them by those names (`DROP INDEX t_a_idx`), so the catalog must give
the same ones: the lock model finds an index's table through its name. The rules follow
ChooseRelationName, ChooseIndexName and ChooseConstraintName (indexcmds.c, pg_constraint.c):
`<table>_<columns>_<label>` within 63 bytes, the longer part shortened first, and a number
after the label while the name is taken. tests/catalog/test_names_live.py compares them with
what real servers choose.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pgwarden.sql.nodes import enum_name

if TYPE_CHECKING:
    from pgwarden.catalog.model import Catalog, Table

MAX_BYTES = 63  # NAMEDATALEN - 1


def _bytes(s: str) -> int:
    return len(s.encode("utf-8"))


def _clip(s: str, size: int) -> str:
    """At most `size` bytes of `s`, never half a character (pg_mbcliplen)."""
    return s.encode("utf-8")[:size].decode("utf-8", "ignore")


def object_name(name1: str, name2: str | None, label: str | None) -> str:
    """makeObjectName: `name1_name2_label`, the longer of the names shortened to fit."""
    overhead = (1 if name2 is not None else 0) + (_bytes(label) + 1 if label else 0)
    avail = MAX_BYTES - overhead
    n1, n2 = _bytes(name1), _bytes(name2) if name2 is not None else 0
    while n1 + n2 > avail:
        if n1 > n2:
            n1 -= 1
        else:
            n2 -= 1
    out = _clip(name1, n1)
    if name2 is not None:
        out += "_" + _clip(name2, n2)
    if label:
        out += "_" + label
    return out


def _relation_taken(cat: Catalog, schema: str, name: str) -> bool:
    from pgwarden.catalog.model import QualifiedName

    q = QualifiedName(schema, name)
    return q in cat.tables or q in cat.indexes


def relation_name(
    cat: Catalog,
    schema: str,
    name1: str,
    name2: str | None,
    label: str,
    constraints: Table | None = None,
) -> str:
    """ChooseRelationName: the first of `label`, `label1`, `label2`... giving a name no
    relation of the schema has (nor, for a constraint's index, a constraint of `constraints`:
    the server looks through the whole schema's constraints; the catalog through the table's)."""
    n = 0
    while True:
        name = object_name(name1, name2, f"{label}{n or ''}")
        if not _relation_taken(cat, schema, name) and (
            constraints is None or name not in constraints.constraints
        ):
            return name
        n += 1


def constraint_name(table: Table, name2: str | None, label: str) -> str:
    """ChooseConstraintName for a CHECK or FOREIGN KEY constraint of `table` (the server checks
    the schema's constraint names; the catalog the table's)."""
    n = 0
    while True:
        name = object_name(table.name.name, name2, f"{label}{n or ''}")
        if name not in table.constraints:
            return name
        n += 1


def name_addition(columns: Iterable[str]) -> str:
    """ChooseIndexNameAddition: the column names joined by `_`, stopping once past 63 bytes
    (the name is shortened later anyway)."""
    out = ""
    for col in columns:
        if out:
            out += "_"
        out += _clip(col, MAX_BYTES)
        if _bytes(out) >= MAX_BYTES + 1:
            break
    return out


# Expressions named after what they are, as the output column of a SELECT would be.
_NAMED = {
    "A_ArrayExpr": "array",
    "RowExpr": "row",
    "CoalesceExpr": "coalesce",
    "GroupingFunc": "grouping",
}


def expression_name(expr: Any) -> tuple[str | None, int]:
    """FigureColnameInternal: (name, strength) of an expression; strength 2 for a column or
    function name, 1 for a fallback (a cast's type, `case`), 0 and None for none."""
    kind = type(expr).__name__
    if kind == "ColumnRef":
        last = expr.fields[-1] if expr.fields else None
        name = getattr(last, "sval", None)
        return (name, 2) if name else (None, 0)
    if kind == "FuncCall":
        name = getattr(expr.funcname[-1], "sval", None) if expr.funcname else None
        return (name, 2) if name else (None, 0)
    if kind == "A_Indirection" or kind == "CollateClause":
        return expression_name(expr.arg)
    if kind == "TypeCast":
        name, strength = expression_name(expr.arg)
        if strength <= 1 and expr.typeName is not None and expr.typeName.names:
            return getattr(expr.typeName.names[-1], "sval", None), 1
        return name, strength
    if kind == "CaseExpr":
        name, strength = expression_name(expr.defresult) if expr.defresult else (None, 0)
        return (name, strength) if strength > 1 else ("case", 1)
    if kind == "MinMaxExpr":
        return ("greatest" if enum_name(expr.op) == "IS_GREATEST" else "least"), 2
    if kind == "A_Expr" and enum_name(expr.kind) == "AEXPR_NULLIF":
        return "nullif", 2
    named = _NAMED.get(kind)
    return (named, 2) if named else (None, 0)


def index_column_names(params: Iterable[Any]) -> list[str]:
    """ChooseIndexColumnNames: each index element's column name, an expression's as
    FigureIndexColname gives it (`expr` when it has none), a number appended to one already
    used."""
    out: list[str] = []
    for p in params:
        orig = getattr(p, "indexcolname", None) or getattr(p, "name", None)
        if not orig and getattr(p, "expr", None) is not None:
            orig = expression_name(p.expr)[0]
        orig = orig or "expr"
        name, i = orig, 1
        while name in out:
            suffix = str(i)
            name = _clip(orig, MAX_BYTES - len(suffix)) + suffix
            i += 1
        out.append(name)
    return out


def index_name(
    cat: Catalog,
    table: QualifiedNameLike,
    columns: list[str],
    *,
    primary: bool = False,
    exclusion: bool = False,
    constraint: bool = False,
    constraints: Table | None = None,
) -> str:
    """ChooseIndexName for an index of `table` over `columns` (index_column_names)."""
    schema, tname = table
    if primary:
        return relation_name(cat, schema, tname, None, "pkey", constraints)
    label = "excl" if exclusion else "key" if constraint else "idx"
    return relation_name(
        cat, schema, tname, name_addition(columns), label, constraints if constraint else None
    )


QualifiedNameLike = tuple[str, str]  # (schema, name)
