"""The catalog names unnamed indexes and constraints as real servers do (catalog/names.py).

Each script runs on a throwaway database; the index and constraint names the server chose,
per table, must be the ones the catalog gives after applying the same statements.
"""

from __future__ import annotations

from typing import Any

import pytest

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.sql import ParsedFile, SqlSource, parse_source

LONG_TABLE = "a_table_name_that_is_long_enough_to_need_shortening_abcdefghij"  # 62 bytes
LONG_COLUMN = "a_column_name_long_enough_to_matter_too_abcdefghijkl"
UNICODE_TABLE = "tabelle_" + "ü" * 27  # 62 bytes: shortening must not split a character

SCRIPTS = {
    "plain": """
        CREATE TABLE t (a int, b int, c text);
        CREATE INDEX ON t (a);
        CREATE INDEX ON t (a);
        CREATE INDEX ON t (a, b);
        CREATE INDEX ON t (lower(c));
        CREATE INDEX ON t (lower(c), upper(c));
        CREATE UNIQUE INDEX ON t (b) INCLUDE (c);
        CREATE INDEX ON t (a) WHERE b > 0;
    """,
    "expressions": """
        CREATE TABLE e (a int, b int, c text, d jsonb);
        CREATE INDEX ON e ((a::text));
        CREATE INDEX ON e ((a + b));
        CREATE INDEX ON e ((CASE WHEN a > 0 THEN c END));
        CREATE INDEX ON e (coalesce(a, b));
        CREATE INDEX ON e ((lower(c)::varchar));
        CREATE INDEX ON e ((a), (b));
        CREATE INDEX ON e ((d -> 'k'));
        CREATE INDEX ON e (greatest(a, b), least(a, b));
        CREATE INDEX ON e (nullif(a, b));
        CREATE INDEX ON e ((c COLLATE "C"));
        CREATE INDEX ON e (lower(c), lower(c));
        ALTER TABLE e ADD CHECK (a > 0), ADD CHECK (a < 10), ADD CHECK (a + b > 0);
    """,
    "renames": """
        CREATE TABLE r (id int PRIMARY KEY, a int UNIQUE, b int);
        ALTER INDEX r_pkey RENAME TO r_pk;
        ALTER TABLE r RENAME CONSTRAINT r_a_key TO r_a_unique;
        ALTER TABLE r ADD UNIQUE (a);
        ALTER TABLE r ADD UNIQUE (b);
        ALTER INDEX r_b_key RENAME TO r_b_key_old;
        ALTER TABLE r ADD UNIQUE (b);
        CREATE TABLE pr (id int PRIMARY KEY, a int) PARTITION BY RANGE (id);
        CREATE TABLE pr1 PARTITION OF pr FOR VALUES FROM (0) TO (10);
        CREATE INDEX pr_a ON pr (a);
        ALTER INDEX pr_a RENAME TO pr_a_renamed;
        CREATE TABLE pr2 PARTITION OF pr FOR VALUES FROM (10) TO (20);
    """,
    "drop-column": """
        CREATE TABLE dc (id int PRIMARY KEY, a int UNIQUE, b int, c int, CHECK (a > b));
        CREATE INDEX ON dc (a, b);
        CREATE INDEX ON dc (b);
        CREATE INDEX ON dc (c);
        ALTER TABLE dc DROP COLUMN id, ADD PRIMARY KEY (a);
        ALTER TABLE dc DROP COLUMN b;
        CREATE INDEX ON dc (a);
        CREATE INDEX ON dc (c);
    """,
    "taken-by-a-table": """
        CREATE TABLE t (a int);
        CREATE TABLE t_a_idx (x int);
        CREATE INDEX ON t (a);
    """,
    "long": f"""
        CREATE TABLE {LONG_TABLE} ({LONG_COLUMN} int, b int);
        CREATE INDEX ON {LONG_TABLE} ({LONG_COLUMN});
        CREATE INDEX ON {LONG_TABLE} ({LONG_COLUMN});
        CREATE INDEX ON {LONG_TABLE} (b, {LONG_COLUMN});
        ALTER TABLE {LONG_TABLE} ADD UNIQUE ({LONG_COLUMN}, b);
        CREATE TABLE {UNICODE_TABLE} (id int PRIMARY KEY, b int UNIQUE);
        CREATE INDEX ON {UNICODE_TABLE} (b);
    """,
    "constraints": """
        CREATE TABLE u (
            id int PRIMARY KEY,
            a int UNIQUE,
            b int,
            c int CHECK (c > 0),
            CHECK (a > b),
            CHECK (b > 0),
            UNIQUE (a, b),
            UNIQUE (a, b),
            EXCLUDE USING btree (b WITH =)
        );
        ALTER TABLE u ADD UNIQUE (c);
        ALTER TABLE u ADD CHECK (c < 100);
        ALTER TABLE u ADD COLUMN d int UNIQUE;
        CREATE TABLE v (
            id int,
            u_id int REFERENCES u,
            x int,
            y int,
            FOREIGN KEY (x) REFERENCES u (id),
            FOREIGN KEY (x, y) REFERENCES u (a, b)
        );
        ALTER TABLE v ADD FOREIGN KEY (u_id) REFERENCES u;
        ALTER TABLE v ADD PRIMARY KEY (id);
    """,
    "partitions": """
        CREATE TABLE p (id int, a int, b text, PRIMARY KEY (id)) PARTITION BY RANGE (id);
        CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
        CREATE INDEX ON p (a);
        CREATE INDEX p_b_named ON p (b);
        CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (10) TO (20);
        CREATE TABLE p3 (id int NOT NULL, a int, b text);
        CREATE INDEX p3_mine ON p3 (a);
        ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30);
        CREATE TABLE p4 PARTITION OF p FOR VALUES FROM (30) TO (40) PARTITION BY RANGE (id);
        CREATE TABLE p4a PARTITION OF p4 FOR VALUES FROM (30) TO (35);
        CREATE INDEX ON p (a, b);
        CREATE INDEX ON ONLY p (b, a);
        ALTER TABLE p DETACH PARTITION p2;
        CREATE INDEX ON p (lower(b));
        DROP INDEX p_a_b_idx;
    """,
}

_SERVER_NAMES = """
SELECT c.relname, 'index', i.relname
FROM pg_index x
JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class c ON c.oid = x.indrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public'
UNION ALL
SELECT c.relname, 'constraint', k.conname
FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND k.contype IN ('p', 'u', 'x', 'c', 'f')
"""


def _catalog_names(sql: str) -> set[tuple[str, str, str]]:
    parsed = parse_source(SqlSource("names.sql", None, sql))
    assert isinstance(parsed, ParsedFile), parsed
    cat = Catalog()
    for st in parsed.statements:
        apply_statement(st.node, cat, True)
    out = {(i.table.name, "index", i.name.name) for i in cat.indexes.values()}
    for t in cat.tables.values():
        out |= {(t.name.name, "constraint", name) for name in t.constraints}
    return out


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_unnamed_objects_get_the_servers_names(db: Any, script: str) -> None:
    sql = SCRIPTS[script]
    with db.connect(autocommit=True) as conn:
        conn.execute(sql)
        server = {tuple(row) for row in conn.execute(_SERVER_NAMES).fetchall()}
    ours = _catalog_names(sql)
    assert ours == server, (sorted(ours - server), sorted(server - ours))
