"""Plan-time partition pruning: which partitions a WHERE clause on the partition key keeps.

The planner locks only the partitions that survive pruning (a `DELETE ... WHERE k = 5` locks
the partitioned table and the one partition that can hold k = 5). The model prunes the same
cases the planner proves from constants: a single-column RANGE or LIST key compared with
integer or date literals (`=`, `<`, `<=`, `>`, `>=`, `IN`, `BETWEEN`, joined by AND). Anything
else (hash partitions, expressions, parameters, OR, other types) keeps every partition, which
is what the planner does when it cannot prove more, or more than it locks: never less.
A default partition is always kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context
from pgwarden.sql.nodes import enum_name

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")  # ISO dates compare as strings in date order


@dataclass
class _Range:
    """Values v with low < v < high (<= where inclusive; None: unbounded), and when `points`
    is set only those. Values of one kind: ints, or ISO dates as strings."""

    low: Any = None
    low_inc: bool = True
    high: Any = None
    high_inc: bool = True
    points: tuple[Any, ...] | None = None

    def tighten(self, op: str, v: Any) -> None:
        if op in (">", ">="):
            inc = op == ">="
            if self.low is None or v > self.low or (v == self.low and not inc):
                self.low, self.low_inc = v, inc
        elif op in ("<", "<="):
            inc = op == "<="
            if self.high is None or v < self.high or (v == self.high and not inc):
                self.high, self.high_inc = v, inc
        elif op == "=":
            self.only((v,))

    def only(self, values: tuple[Any, ...]) -> None:
        self.points = (
            values if self.points is None else tuple(p for p in self.points if p in values)
        )

    def admits(self, v: Any) -> bool:
        if self.points is not None and v not in self.points:
            return False
        if self.low is not None and (v < self.low or (v == self.low and not self.low_inc)):
            return False
        return self.high is None or v < self.high or (v == self.high and self.high_inc)

    def meets(self, lo: Any, hi: Any) -> bool:
        """Whether some admitted value lies in [lo, hi) (None: unbounded)."""
        if self.points is not None:
            return any(
                (lo is None or p >= lo) and (hi is None or p < hi) and self.admits(p)
                for p in self.points
            )
        low, low_inc = lo, True  # the larger of the two lower bounds
        if self.low is not None:
            if low is None or self.low > low:
                low, low_inc = self.low, self.low_inc
            elif self.low == low:
                low_inc = self.low_inc
        high, high_inc = hi, False  # the smaller of the two upper bounds
        if self.high is not None and (high is None or self.high < high):
            high, high_inc = self.high, self.high_inc
        if low is None or high is None:
            return True
        return bool(low < high or (low == high and low_inc and high_inc))


def _const(node: Any) -> int | str | None:
    """An integer or ISO-date literal (optionally cast), else None."""
    if type(node).__name__ == "TypeCast":
        node = node.arg
    if type(node).__name__ != "A_Const" or node.isnull:
        return None
    val = node.val
    kind = type(val).__name__
    if kind == "Integer":
        return int(val.ival)
    if kind == "String" and _DATE.fullmatch(val.sval or ""):
        return str(val.sval)
    return None


def _is_key(node: Any, key: str, qualifiers: frozenset[str]) -> bool:
    """`key`, or `t.key` / `schema.t.key` with t a name of the table: a column of another
    table of the query (an outer one, in a subquery) is not this table's key."""
    if type(node).__name__ != "ColumnRef" or not node.fields:
        return False
    names = [getattr(f, "sval", None) for f in node.fields]
    return names[-1] == key and (len(names) == 1 or names[-2] in qualifiers)


_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "="}


