"""Partition pruning never drops a partition that can hold a row the WHERE clause admits.

The live forms (locks/forms/tree.py, "Partition pruning") check that the model prunes what
PostgreSQL 15 and 18 prune; this checks soundness over many shapes: every integer the
conditions admit must fall in a kept partition (pruning too much would hide locks).
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.catalog.apply import apply_statement
from pgwarden.locks.context import Context
from pgwarden.locks.pruning import kept_partitions
from pgwarden.sql import ParsedFile, SqlSource, parse_source

OPS = ["=", "<", "<=", ">", ">="]
CONDITION = st.one_of(
    st.tuples(st.sampled_from(OPS), st.integers(-3, 33)),
    st.tuples(st.just("in"), st.lists(st.integers(-3, 33), min_size=1, max_size=3)),
    st.tuples(st.just("between"), st.tuples(st.integers(-3, 33), st.integers(-3, 33))),
)


def catalog(schema: str) -> Catalog:
    parsed = parse_source(SqlSource("<schema>", None, schema))
    assert isinstance(parsed, ParsedFile)
    cat = Catalog()
    for st_ in parsed.statements:
        apply_statement(st_.node, cat, False)
    cat.mark_all_existing()
    return cat


def _holds(op: str, arg: object, v: int) -> bool:
    if op == "in":
        return v in arg  # type: ignore[operator]
    if op == "between":
        lo, hi = arg  # type: ignore[misc]
        return bool(lo <= v <= hi)
    return {
        "=": v == arg,
        "<": v < arg,  # type: ignore[operator]
        "<=": v <= arg,  # type: ignore[operator]
        ">": v > arg,  # type: ignore[operator]
        ">=": v >= arg,  # type: ignore[operator]
    }[op]


def _sql(op: str, arg: object) -> str:
    if op == "in":
        return f"k IN ({', '.join(map(str, arg))})"  # type: ignore[call-overload]
    if op == "between":
        return f"k BETWEEN {arg[0]} AND {arg[1]}"  # type: ignore[index]
    return f"k {op} {arg}"


@settings(max_examples=400, deadline=None)
@given(
    cuts=st.lists(st.integers(0, 30), min_size=2, max_size=5, unique=True),
    open_low=st.booleans(),
    default=st.booleans(),
    conditions=st.lists(CONDITION, min_size=1, max_size=3),
    listed=st.booleans(),
)
def test_pruning_keeps_every_partition_a_row_can_be_in(
    cuts: list[int],
    open_low: bool,
    default: bool,
    conditions: list[tuple[str, object]],
    listed: bool,
) -> None:
    cuts.sort()
    parts: list[tuple[str, object]] = []  # name, bound (range pair or list values)
    if listed:
        bounds: list[object] = [tuple(range(a, b)) for a, b in itertools.pairwise(cuts)]
        kind = "LIST"
    else:
        bounds = list(zip([None if open_low else cuts[0], *cuts[1:-1]], cuts[1:], strict=True))
        kind = "RANGE"
    schema = [f"CREATE TABLE p (id int, k int NOT NULL) PARTITION BY {kind} (k);"]
    for i, bound in enumerate(bounds):
        if listed:
            values = ", ".join(map(str, bound))  # type: ignore[call-overload]
            schema.append(f"CREATE TABLE p{i} PARTITION OF p FOR VALUES IN ({values});")
        else:
            lo, hi = bound  # type: ignore[misc]
            lo_sql = "MINVALUE" if lo is None else str(lo)
            schema.append(f"CREATE TABLE p{i} PARTITION OF p FOR VALUES FROM ({lo_sql}) TO ({hi});")
        parts.append((f"p{i}", bound))
    if default:
        schema.append("CREATE TABLE pdef PARTITION OF p DEFAULT;")
    where = " AND ".join(_sql(op, arg) for op, arg in conditions)
    parsed = parse_source(SqlSource("<t>", None, f"DELETE FROM p WHERE {where};"))
    assert isinstance(parsed, ParsedFile)
    ctx = Context(catalog("\n".join(schema)), 18)
    kept = kept_partitions(ctx, QualifiedName("public", "p"), parsed.statements[0].node.whereClause)
    if kept is None:
        return  # nothing pruned: trivially sound
    names = {q.name for q in kept}
    for v in range(-5, 40):
        if not all(_holds(op, arg, v) for op, arg in conditions):
            continue
        home = next(
            (
                name
                for name, bound in parts
                if (
                    v in bound  # type: ignore[operator]
                    if listed
                    else (bound[0] is None or bound[0] <= v) and v < bound[1]  # type: ignore[index]
                )
            ),
            "pdef" if default else None,
        )
        if home is not None:
            assert home in names, (where, v, home, sorted(names))
