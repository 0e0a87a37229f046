"""Do a table's CHECK constraints prove a partition bound? Then ATTACH PARTITION skips its scan.

PostgreSQL proves the partition constraint from the table's valid CHECK constraints and NOT
NULL columns (PartConstraintImpliedByRelConstraint, tablecmds.c); the docs recommend adding
such a CHECK before ATTACH. This recognises the forms people write for a single-column key:
`k IS NOT NULL AND k >= lo AND k < hi` (or BETWEEN) for range bounds, `k IN (...)` / `k = v`
for list bounds, comparing literal constants. Anything else counts as not proven (scan).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pgwarden.catalog import Table
from pgwarden.sql.nodes import enum_name

Value = int | float | str


@dataclass(slots=True)
class _Facts:
    """What the constraints say about the key column: bounds and allowed values."""

    not_null: bool = False
    lower: tuple[Value, bool] | None = None  # (value, inclusive)
    upper: tuple[Value, bool] | None = None
    values: set[Value] | None = None


def bound_implied(parent: Table, part: Table, bound: Any) -> bool:
    if bound is None or bound.is_default or len(parent.partition_key) != 1:
        return False
    key = parent.partition_key[0]
    facts = _Facts(not_null=bool(part.columns.get(key) and part.columns[key].not_null))
    for con in part.constraints.values():
        if con.kind == "check" and con.valid and con.expr is not None:
            for conjunct in _conjuncts(con.expr):
                _learn(conjunct, key, facts)
    if bound.strategy == "r":
        return _range_implied(facts, bound)
    if bound.strategy == "l":
        return _list_implied(facts, bound)
    return False


def _range_implied(facts: _Facts, bound: Any) -> bool:
    """Rows must satisfy `lo <= k < hi` (MINVALUE/MAXVALUE: unbounded) and `k IS NOT NULL`."""
    if len(bound.lowerdatums or ()) != 1 or len(bound.upperdatums or ()) != 1:
        return False
    lo_node, hi_node = bound.lowerdatums[0], bound.upperdatums[0]
    lo, hi = _const(lo_node), _const(hi_node)
    if facts.values is not None:
        return all(
            (lo is None and _is_minvalue(lo_node)) or (_same_kind(lo, v) and _lt_eq(lo, v))
            for v in facts.values
        ) and all(
            (hi is None and _is_maxvalue(hi_node)) or (_same_kind(v, hi) and _lt(v, hi))
            for v in facts.values
        )
    if not facts.not_null:
        return False
    lo_ok = lo is None and _is_minvalue(lo_node)
    if lo is not None and facts.lower is not None and _same_kind(lo, facts.lower[0]):
        lo_ok = _lt_eq(lo, facts.lower[0])  # k >= low (or > low) with low >= lo
    hi_ok = hi is None and _is_maxvalue(hi_node)
    if hi is not None and facts.upper is not None and _same_kind(hi, facts.upper[0]):
        high, inclusive = facts.upper
        hi_ok = _lt(high, hi) if inclusive else _lt_eq(high, hi)
    return lo_ok and hi_ok


def _list_implied(facts: _Facts, bound: Any) -> bool:
    allowed = [_const(d) for d in bound.listdatums or ()]
    if facts.values is None or any(v is None for v in allowed):
        return False
    return facts.values <= {v for v in allowed if v is not None}


def _conjuncts(expr: Any) -> list[Any]:
    if type(expr).__name__ == "BoolExpr" and enum_name(expr.boolop) == "AND_EXPR":
        out: list[Any] = []
        for arg in expr.args or ():
            out.extend(_conjuncts(arg))
        return out
    return [expr]


def _is_key(node: Any, key: str) -> bool:
    if type(node).__name__ != "ColumnRef" or not node.fields:
        return False
    return getattr(node.fields[-1], "sval", None) == key


def _learn(expr: Any, key: str, facts: _Facts) -> None:
    kind = type(expr).__name__
    if kind == "NullTest" and _is_key(expr.arg, key):
        facts.not_null |= enum_name(expr.nulltesttype) == "IS_NOT_NULL"
        return
    if kind != "A_Expr":
        return
    ak = enum_name(expr.kind)
    if ak == "AEXPR_IN" and _is_key(expr.lexpr, key):
        vals = [_const(v) for v in expr.rexpr or ()]
        if all(v is not None for v in vals):
            facts.values = {v for v in vals if v is not None}
            facts.not_null = True  # k IN (...) is never true for NULL
        return
    if ak == "AEXPR_BETWEEN" and _is_key(expr.lexpr, key) and len(expr.rexpr or ()) == 2:
        lo, hi = _const(expr.rexpr[0]), _const(expr.rexpr[1])
        if lo is not None and hi is not None:
            facts.lower, facts.upper, facts.not_null = (lo, True), (hi, True), True
        return
    if ak != "AEXPR_OP" or not expr.name:
        return
    op = expr.name[-1].sval
    if _is_key(expr.rexpr, key):  # `20 <= k` reads as `k >= 20`
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}.get(op)
        if flipped is None:
            return
        op, value = flipped, _const(expr.lexpr)
    elif _is_key(expr.lexpr, key):
        value = _const(expr.rexpr)
    else:
        return
    if value is None:
        return
    facts.not_null = True  # a strict comparison is never true for NULL
    if op == "=":
        facts.values = {value}
    elif op in (">", ">="):
        facts.lower = (value, op == ">=")
    elif op in ("<", "<="):
        facts.upper = (value, op == "<=")


def _const(node: Any) -> Value | None:
    if type(node).__name__ == "TypeCast":
        node = node.arg
    if type(node).__name__ != "A_Const" or node.isnull:
        return None
    val = node.val
    for attr in ("ival", "fval", "sval"):
        got = getattr(val, attr, None)
        if got is not None:
            if attr == "fval":
                return float(got)
            return got  # type: ignore[no-any-return]
    return None


def _is_minvalue(node: Any) -> bool:
    return _is_key(node, "minvalue")


def _is_maxvalue(node: Any) -> bool:
    return _is_key(node, "maxvalue")


def _same_kind(*values: Value | None) -> bool:
    return all(isinstance(v, str) for v in values) or all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in values
    )


def _lt(a: Value | None, b: Value | None) -> bool:
    return a is not None and b is not None and a < b  # type: ignore[operator]


def _lt_eq(a: Value | None, b: Value | None) -> bool:
    return a is not None and b is not None and a <= b  # type: ignore[operator]
