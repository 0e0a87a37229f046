"""Sampling spreads over each table, keeps foreign keys (composite ones too) where it can, says
where it cannot, draws the same rows again from the same seed; --keep keeps."""

from __future__ import annotations

from pathlib import Path

import psycopg
from rehearse_support import Source, stop_kept, write

from pgwarden.rehearse import RehearseOptions, rehearse, rows_sql
from pgwarden.rehearse.source import open_source, read_source

SCHEMA = """
CREATE TABLE parents (id int PRIMARY KEY, name text);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents, note text);
CREATE TABLE tree (id int PRIMARY KEY, up int REFERENCES tree);
CREATE TABLE small_tree (id int PRIMARY KEY, up int REFERENCES small_tree);
CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE pair_refs (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE pair_notes (a int, b int, note text, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE items (id serial PRIMARY KEY);
CREATE TABLE logs (id int);
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Items" (id int, "Parent" int REFERENCES parents);
CREATE TABLE events (id int, parent_id int REFERENCES parents, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- Children are spread over all 200 parents, one in ten without a parent.
INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 200) g;
INSERT INTO children
SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (g * 37) % 200 END, 'c'
FROM generate_series(1, 2000) g;
INSERT INTO tree SELECT g, nullif(g - 1, 0) FROM generate_series(1, 100) g;
INSERT INTO small_tree SELECT g, nullif(g - 1, 0) FROM generate_series(1, 5) g;
INSERT INTO pairs SELECT g, g FROM generate_series(1, 100) g;
-- Every pair referenced once, and (1, NULL): a NULL leaves a key unchecked.
INSERT INTO pair_refs SELECT g, 1 + g % 100, 1 + g % 100 FROM generate_series(1, 100) g;
INSERT INTO pair_refs SELECT 100 + g, 1, NULL FROM generate_series(1, 5) g;
-- The migration touches pair_notes, whose 30 rows point at the last 10 pairs.
INSERT INTO pair_notes SELECT 91 + g % 10, 91 + g % 10, 'n' FROM generate_series(1, 30) g;
INSERT INTO items SELECT FROM generate_series(1, 50);
INSERT INTO logs SELECT generate_series(1, 100);
INSERT INTO "Sales"."Order Items" SELECT g, 1 + (g * 37) % 200 FROM generate_series(1, 500) g;
INSERT INTO events
SELECT g, 1 + (g * 37) % 200, date '2024-01-01' + g % 700 FROM generate_series(1, 2000) g;
"""
FKS = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"
TOUCH = "UPDATE pair_notes SET note = upper(note);\n"


