"""`--sample-rows N`: copy up to N rows per table, parents first, children following their keys.

Tables are copied in topological order of their foreign keys. A child's rows are chosen among
those whose single-column foreign keys are NULL or hold a key already copied into the parent
(`WHERE fk = ANY(<copied keys>)`), so the copy's foreign keys hold. A composite key, a
self-reference, a cycle or a parent that gets no rows cannot be followed: that table takes its
first N rows and the report says the key is not preserved. Rows are loaded with
`session_replication_role = replica`: FK checks and user triggers stay off while loading (an
audit trigger must not fire for copied rows), and rows travel as COPY text, never parsed.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgwarden.rehearse.model import CopiedTable, ForeignKey, TableStats


@dataclass(frozen=True, slots=True)
class Step:
    """One table to copy and the foreign keys its sample can follow."""

    table: TableStats
    follow: tuple[ForeignKey, ...]
    broken: tuple[tuple[ForeignKey, str], ...]  # (foreign key, why it is not preserved)


def matches(t: TableStats, patterns: Sequence[str]) -> bool:
    """`--tables` patterns (shell-style, comma separated) match `schema.name` or `name`."""
    if not patterns:
        return True
    return any(
        fnmatch.fnmatchcase(t.qualified, p) or fnmatch.fnmatchcase(t.name, p) for p in patterns
    )


def order(tables: Sequence[TableStats], fks: Sequence[ForeignKey]) -> list[TableStats]:
    """Referenced tables first (Kahn's algorithm); in a cycle, the first remaining by name."""
    by_oid = {t.oid: t for t in tables}
    deps: dict[int, set[int]] = {t.oid: set() for t in tables}
    for fk in fks:
        if fk.child in deps:
            deps[fk.child] |= {leaf for leaf in fk.parent_leaves if leaf in by_oid} - {fk.child}
    done: list[TableStats] = []
    placed: set[int] = set()
    while len(done) < len(tables):
        ready = [t for t in tables if t.oid not in placed and deps[t.oid] <= placed]
        if not ready:
            ready = [next(t for t in tables if t.oid not in placed)]
        for t in ready:
            placed.add(t.oid)
            done.append(t)
    return done


def plan_steps(
    tables: Sequence[TableStats], fks: Sequence[ForeignKey], patterns: Sequence[str]
) -> list[Step]:
    """The copy order, and for each table which foreign keys its sample can follow."""
    selected = {t.oid for t in tables if matches(t, patterns)}
    copied: set[int] = set()
    steps = []
    for t in order(tables, fks):
        if t.oid not in selected:
            continue
        follow: list[ForeignKey] = []
        broken: list[tuple[ForeignKey, str]] = []
        for fk in (f for f in fks if f.child == t.oid):
            why = _why_not(fk, t, copied, selected)
            if why:
                broken.append((fk, why))
            else:
                follow.append(fk)
        copied.add(t.oid)
        steps.append(Step(t, tuple(follow), tuple(broken)))
    return steps


def _why_not(fk: ForeignKey, t: TableStats, copied: set[int], selected: set[int]) -> str:
    if len(fk.columns) != 1:
        return "composite key"
    if t.oid in fk.parent_leaves:
        return "self-reference"
    if not fk.parent_leaves or not set(fk.parent_leaves) <= selected:
        return "parent not copied (--tables)"
    if not set(fk.parent_leaves) <= copied:
        return "cycle of foreign keys"
    return ""


def copy_samples(
    source: Any,
    copy: Any,
    tables: Sequence[TableStats],
    fks: Sequence[ForeignKey],
    rows: int,
    patterns: Sequence[str],
) -> list[CopiedTable]:
    """Copy the sample from `source` (read-only transaction) into `copy` (autocommit)."""
    copy.execute("SET session_replication_role = replica")
    by_oid = {t.oid: t for t in tables}
    out: list[CopiedTable] = []
    steps = plan_steps(tables, fks, patterns)
    stepped = {s.table.oid for s in steps}
    for step in steps:
        out.append(_copy_table(source, copy, step, by_oid, rows))
    for t in tables:
        if t.oid not in stepped:
            note = "not matched by --tables"
            out.append(CopiedTable(t.qualified, "schema-only", 0, t.rows, note))
    copy.execute("RESET session_replication_role")
    return sorted(out, key=lambda c: c.table)


def _keys(copy: Any, fk: ForeignKey, by_oid: dict[int, TableStats]) -> list[str]:
    """The referenced column's values copied so far, as text (from every leaf of the parent)."""
    keys: list[str] = []
    for leaf in fk.parent_leaves:
        parent = by_oid[leaf]
        query = sql.SQL("SELECT DISTINCT {col}::text FROM ONLY {t} WHERE {col} IS NOT NULL").format(
            col=sql.Identifier(fk.ref_columns[0]), t=sql.Identifier(parent.schema, parent.name)
        )
        keys += [str(r[0]) for r in copy.execute(query).fetchall()]
    return keys


def select_statement(
    step: Step, rows: int, keys: dict[str, list[str]] | None = None
) -> sql.Composed:
    """`SELECT cols FROM ONLY t [WHERE fk IS NULL OR fk = ANY(keys)] LIMIT n`.

    The keys are inlined as one array literal (COPY takes no parameters); they come from the
    copy, are passed as a quoted literal and cast to the referenced column's type.
    """
    t = step.table
    conds = [
        sql.SQL("({col} IS NULL OR {col} = ANY({keys}::{typ}[]))").format(
            col=sql.Identifier(fk.columns[0]),
            keys=sql.Literal((keys or {}).get(fk.name, [])),
            typ=sql.SQL(fk.ref_types[0]),
        )
        for fk in step.follow
    ]
    where = sql.SQL(" WHERE ") + sql.SQL(" AND ").join(conds) if conds else sql.SQL("")
    return sql.SQL("SELECT {cols} FROM ONLY {t}{where} LIMIT {n}").format(
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in t.columns),
        t=sql.Identifier(t.schema, t.name),
        where=where,
        n=sql.Literal(rows),
    )


def _copy_table(
    source: Any, copy: Any, step: Step, by_oid: dict[int, TableStats], rows: int
) -> CopiedTable:
    t = step.table
    if not t.columns:
        return CopiedTable(t.qualified, "schema-only", 0, t.rows, "no column COPY can write")
    keys = {fk.name: _keys(copy, fk, by_oid) for fk in step.follow}
    query = sql.SQL("COPY ({}) TO STDOUT").format(select_statement(step, rows, keys))
    target = sql.SQL("COPY {t} ({cols}) FROM STDIN").format(
        t=sql.Identifier(t.schema, t.name),
        cols=sql.SQL(", ").join(sql.Identifier(c) for c in t.columns),
    )
    with source.cursor() as out_cur, copy.cursor() as in_cur:
        with out_cur.copy(query) as out, in_cur.copy(target) as into:
            for block in out:
                into.write(block)
        copied = max(in_cur.rowcount, 0)
    return _described(step, copied, rows)


def _described(step: Step, copied: int, rows: int) -> CopiedTable:
    t = step.table
    notes = [f"{fk.name} -> {fk.parent_name} followed" for fk in step.follow]
    notes += [f"{fk.name} -> {fk.parent_name} not followed: {why}" for fk, why in step.broken]
    if step.broken:
        how = "fk-not-preserved"
    elif step.follow:
        how = "fk"
    elif copied < rows:
        how = "all"
    else:
        how = "sampled"
    return CopiedTable(t.qualified, how, copied, t.rows, "; ".join(notes))
