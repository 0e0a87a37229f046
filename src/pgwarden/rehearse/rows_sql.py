"""The queries that pick a table's rows on the source: all, referenced, or a seeded sample.

They run inside `COPY (...) TO STDOUT`, which takes no parameters: keys copied from parents
are inlined as array literals (quoted by psycopg, cast to the referenced columns' types).
The main table is `pgw_0`; tables nested in a referenced-rows predicate `pgw_1`, `pgw_2`, …
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from psycopg import sql

from pgwarden.rehearse.model import ForeignKey, TableStats
from pgwarden.rehearse.selection import Step


def _alias(depth: int) -> sql.Identifier:
    return sql.Identifier(f"pgw_{depth}")


def _col(depth: int, name: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(_alias(depth), sql.Identifier(name))


def key_filter(fk: ForeignKey, keys: Sequence[tuple[str, ...]]) -> sql.Composed:
    """Rows whose key is NULL or one of `keys` (the parent rows copied so far, as text).

    A key with any NULL column is not checked (MATCH SIMPLE; MATCH FULL allows no partial
    NULL at all), so such rows keep the key whatever the parents. Several columns are matched
    as one tuple, zipped from one array per column by `unnest(a, b, …)`.
    """
    cols = [_col(0, c) for c in fk.columns]
    arrays = [
        sql.SQL("{}::{}[]").format(sql.Literal([k[i] for k in keys]), sql.SQL(typ))
        for i, typ in enumerate(fk.ref_types)
    ]
    return sql.SQL("({nulls} OR ({cols}) IN (SELECT * FROM unnest({arrays})))").format(
        nulls=sql.SQL(" OR ").join(sql.SQL("{} IS NULL").format(c) for c in cols),
        cols=sql.SQL(", ").join(cols),
        arrays=sql.SQL(", ").join(arrays),
    )


def referenced(step: Step, steps: Mapping[int, Step], depth: int = 0) -> sql.Composable | None:
    """Rows of `step`'s table that copied rows of its referrers point at, or None.

    A referrer copied whole contributes `EXISTS (SELECT 1 FROM ONLY child WHERE key matches)`;
    one that is itself only referenced adds its own predicate inside, and so on down the chain.
    """
    parts: list[sql.Composable] = []
    for r in step.referrers:
        child = steps[r.child]
        match = [
            sql.SQL("{} = {}").format(_col(depth + 1, c), _col(depth, ref))
            for c, ref in zip(r.fk.columns, r.fk.ref_columns, strict=True)
        ]
        nested = None if child.whole else referenced(child, steps, depth + 1)
        if nested is not None:
            match.append(sql.SQL("({})").format(nested))
        parts.append(
            sql.SQL("EXISTS (SELECT 1 FROM ONLY {t} AS {a} WHERE {cond})").format(
                t=_name(child.table), a=_alias(depth + 1), cond=sql.SQL(" AND ").join(match)
            )
        )
    return sql.SQL(" OR ").join(parts) if parts else None


def _name(t: TableStats) -> sql.Identifier:
    return sql.Identifier(t.schema, t.name)


def rows(
    t: TableStats,
    where: Sequence[sql.Composable] = (),
    *,
    percent: float | None = None,
    seed: int | None = None,
    limit: int | None = None,
) -> sql.Composed:
    """`SELECT cols FROM ONLY t [TABLESAMPLE SYSTEM (percent) REPEATABLE (seed)] [WHERE …]
    [ORDER BY md5(ctid || seed) LIMIT n]`.

    The order is a hash of each row's position salted with the seed: every run with the same
    seed over the same table contents picks the same rows, and they are spread over the whole
    table rather than taken from its first pages.
    """
    parts: list[sql.Composable] = [
        sql.SQL("SELECT {cols} FROM ONLY {t} AS {a}").format(
            cols=sql.SQL(", ").join(_col(0, c) for c in t.columns), t=_name(t), a=_alias(0)
        )
    ]
    if percent is not None:
        parts.append(
            sql.SQL(" TABLESAMPLE SYSTEM ({p}) REPEATABLE ({s})").format(
                p=sql.Literal(percent), s=sql.Literal(seed or 0)
            )
        )
    if where:
        conds = sql.SQL(" AND ").join(sql.SQL("({})").format(w) for w in where)
        parts.append(sql.SQL(" WHERE {}").format(conds))
    if limit is not None:
        parts.append(
            sql.SQL(" ORDER BY md5({a}.ctid::text || {salt}) LIMIT {n}").format(
                a=_alias(0), salt=sql.Literal(f":{seed or 0}"), n=sql.Literal(limit)
            )
        )
    return sql.Composed(parts)


def count(
    t: TableStats, where: Sequence[sql.Composable], percent: float, seed: int, limit: int
) -> sql.Composed:
    """How many rows (up to `limit`) the sample at `percent` holds."""
    inner = rows(t, where, percent=percent, seed=seed)
    return sql.SQL("SELECT count(*) FROM ({} LIMIT {}) AS pgw_sample").format(
        inner, sql.Literal(limit)
    )


def not_(cond: sql.Composable) -> sql.Composed:
    return sql.SQL("NOT ({})").format(cond)