def test_children_follow_copied_parents_and_keep_leaves_a_copy(
    source: Source, tmp_path: Path
) -> None:
    source.run(SCHEMA)
    before = source.fingerprint()
    with psycopg.connect(source.admin_dsn) as conn:
        source_fks = conn.execute(FKS).fetchone()
    options = RehearseOptions(
        source=source.dsn,
        migrations=(str(write(tmp_path / "m", {"001.sql": TOUCH})),),
        command=("true",),
        sample_rows=20,
        tables=("parents", "children", "*tree", "pair*", "public.items", "Sales.*", "events_*"),
        keep=True,
        seed=7,
    )
    result = rehearse(options)
    copy = result.copy
    assert copy.kept and copy.pid is not None
    try:
        how = {t.table: t.how for t in copy.tables}
        assert how == {
            "public.parents": "sampled",
            "public.children": "sampled",
            "public.tree": "sampled",
            "public.small_tree": "all",
            "public.pairs": "sampled",
            "public.pair_refs": "sampled",
            "public.pair_notes": "whole",
            "public.items": "sampled",
            "public.logs": "schema-only",
            "Sales.Order Items": "sampled",
            "public.events_2024": "sampled",
            "public.events_2025": "sampled",
        }
        by_name = {t.table: t for t in copy.tables}
        kept = {t.table: [k.name for k in t.kept] for t in copy.tables if t.kept}
        assert kept == {
            "public.children": ["children_parent_id_fkey"],
            "public.pair_refs": ["pair_refs_a_b_fkey"],
            "public.pair_notes": ["pair_notes_a_b_fkey"],
            # Every row copied: its self-reference holds (unlike tree's, sampled).
            "public.small_tree": ["small_tree_up_fkey"],
            "Sales.Order Items": ["Order Items_Parent_fkey"],
            "public.events_2024": ["events_parent_id_fkey"],
            "public.events_2025": ["events_parent_id_fkey"],
        }
        broken = {t.table: t.not_preserved for t in copy.tables if t.not_preserved}
        assert list(broken) == ["public.tree"]
        assert [(k.name, k.why) for k in broken["public.tree"]] == [
            ("tree_up_fkey", "self-reference")
        ]
        assert "not preserved, loaded with FK checks off" in by_name["public.tree"].note
        assert by_name["public.logs"].remark == "not matched by --tables"
        # The pairs pair_notes points at came along with the sample (composite key).
        pairs = by_name["public.pairs"]
        assert (pairs.rows, pairs.referenced, pairs.referenced_by) == (
            30,
            10,
            ("public.pair_notes",),
        )
        seeds = {t.sampling.seed for t in copy.tables if t.sampling is not None}
        assert seeds == {copy.seed} and copy.seed is not None
        assert (
            result.warnings and "cannot read the migrations a command runs" in (result.warnings[-1])
        )
        assert "Sup3r" not in copy.dsn
        with psycopg.connect(copy.dsn) as conn:
            count, high = conn.execute("SELECT count(*), max(id) FROM parents").fetchone()
            assert count == 20 and high > 100  # spread over the table, not its first rows
            kids, orphans, without = conn.execute(
                "SELECT count(*),"
                " count(*) FILTER (WHERE parent_id IS NOT NULL AND NOT EXISTS"
                "   (SELECT 1 FROM parents p WHERE p.id = c.parent_id)),"
                " count(*) FILTER (WHERE parent_id IS NULL)"
                " FROM children c"
            ).fetchone()
            assert kids == 20 and orphans == 0 and 0 < without < 20
            # Composite keys: every (a, b) is a copied pair, or has a NULL.
            refs, orphans, partial = conn.execute(
                "SELECT count(*),"
                " count(*) FILTER (WHERE b IS NOT NULL AND NOT EXISTS"
                "   (SELECT 1 FROM pairs p WHERE (p.a, p.b) = (r.a, r.b))),"
                " count(*) FILTER (WHERE b IS NULL)"
                " FROM pair_refs r"
            ).fetchone()
            assert refs == 20 and orphans == 0 and partial > 0  # NULLs pass the filter
            notes, orphans = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE NOT EXISTS"
                "   (SELECT 1 FROM pairs p WHERE (p.a, p.b) = (n.a, n.b)))"
                " FROM pair_notes n"
            ).fetchone()
            assert (notes, orphans) == (30, 0)
            assert conn.execute("SELECT count(*) FROM logs").fetchone() == (0,)
            for table, column in (('"Sales"."Order Items"', '"Parent"'), ("events", "parent_id")):
                rows, orphans = conn.execute(
                    f"SELECT count(*), count(*) FILTER (WHERE NOT EXISTS"
                    f" (SELECT 1 FROM parents p WHERE p.id = t.{column})) FROM {table} AS t"
                ).fetchone()
                assert rows > 0 and orphans == 0, table
            # The schema came along (constraints included) and sequences stand where the
            # source's do, so rows the migrations insert get fresh keys.
            assert conn.execute(FKS).fetchone() == source_fks
            assert conn.execute("SELECT nextval('items_id_seq')").fetchone() == (51,)
    finally:
        stop_kept(copy.pid, copy.directory)
    assert source.fingerprint() == before


def test_the_same_seed_draws_the_same_rows(source: Source) -> None:
    source.run(SCHEMA)
    with open_source(source.dsn) as src:
        parents = next(t for t in read_source(src).tables if t.name == "parents")

        def drawn(seed: int, percent: float | None = None) -> list[int]:
            query = rows_sql.rows(parents, percent=percent, seed=seed, limit=20)
            return [int(r[0]) for r in src.conn.execute(query).fetchall()]

        first = drawn(7)
        assert len(set(first)) == 20 and max(first) > 100
        assert drawn(7) == first
        assert drawn(8) != first
        assert drawn(7, percent=100.0) == first  # every page, then the same hash
