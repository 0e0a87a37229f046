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
"""


def test_children_follow_copied_parents_and_keep_leaves_a_copy(source: Source) -> None:
    source.run(SCHEMA)
    before = source.fingerprint()
    options = RehearseOptions(
        source=source.dsn,
        command=("true",),
        sample_rows=20,
        tables=("parents", "children", "tree", "pair*", "public.items"),
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
            # The schema came along (constraints included) and sequences stand where the
            # source's do, so rows the migrations insert get fresh keys.
            fks = conn.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f'")
            assert fks.fetchone() == (3,)
            assert conn.execute("SELECT nextval('items_id_seq')").fetchone() == (51,)
    finally:
        stop_kept(copy.pid, copy.directory)
    assert source.fingerprint() == before
