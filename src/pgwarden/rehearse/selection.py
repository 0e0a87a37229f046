"""Which rows each table gets: every row, a sample following its parents' keys, or none.

Tables are placed parents first (Kahn's algorithm over the foreign keys). A table the pending
migrations touch is copied whole when the source holds fewer than `--whole-under` rows of it:
a data migration fails on one row anywhere in the table, and a sample misses it. Its parents
then get, besides their sample, every row it references (chosen on the source through the
chain of keys, see rows_sql.referenced), so the copy's keys hold. Every other table is
sampled, its rows restricted to those whose keys (single or composite) are NULL or point at a
parent row already copied. A self-reference, a cycle or a parent left out by `--tables`
cannot be followed by a sample: those keys are reported as not preserved.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pgwarden.rehearse.model import ForeignKey, TableStats
from pgwarden.rehearse.touched import Touch

SELF_REFERENCE = "self-reference"
CYCLE = "cycle of foreign keys"


@dataclass(frozen=True, slots=True)
class Referrer:
    """Rows of table `child` (copied whole, or referenced in turn) point here through `fk`."""

    fk: ForeignKey
    child: int


@dataclass(frozen=True, slots=True)
class Step:
    """One table to copy: whole or sampled, the keys its rows keep, those they may break."""

    table: TableStats
    whole: bool
    touch: Touch | None
    follow: tuple[ForeignKey, ...]  # keys kept (a sample is restricted to copied parents)
    broken: tuple[tuple[ForeignKey, str], ...]  # (foreign key, why it is not preserved)
    referrers: tuple[Referrer, ...] = ()
    remark: str = ""


@dataclass(frozen=True, slots=True)
class Selection:
    steps: tuple[Step, ...]  # in copy order
    skipped: tuple[tuple[TableStats, str], ...]  # no rows (not matched by --tables), and why

    def by_oid(self) -> dict[int, Step]:
        return {s.table.oid: s for s in self.steps}


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


def select(
    tables: Sequence[TableStats],
    fks: Sequence[ForeignKey],
    patterns: Sequence[str] = (),
    touched: Mapping[int, Touch] | None = None,
    whole_under: int = 0,
) -> Selection:
    """The copy order, which tables are whole, and which keys each table's rows keep."""
    touched = touched or {}
    selected = [t for t in order(tables, fks) if matches(t, patterns)]
    pos = {t.oid: i for i, t in enumerate(selected)}
    whole = {t.oid for t in selected if _whole(t, touched.get(t.oid), whole_under)}
    follow: dict[int, list[ForeignKey]] = {t.oid: [] for t in selected}
    broken: dict[int, list[tuple[ForeignKey, str]]] = {t.oid: [] for t in selected}
    for t in selected:
        for fk in (f for f in fks if f.child == t.oid):
            why = _why_not(fk, t, pos, whole)
            if why:
                broken[t.oid].append((fk, why))
            else:
                follow[t.oid].append(fk)
    referrers = _referrers(selected, follow, whole)
    steps = tuple(
        Step(
            t,
            t.oid in whole,
            touched.get(t.oid),
            tuple(follow[t.oid]),
            tuple(broken[t.oid]),
            tuple(referrers.get(t.oid, ())),
            _remark(t, touched.get(t.oid), whole_under, t.oid in whole),
        )
        for t in selected
    )
    skipped = tuple((t, _skipped(touched.get(t.oid))) for t in tables if t.oid not in pos)
    return Selection(steps, skipped)


def _whole(t: TableStats, touch: Touch | None, whole_under: int) -> bool:
    return touch is not None and t.rows is not None and t.rows < whole_under


def _remark(t: TableStats, touch: Touch | None, whole_under: int, whole: bool) -> str:
    if touch is None or whole:
        return ""
    if whole_under <= 0:
        return "not copied whole: --whole-under 0"
    if t.rows is None:
        return "not copied whole: its size is unknown (never analysed)"
    return f"not copied whole: ~{t.rows:,} rows, not under --whole-under {whole_under:,}"


def _skipped(touch: Touch | None) -> str:
    if touch is None:
        return "not matched by --tables"
    return f"touched by {touch.reason}, but not matched by --tables"


def _why_not(fk: ForeignKey, t: TableStats, pos: dict[int, int], whole: set[int]) -> str:
    leaves = set(fk.parent_leaves)
    if t.oid in whole and leaves and leaves <= whole:
        return ""  # every row on both sides: the key holds, cycles and self-references too
    if t.oid in leaves:
        return SELF_REFERENCE
    if not leaves or not leaves <= pos.keys():
        return "parent not copied (--tables)"
    if any(pos[leaf] > pos[t.oid] for leaf in leaves):
        return CYCLE
    return ""


def _referrers(
    selected: Sequence[TableStats], follow: dict[int, list[ForeignKey]], whole: set[int]
) -> dict[int, list[Referrer]]:
    """For each table, the tables whose copied rows need some of its rows besides its sample.

    Children come after their parents in `selected`, so walking it backwards settles a
    table's own referrers before it hands its needs on to its parents.
    """
    out: dict[int, list[Referrer]] = {}
    for t in reversed(selected):
        if t.oid not in whole and not out.get(t.oid):
            continue
        for fk in follow[t.oid]:
            for leaf in fk.parent_leaves:
                if leaf not in whole and leaf != t.oid:
                    out.setdefault(leaf, []).append(Referrer(fk, t.oid))
    return out
