"""Which tables the pending migrations touch: the lock model's relations, found on the source."""

from __future__ import annotations

from pathlib import Path

import psycopg
from psycopg import sql
from rehearse_support import Source, write

from pgwarden.config import LintConfig
from pgwarden.rehearse.source import open_source, read_source
from pgwarden.rehearse.touched import touched_tables

SCHEMA = """
CREATE SCHEMA ledger;
CREATE TABLE ledger.accounts (id int PRIMARY KEY, age text);
CREATE TABLE plain (id int PRIMARY KEY, note text);
CREATE TABLE untouched (id int);
CREATE TABLE events (id int, at date) PARTITION BY RANGE (at);
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE VIEW recent AS SELECT * FROM events;
"""
MIGRATION = """\
ALTER TABLE accounts ALTER COLUMN age TYPE integer USING age::integer;
UPDATE events SET at = at + 1;
CREATE TABLE fresh (id int);
ALTER TABLE fresh ADD COLUMN note text;
INSERT INTO fresh SELECT id, note FROM plain;
DO $$ BEGIN UPDATE untouched SET id = id + 1; END $$;
"""


def test_touched_tables_are_found_on_the_source(source: Source, tmp_path: Path) -> None:
    source.run(SCHEMA)
    with psycopg.connect(source.admin_dsn, autocommit=True) as conn:
        # Unqualified names resolve along the source's search_path, as the migration's would.
        conn.execute(
            sql.SQL("ALTER DATABASE {} SET search_path = ledger, public").format(
                sql.Identifier(source.name)
            )
        )
    path = write(tmp_path / "m", {"001.sql": MIGRATION}) / "001.sql"
    with open_source(source.dsn) as src:
        names = {t.oid: t.qualified for t in read_source(src).tables}
        touched = touched_tables(src.conn, [str(path)], LintConfig(), 18)
    found = {names[t.oid]: t.statement for t in touched.tables}
    assert found == {
        "ledger.accounts": "ALTER TABLE ALTER COLUMN TYPE",
        "public.events_2024": "UPDATE",
        "public.events_2025": "UPDATE",
        "public.plain": "INSERT",
    }
    reasons = {names[t.oid]: t.reason for t in touched.tables}
    assert reasons["ledger.accounts"] == f"ALTER TABLE ALTER COLUMN TYPE at {path}:1"
    assert reasons["public.events_2024"] == f"UPDATE at {path}:2"
    assert touched.unknown == (f"{path}:6",)  # the DO block: which tables, the model cannot say


CASCADE_SCHEMA = """
CREATE TABLE parent (id int PRIMARY KEY);
CREATE TABLE child (id int, parent_id int REFERENCES parent ON DELETE CASCADE);
CREATE TABLE bystander (id int);
"""


def test_the_source_schema_shows_tables_the_sql_does_not_name(
    source: Source, tmp_path: Path
) -> None:
    """With the source's pg_dump schema, a cascading delete touches the child table too."""
    from pgwarden.rehearse.dump import dump_schema

    source.run(CASCADE_SCHEMA)
    path = write(tmp_path / "m", {"001.sql": "DELETE FROM parent WHERE id < 10;\n"}) / "001.sql"
    with open_source(source.dsn) as src:
        names = {t.oid: t.qualified for t in read_source(src).tables}
        bare = touched_tables(src.conn, [str(path)], LintConfig(), 18)
        schema = dump_schema(source.cluster, source.dsn, None, "the source")
        full = touched_tables(src.conn, [str(path)], LintConfig(), 18, schema)
    assert {names[t.oid] for t in bare.tables} == {"public.parent"}
    assert {names[t.oid] for t in full.tables} == {"public.parent", "public.child"}
