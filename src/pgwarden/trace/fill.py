"""`--rows N`: fill existing tables with generated rows, so scans and rewrites take real time.

Values follow each column's type (one injective expression of the row number per type, so
unique constraints hold), NOT NULL columns always get a value, foreign-key columns take the key
of an existing row of the referenced table, and tables are filled parents first (a topological
sort of the foreign-key graph). A table whose rows the server still rejects (a CHECK, an
exclusion constraint, a cycle of NOT NULL foreign keys) is reported, not fatal.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgwarden.db import load_sql
from pgwarden.trace.model import FillOut

_PKG = __package__ or "pgwarden.trace"
_SAME = "g.i"
# Short (a fixed 8-character prefix, then the row number: distinct) so that narrowing a text
# column, which real data usually survives, does not fail on generated data.
_TEXT = "(left(md5(g.i::text), 8) || g.i)"
# Base type name -> an expression of g.i giving distinct values of that type.
_VALUES: dict[str, str] = {
    "int2": "(g.i % 32767)",
    "int4": _SAME,
    "int8": _SAME,
    "oid": _SAME,
    "float4": _SAME,
    "float8": _SAME,
    "money": _SAME,
    "bool": "(g.i % 2 = 0)",
    "text": _TEXT,
    "varchar": _TEXT,
    "bpchar": _TEXT,
    "name": _TEXT,
    "citext": _TEXT,
    "char": "chr(97 + g.i % 26)",
    "uuid": "md5(g.i::text)::uuid",
    # Spread over the last ten years ({n}: the row count), so range partitions by date get rows.
    "date": "(current_date - (g.i * 3650 / {n})::int)",
    "timestamp": "(localtimestamp - g.i * (interval '3650 days' / {n}))",
    "timestamptz": "(now() - g.i * (interval '3650 days' / {n}))",
    "time": "(time '00:00' + g.i * interval '1 second')",
    "timetz": "(timetz '00:00+00' + g.i * interval '1 second')",
    "interval": "(g.i * interval '1 second')",
    "json": "json_build_object('i', g.i)",
    "jsonb": "jsonb_build_object('i', g.i)",
    "bytea": "decode(md5(g.i::text), 'hex')",
    "inet": "('10.0.0.0'::inet + g.i)",
    "cidr": "('10.0.0.0'::inet + g.i)::cidr",
    "macaddr": "lpad(to_hex(g.i), 12, '0')::macaddr",
    "tsvector": "to_tsvector('simple', 'w' || g.i)",
    "point": "point(g.i, g.i)",
    "int4range": "int4range(g.i, g.i + 1)",
    "int8range": "int8range(g.i, g.i + 1)",
}


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type_sql: str
    base_name: str
    base_kind: str
    typmod: int
    elem_name: str | None
    elem_kind: str | None
    enum_sql: str | None
    not_null: bool
    has_default: bool
    server_filled: bool


@dataclass(frozen=True, slots=True)
class ForeignKey:
    child: int
    parent: int
    parent_schema: str
    parent_name: str
    name: str
    columns: tuple[str, ...]
    ref_columns: tuple[str, ...]
    parent_leaves: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TableInfo:
    oid: int
    schema: str
    name: str
    partition_constraint: str | None
    columns: tuple[Column, ...]
    fks: tuple[ForeignKey, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def value_expr(
    name: str, kind: str, typmod: int, enum_sql: str | None, rows: int = 1000
) -> str | None:
    """An expression of g.i (1..rows) of base type `name`, or None when there is none."""
    if kind == "e" and enum_sql:
        rng = f"enum_range(NULL::{enum_sql})"
        return f"({rng})[1 + g.i % array_length({rng}, 1)]"
    if name == "numeric":
        if typmod < 4:
            return _SAME
        precision, scale = ((typmod - 4) >> 16) & 0xFFFF, (typmod - 4) & 0xFFFF
        return f"(g.i % {10 ** (precision - scale)})" if precision > scale else "0"
    expr = _VALUES.get(name)
    return expr.replace("{n}", str(rows)) if expr else None


def column_expr(col: Column, rows: int = 1000) -> str | None:
    if col.elem_name is not None:
        elem = value_expr(col.elem_name, col.elem_kind or "b", -1, col.enum_sql, rows)
        expr = f"ARRAY[{elem}]" if elem else None
    else:
        expr = value_expr(col.base_name, col.base_kind, col.typmod, col.enum_sql, rows)
    return f"({expr})::{col.type_sql}" if expr else None


def read_tables(conn: Any) -> list[TableInfo]:
    rows = conn.execute(load_sql(_PKG, "fill_tables.sql")).fetchall()
    oids = [int(r[0]) for r in rows]
    cols: dict[int, list[Column]] = {o: [] for o in oids}
    fks: dict[int, list[ForeignKey]] = {o: [] for o in oids}
    if oids:
        for r in conn.execute(load_sql(_PKG, "fill_columns.sql"), {"oids": oids}).fetchall():
            cols[int(r[0])].append(Column(*r[1:]))
        for r in conn.execute(load_sql("pgwarden.db", "foreign_keys.sql"), {"oids": oids}):
            child, parent, pschema, pname, _, name, columns, ref_columns, _, leaves = r
            fks[int(child)].append(
                ForeignKey(
                    int(child),
                    int(parent),
                    pschema,
                    pname,
                    name,
                    tuple(columns),
                    tuple(ref_columns),
                    tuple(int(x) for x in leaves),
                )
            )
    return [
        TableInfo(int(o), nsp, name, pc, tuple(cols[int(o)]), tuple(fks[int(o)]))
        for o, nsp, name, pc in rows
    ]


def fill_order(tables: Sequence[TableInfo]) -> list[TableInfo]:
    """Referenced tables first (Kahn's algorithm); tables in a cycle follow in name order."""
    by_oid = {t.oid: t for t in tables}
    deps = {
        t.oid: {leaf for fk in t.fks for leaf in fk.parent_leaves if leaf in by_oid} - {t.oid}
        for t in tables
    }
    done: list[TableInfo] = []
    placed: set[int] = set()
    while len(done) < len(tables):
        ready = [t for t in tables if t.oid not in placed and deps[t.oid] <= placed]
        if not ready:  # a cycle: take the first remaining table, its FKs may get NULLs
            ready = [next(t for t in tables if t.oid not in placed)]
        for t in ready:
            placed.add(t.oid)
            done.append(t)
    return done


def insert_statement(t: TableInfo, rows: int) -> sql.Composed | str:
    """The INSERT ... SELECT generate_series for one table, or why it cannot be built.

    Each foreign key joins the referenced table numbered by row_number(), picking row
    `i mod count`: a real key for every generated row (NULL when the parent is empty).
    """
    fk_of: dict[str, tuple[int, int]] = {}
    for k, fk in enumerate(t.fks):
        for j, c in enumerate(fk.columns):
            fk_of.setdefault(c, (k, j))
    names: list[sql.Composable] = []
    exprs: list[sql.Composable] = []
    for col in t.columns:
        if col.server_filled:
            continue
        if col.name in fk_of:
            k, j = fk_of[col.name]
            expr: sql.Composable = sql.SQL("({}.{})::{}").format(
                sql.Identifier(f"fk{k}"), sql.Identifier(f"r{j}"), sql.SQL(col.type_sql)
            )
        else:
            text = column_expr(col, rows)
            if text is None:
                if col.not_null and not col.has_default:
                    return f"cannot generate values of type {col.type_sql} (column {col.name})"
                continue  # nullable or defaulted: left to the server
            expr = sql.SQL(text)
        names.append(sql.Identifier(col.name))
        exprs.append(sql.SQL("{} AS {}").format(expr, sql.Identifier(col.name)))
    joins = [
        sql.SQL(
            " LEFT JOIN (SELECT {refs}, row_number() OVER () - 1 AS rn FROM {parent}) AS {a}"
            " ON {a}.rn = g.i % (SELECT greatest(count(*), 1) FROM {parent})"
        ).format(
            refs=sql.SQL(", ").join(
                sql.SQL("{} AS {}").format(sql.Identifier(rc), sql.Identifier(f"r{j}"))
                for j, rc in enumerate(fk.ref_columns)
            ),
            parent=sql.Identifier(fk.parent_schema, fk.parent_name),
            a=sql.Identifier(f"fk{k}"),
        )
        for k, fk in enumerate(t.fks)
    ]
    where = sql.SQL(" WHERE " + t.partition_constraint) if t.partition_constraint else sql.SQL("")
    # No column to give (all filled by the server): an empty select list inserts defaults.
    cols = sql.SQL(" ({names}) SELECT {names}") if names else sql.SQL(" SELECT")
    return sql.SQL(
        "INSERT INTO {table}{cols} FROM"
        " (SELECT {exprs} FROM generate_series(1, {rows}) AS g(i){joins}) AS s{where}"
    ).format(
        table=sql.Identifier(t.schema, t.name),
        cols=cols.format(names=sql.SQL(", ").join(names)),
        exprs=sql.SQL(", ").join(exprs) if exprs else sql.SQL("g.i AS __row"),
        rows=sql.Literal(rows),
        joins=sql.SQL("").join(joins),
        where=where,
    )


def fill(conn: Any, rows: int, *, savepoints: bool) -> list[FillOut]:
    """Fill every user table with up to `rows` rows (fewer for partitions: rows outside the
    partition bound are dropped). `savepoints`: the session is inside the one transaction of a
    --dsn trace without --commit, so a rejected table is rolled back to a savepoint."""
    import psycopg

    out: list[FillOut] = []
    for t in fill_order(read_tables(conn)):
        stmt = insert_statement(t, rows)
        if isinstance(stmt, str):
            out.append(FillOut(t.qualified, 0, stmt))
            continue
        if savepoints:
            conn.execute("SAVEPOINT pgwarden_fill")
        try:
            cur = conn.execute(stmt)
        except psycopg.Error as exc:
            if savepoints:
                conn.execute("ROLLBACK TO SAVEPOINT pgwarden_fill")
            diag = exc.diag.message_primary or str(exc)
            out.append(FillOut(t.qualified, 0, diag.strip()))
            continue
        if savepoints:
            conn.execute("RELEASE SAVEPOINT pgwarden_fill")
        out.append(FillOut(t.qualified, max(cur.rowcount, 0)))
    if not savepoints and out:
        # Production tables are vacuumed and analysed: hint bits set, statistics present.
        conn.execute("VACUUM (ANALYZE)")
    return out