def _conditions(where: Any, key: str, qualifiers: frozenset[str]) -> _Range | None:
    """The values of `key` the AND-ed conditions allow; None when none constrain it."""
    parts = [where]
    out = _Range()
    found = False
    while parts:
        cur = parts.pop()
        kind = type(cur).__name__
        if kind == "BoolExpr" and enum_name(cur.boolop) == "AND_EXPR":
            parts.extend(cur.args or ())
            continue
        if kind != "A_Expr":
            continue
        how = enum_name(cur.kind)
        names = cur.name or ()
        op = getattr(names[-1], "sval", "") if names else ""
        if how == "AEXPR_OP" and op in _FLIP:
            if _is_key(cur.lexpr, key, qualifiers) and (v := _const(cur.rexpr)) is not None:
                out.tighten(op, v)
                found = True
            elif _is_key(cur.rexpr, key, qualifiers) and (v := _const(cur.lexpr)) is not None:
                out.tighten(_FLIP[op], v)
                found = True
        elif how == "AEXPR_IN" and op == "=" and _is_key(cur.lexpr, key, qualifiers):
            values = [_const(x) for x in cur.rexpr or ()]
            if values and all(v is not None for v in values):
                out.only(tuple(v for v in values if v is not None))
                found = True
        elif (
            how == "AEXPR_BETWEEN"
            and _is_key(cur.lexpr, key, qualifiers)
            and len(cur.rexpr or ()) == 2
        ):
            lo, hi = (_const(x) for x in cur.rexpr)
            if lo is not None and hi is not None:
                out.tighten(">=", lo)
                out.tighten("<=", hi)
                found = True
    return out if found else None


def _comparable(values: list[Any]) -> bool:
    kinds = {type(v) for v in values if v is not None}
    return len(kinds) <= 1


def _bound(datum: Any) -> tuple[bool, Any]:
    """(understood, value) of a range bound datum; MINVALUE/MAXVALUE are None."""
    if type(datum).__name__ == "ColumnRef":
        name = getattr(datum.fields[-1], "sval", "") if datum.fields else ""
        return name in ("minvalue", "maxvalue"), None
    v = _const(datum)
    return v is not None, v


def kept_partitions(
    ctx: Context, name: QualifiedName, where: Any, qualifiers: frozenset[str] = frozenset()
) -> list[QualifiedName] | None:
    """The direct partitions of `name` that can hold rows `where` admits; None: all of them
    (not partitioned, or nothing to prune with). `qualifiers`: the names the query gives the
    table (a column qualified with another name is another table's)."""
    t = ctx.table(name)
    if t is None or not t.partitions or where is None or len(t.partition_key) != 1:
        return None
    allowed = _conditions(where, t.partition_key[0], qualifiers)
    if allowed is None:
        return None
    kept: list[QualifiedName] = []
    default: QualifiedName | None = None
    listed: list[Any] = []  # every value a LIST partition names
    ranges: list[tuple[Any, Any]] = []  # every RANGE partition's [lo, hi)
    for part in t.partitions:
        pt = ctx.table(part)
        spec = pt.partition_bound if pt is not None else None
        if spec is None:
            return None
        if spec.is_default:
            default = part
            continue
        strategy = spec.strategy
        if strategy == "l":
            datums = [d for d in spec.listdatums or () if not getattr(d, "isnull", False)]
            values = [_const(d) for d in datums]
            if any(v is None for v in values) or not _comparable([*values, *_sample(allowed)]):
                return None
            listed += values
            if any(allowed.admits(v) for v in values):
                kept.append(part)
        elif strategy == "r" and len(spec.lowerdatums or ()) == 1:
            (ok_lo, lo), (ok_hi, hi) = _bound(spec.lowerdatums[0]), _bound(spec.upperdatums[0])
            if not (ok_lo and ok_hi) or not _comparable([lo, hi, *_sample(allowed)]):
                return None
            ranges.append((lo, hi))
            if allowed.meets(lo, hi):
                kept.append(part)
        else:
            return None  # hash partitions, multi-column ranges
    if default is not None and not _covered(allowed, listed, ranges):
        kept.append(default)
    return kept


def _covered(allowed: _Range, listed: list[Any], ranges: list[tuple[Any, Any]]) -> bool:
    """Whether the other partitions hold every value `allowed` admits (the default partition
    is then pruned too); False when unsure."""
    if allowed.points is not None:
        if ranges:
            return all(
                any((lo is None or p >= lo) and (hi is None or p < hi) for lo, hi in ranges)
                for p in allowed.points
                if allowed.admits(p)
            )
        return all(p in listed for p in allowed.points if allowed.admits(p))
    if not ranges or allowed.low is None or allowed.high is None:
        return False
    at, closed = allowed.low, allowed.low_inc  # walk the ranges upwards from the low end
    for lo, hi in sorted(ranges, key=lambda r: (r[0] is not None, r[0])):
        if lo is not None and lo > at:
            break  # a gap before this range
        if hi is None or hi > at or (hi == at and not closed):
            at, closed = hi, False
            if at is None:
                return True
    return bool(at > allowed.high or (at == allowed.high and not allowed.high_inc))


def _sample(r: _Range) -> list[Any]:
    return [r.low, r.high, *(r.points or ())]
