"""Sampling keeps foreign keys satisfied where it can, says where it cannot; --keep keeps."""

from __future__ import annotations

import psycopg
from rehearse_support import Source, stop_kept

from pgwarden.rehearse import RehearseOptions, rehearse

SCHEMA = """
CREATE TABLE parents (id int PRIMARY KEY, name text);
CREATE TABLE children (id int PRIMARY KEY, parent_id int REFERENCES parents, note text);
CREATE TABLE tree (id int PRIMARY KEY, up int REFERENCES tree);
CREATE TABLE pairs (a int, b int, PRIMARY KEY (a, b));
CREATE TABLE pair_refs (id int, a int, b int, FOREIGN KEY (a, b) REFERENCES pairs);
CREATE TABLE items (id serial PRIMARY KEY);
CREATE TABLE logs (id int);
CREATE SCHEMA "Sales";
CREATE TABLE "Sales"."Order Items" (id int, "Parent" int REFERENCES parents);
CREATE TABLE events (id int, parent_id int REFERENCES parents, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
-- Parents are read first in physical order, so the first 20 are ids 1..20; children are
-- spread over all 200 parents, one in ten without a parent.
INSERT INTO parents SELECT g, 'p' || g FROM generate_series(1, 200) g;
INSERT INTO children
SELECT g, CASE WHEN g % 10 = 0 THEN NULL ELSE 1 + (g * 37) % 200 END, 'c'
FROM generate_series(1, 2000) g;
INSERT INTO tree SELECT g, nullif(g - 1, 0) FROM generate_series(1, 100) g;
INSERT INTO pairs SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO pair_refs SELECT g, 1 + g % 100, 1 + g % 100 FROM generate_series(1, 100) g;
INSERT INTO items SELECT FROM generate_series(1, 50);
INSERT INTO logs SELECT generate_series(1, 100);
INSERT INTO "Sales"."Order Items" SELECT g, 1 + (g * 37) % 200 FROM generate_series(1, 500) g;
INSERT INTO events
SELECT g, 1 + (g * 37) % 200, date '2024-01-01' + g % 700 FROM generate_series(1, 2000) g;
"""
FKS = "SELECT count(*) FROM pg_constraint WHERE contype = 'f'"


def test_children_follow_copied_parents_and_keep_leaves_a_copy(source: Source) -> None:
    source.run(SCHEMA)
    before = source.fingerprint()
    with psycopg.connect(source.admin_dsn) as conn:
        source_fks = conn.execute(FKS).fetchone()
    options = RehearseOptions(
        source=source.dsn,
        command=("true",),
        sample_rows=20,
        tables=("parents", "children", "tree", "pair*", "public.items", "Sales.*", "events_*"),
        keep=True,
    )
    result = rehearse(options)
    copy = result.copy
    assert copy.kept and copy.pid is not None
    try:
        how = {t.table: t.how for t in copy.tables}
        assert how == {
            "public.parents": "sampled",
            "public.children": "fk",
            "public.tree": "fk-not-preserved",
            "public.pairs": "sampled",
            "public.pair_refs": "fk-not-preserved",
            "public.items": "sampled",
            "public.logs": "schema-only",
            "Sales.Order Items": "fk",
            "public.events_2024": "fk",
            "public.events_2025": "fk",
        }
        notes = {t.table: t.note for t in copy.tables}
        assert "self-reference" in notes["public.tree"]
        assert "composite key" in notes["public.pair_refs"]
        assert "Sup3r" not in copy.dsn
        with psycopg.connect(copy.dsn) as conn:
            count = conn.execute("SELECT count(*) FROM parents").fetchone()
            assert count == (20,)
            kids, orphans, without = conn.execute(
                "SELECT count(*),"
                " count(*) FILTER (WHERE parent_id IS NOT NULL AND NOT EXISTS"
                "   (SELECT 1 FROM parents p WHERE p.id = c.parent_id)),"
                " count(*) FILTER (WHERE parent_id IS NULL)"
                " FROM children c"
            ).fetchone()
            assert kids == 20 and orphans == 0 and 0 < without < 20
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
