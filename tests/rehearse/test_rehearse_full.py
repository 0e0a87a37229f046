"""`rehearse --full`: every row of every table copied, a failing migration reported with its
row, a passing one before it, the source untouched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from rehearse_support import PASSWORD, Source, pgwarden, stop_kept, write

from pgwarden.rehearse import EXIT_FAILED

# `events` has more rows than a sample takes (10,000 by default) and no migration touches it
# (`users` is touched, so it would be copied whole anyway): only --full copies all of events.
# One user's age does not cast to integer.
ROWS = """
CREATE TABLE users (id int PRIMARY KEY, age text);
INSERT INTO users SELECT g, (20 + g % 50)::text FROM generate_series(1, 3000) g;
UPDATE users SET age = 'forty' WHERE id = 2500;
CREATE TABLE events (id int PRIMARY KEY, user_id int REFERENCES users, payload text);
INSERT INTO events SELECT g, 1 + g % 3000, 'p' || g FROM generate_series(1, 15000) g;
ANALYZE;
"""
MIGRATIONS = {
    "001_index.sql": "CREATE INDEX users_age_idx ON users (age);\n",
    "002_age.sql": "ALTER TABLE users ALTER COLUMN age TYPE integer USING age::integer;\n",
}


def _table_sums(dsn: str) -> dict[str, tuple[Any, ...] | None]:
    """Row count and a checksum of the rows of each user table (as Source.fingerprint)."""
    out: dict[str, tuple[Any, ...] | None] = {}
    with psycopg.connect(dsn, autocommit=True) as conn:
        tables = conn.execute(
            "SELECT n.nspname, c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN "
            "('pg_catalog', 'information_schema', 'pg_toast', 'pgwarden') ORDER BY 1, 2"
        ).fetchall()
        for schema, name in tables:
            q = sql.SQL(
                "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), ''))"
                " FROM {} AS t"
            ).format(sql.Identifier(schema, name))
            out[f"{schema}.{name}"] = conn.execute(q).fetchone()
    return out


def test_full_copies_every_row_and_reports_the_failing_row(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    before = source.fingerprint()
    mig = write(tmp_path / "m", MIGRATIONS)
    done = pgwarden(
        "rehearse", str(mig), "--from", source.dsn, "--full", "--format", "json", "--keep"
    )
    assert done.returncode == EXIT_FAILED, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    out = json.loads(done.stdout)
    copy = out["copy"]
    try:
        copied = _table_sums(copy["dsn"])
        with psycopg.connect(copy["dsn"]) as conn:
            # 001 ran on the copy and stayed; 002 was rolled back.
            assert conn.execute("SELECT to_regclass('users_age_idx')").fetchone() == (
                "users_age_idx",
            )
            typ = "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
            typ += "WHERE attrelid = 'users'::regclass AND attname = 'age'"
            assert conn.execute(typ).fetchone() == ("text",)
    finally:
        stop_kept(copy["pid"], copy["directory"])
    # Every row of every table, the untouched one over the sample size included.
    assert copied == {k: v for k, v in before.items() if k != "schema"}
    assert copied["public.events"] is not None and copied["public.events"][0] == 15000
    tables = {t["table"]: t for t in copy["tables"]}
    assert {t: (v["how"], v["rows"]) for t, v in tables.items()} == {
        "public.users": ("full", 3000),
        "public.events": ("full", 15000),
    }
    index, age = out["files"]
    assert index["path"].endswith("001_index.sql") and index["error"] is None
    assert age["path"].endswith("002_age.sql")
    assert 'invalid input syntax for type integer: "forty"' in age["error"]["message"]
    (row,) = out["offending"]["rows"]
    assert '"id":2500' in row and '"age":"forty"' in row
    assert out["failed"] is True
    assert source.fingerprint() == before


def test_full_text_report_and_its_progress_lines(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    mig = write(tmp_path / "m", MIGRATIONS)
    done = pgwarden("rehearse", str(mig), "--from", source.dsn, "--full")
    assert done.returncode == EXIT_FAILED, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    label = f"postgresql://app:***@127.0.0.1:{source.cluster.port}/{source.name}"
    progress = [ln for ln in done.stderr.splitlines() if ln.startswith("pgwarden: ")]
    assert progress == [
        "pgwarden: starting the throwaway cluster…",
        f"pgwarden: reading {label}…",
        "pgwarden: reading the schema (pg_dump --schema-only)…",
        "pgwarden: restoring the schema…",
        "pgwarden: copying every row (pg_dump --data-only)…",
        "pgwarden: vacuuming and analysing the copy…",
        f"pgwarden: running {mig} on the copy…",
        "pgwarden: looking for the offending row…",
    ]
    # docs/rehearse.md shows the same steps (sampling, where --full copies every row).
    doc = (Path(__file__).parents[2] / "docs/rehearse.md").read_text()
    shown = [ln for ln in doc.splitlines() if ln.startswith("pgwarden: ")]
    fixed = {ln for ln in progress if label not in ln and str(mig) not in ln}
    assert fixed - {"pgwarden: copying every row (pg_dump --data-only)…"} <= set(shown)
    assert [ln for ln in shown if ln.startswith("pgwarden: copying")] == [
        "pgwarden: copying up to 10000 rows per table (seed 418803229)…"
    ]
    out = done.stdout
    assert "data: every row\n" in out
    assert "public.events  all 15,000 rows" in out and "public.users   all 3,000 rows" in out
    assert f"FAILED {mig / '002_age.sql'}:1:1: invalid input syntax for type integer" in out
    assert '{"id":2500,"age":"forty"}' in out
    assert "the source was not touched" in out
