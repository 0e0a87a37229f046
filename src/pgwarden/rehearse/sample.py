"""`--sample-rows N`: tables the migrations touch copied whole, the others sampled, keys kept.

selection.py decides what each table gets; this module reads it from the source and writes
it into the copy, parents first. A sample is spread over the whole table, never its first
pages: a data migration fails on one row anywhere, and physical order puts the oldest rows
first. Small tables (under SYSTEM_MIN_PAGES, or at most SYSTEM_RATIO times the sample) are
read whole and N rows kept in the order of a seeded hash of their position; larger ones are
read through `TABLESAMPLE SYSTEM (p) REPEATABLE (seed)`, which reads only p% of their pages
(https://www.postgresql.org/docs/current/sql-select.html#SQL-FROM), p grown until the sample
holds N rows, and the same hash picks among them. The seed is reported: the same seed on the
same table contents draws the same rows.

Rows are loaded with `session_replication_role = replica`: FK checks and user triggers stay
off while loading (an audit trigger must not fire for copied rows), and rows travel as COPY
text, never parsed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from psycopg import sql

from pgwarden.rehearse import rows_sql
from pgwarden.rehearse.model import CopiedTable, ForeignKey, KeyNote, Sampling, TableStats
from pgwarden.rehearse.selection import CYCLE, SELF_REFERENCE, Step, select
from pgwarden.rehearse.touched import Touch

PAGE = 8192
# Below this many pages (8 MB) reading the whole table costs less than sampling it right.
SYSTEM_MIN_PAGES = 1024
# TABLESAMPLE SYSTEM only when the table holds more than this many times the sample.
SYSTEM_RATIO = 4
OVERSAMPLE = 2.0  # read pages for twice the rows wanted, so the hash has some to choose from
FIRST_GUESS_PERCENT = 1.0  # a table never analysed has no row count to aim by


@dataclass(frozen=True, slots=True)
class SampleSpec:
    rows: int
    seed: int
    patterns: tuple[str, ...] = ()
    whole_under: int = 0  # tables the migrations touch are copied whole below this many rows
    touched: Mapping[int, Touch] = field(default_factory=dict)


def copy_samples(
    source: Any,
    copy: Any,
    tables: Sequence[TableStats],
    fks: Sequence[ForeignKey],
    spec: SampleSpec,
) -> list[CopiedTable]:
    """Copy from `source` (read-only transaction) into `copy` (autocommit), parents first."""
    selection = select(tables, fks, spec.patterns, spec.touched, spec.whole_under)
    steps = selection.by_oid()
    copier = _Copier(source, copy, steps, {t.oid: t for t in tables}, spec)
    copy.execute("SET session_replication_role = replica")
    done = [(s, copier.step(s)) for s in selection.steps]
    copy.execute("RESET session_replication_role")
    out = [copier.settle(s, c) for s, c in done]
    out += [
        CopiedTable(t.qualified, "schema-only", 0, t.rows, remark=why)
        for t, why in selection.skipped
    ]
    return sorted(out, key=lambda c: c.table)


class _Copier:
    def __init__(
        self,
        source: Any,
        copy: Any,
        steps: dict[int, Step],
        tables: dict[int, TableStats],
        spec: SampleSpec,
    ) -> None:
        self.source = source
        self.copy = copy
        self.steps = steps
        self.tables = tables
        self.spec = spec
        self.complete: set[int] = set()  # tables holding every row of the source's

    def step(self, step: Step) -> CopiedTable:
        t = step.table
        touched = step.touch.reason if step.touch else ""
        kept = tuple(_note(fk, "") for fk in step.follow)
        broken = tuple(_note(fk, why) for fk, why in step.broken)
        if not t.columns:
            remark = "no column COPY can write"
            return CopiedTable(t.qualified, "schema-only", 0, t.rows, touched, remark=remark)
        if step.whole:
            n = self._copy(t, rows_sql.rows(t))
            self.complete.add(t.oid)
            return CopiedTable(t.qualified, "whole", n, t.rows, touched, None, kept, broken)
        need = rows_sql.referenced(step, self.steps)
        referenced = self._copy(t, rows_sql.rows(t, [need])) if need is not None else 0
        where: list[sql.Composable] = [
            rows_sql.key_filter(fk, self._keys(fk))
            for fk in step.follow
            if not set(fk.parent_leaves) <= self.complete  # a parent copied in full needs none
        ]
        restricted = bool(where)
        if need is not None:
            where.append(rows_sql.not_(need))  # already copied
        sampling, n = self._sample(t, where)
        how = "sampled"
        if not restricted and n < self.spec.rows:
            self.complete.add(t.oid)  # no key restricted it and fewer rows than asked: all
            how = "all"
        referrers = tuple(dict.fromkeys(self.tables[r.child].qualified for r in step.referrers))
        return CopiedTable(
            t.qualified,
            how,
            n + referenced,
            t.rows,
            touched,
            sampling if how == "sampled" else None,
            kept,
            broken,
            referenced,
            referrers,
            step.remark,
        )

    def settle(self, step: Step, c: CopiedTable) -> CopiedTable:
        """Keys a sample could not follow (a self-reference, a cycle) still hold when their
        parent ended up with every row of the source's (a small table copied whole)."""
        held = {
            fk.name
            for fk, why in step.broken
            if why in (SELF_REFERENCE, CYCLE) and set(fk.parent_leaves) <= self.complete
        }
        if not held:
            return c
        return replace(
            c,
            kept=c.kept
            + tuple(KeyNote(k.name, k.parent) for k in c.not_preserved if k.name in held),
            not_preserved=tuple(k for k in c.not_preserved if k.name not in held),
        )

    def _sample(self, t: TableStats, where: Sequence[sql.Composable]) -> tuple[Sampling, int]:
        n, seed = self.spec.rows, self.spec.seed
        pages = t.size_bytes // PAGE
        if pages < SYSTEM_MIN_PAGES or (t.rows and t.rows <= SYSTEM_RATIO * n):
            copied = self._copy(t, rows_sql.rows(t, where, seed=seed, limit=n))
            return Sampling("random", seed), copied
        percent = self._percent(t, where)
        copied = self._copy(t, rows_sql.rows(t, where, percent=percent, seed=seed, limit=n))
        return Sampling("system", seed, percent), copied

    def _percent(self, t: TableStats, where: Sequence[sql.Composable]) -> float:
        """The share of pages whose rows hold at least N rows passing `where` (or 100)."""
        n, seed = self.spec.rows, self.spec.seed
        percent = min(100.0, 100 * OVERSAMPLE * n / t.rows) if t.rows else FIRST_GUESS_PERCENT
        while True:
            row = self.source.execute(rows_sql.count(t, where, percent, seed, n)).fetchone()
            got = int(row[0])
            if got >= n or percent >= 100.0:
                return percent
            grow = OVERSAMPLE * n / got if got else 10.0
            percent = min(100.0, percent * max(2.0, grow))

    def _keys(self, fk: ForeignKey) -> list[tuple[str, ...]]:
        """The referenced columns' values copied so far, as text, from every leaf of the parent."""
        keys: list[tuple[str, ...]] = []
        for leaf in fk.parent_leaves:
            parent = self.tables[leaf]
            cols = [sql.Identifier(c) for c in fk.ref_columns]
            query = sql.SQL("SELECT DISTINCT {text} FROM ONLY {t} WHERE {set}").format(
                text=sql.SQL(", ").join(sql.SQL("{}::text").format(c) for c in cols),
                t=sql.Identifier(parent.schema, parent.name),
                set=sql.SQL(" AND ").join(sql.SQL("{} IS NOT NULL").format(c) for c in cols),
            )
            keys += [tuple(str(v) for v in r) for r in self.copy.execute(query).fetchall()]
        return keys

    def _copy(self, t: TableStats, select: sql.Composable) -> int:
        """Stream the rows `select` picks on the source into the same table of the copy."""
        query = sql.SQL("COPY ({}) TO STDOUT").format(select)
        target = sql.SQL("COPY {t} ({cols}) FROM STDIN").format(
            t=sql.Identifier(t.schema, t.name),
            cols=sql.SQL(", ").join(sql.Identifier(c) for c in t.columns),
        )
        with self.source.cursor() as out_cur, self.copy.cursor() as in_cur:
            with out_cur.copy(query) as out, in_cur.copy(target) as into:
                for block in out:
                    into.write(block)
            return max(int(in_cur.rowcount), 0)


def _note(fk: ForeignKey, why: str) -> KeyNote:
    return KeyNote(fk.name, fk.parent_name, why)
