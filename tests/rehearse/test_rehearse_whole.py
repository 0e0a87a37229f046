"""Tables the migrations touch are copied whole: the one bad row far into a table is found."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import psycopg
from rehearse_support import PASSWORD, Source, pgwarden, stop_kept, write

from pgwarden.rehearse import EXIT_FAILED, RehearseOptions, rehearse
from pgwarden.rehearse.sample import SYSTEM_MIN_PAGES

# 30,000 readings of ~330 bytes (over SYSTEM_MIN_PAGES pages, so a sample of it reads only
# some pages); the one value that does not cast to integer is row 29,990 of 30,000, in one
# of the last pages. Readings point at a tenth of the sensors, sensors at their sites.
ROWS = """
CREATE TABLE sites (id int PRIMARY KEY, name text);
CREATE TABLE sensors (id int PRIMARY KEY, site_id int REFERENCES sites, kind text);
CREATE TABLE readings (
    id int PRIMARY KEY, sensor_id int REFERENCES sensors, value text, pad text
);
CREATE TABLE notes (id int PRIMARY KEY, body text);
INSERT INTO sites SELECT g, 's' || g FROM generate_series(1, 2000) g;
INSERT INTO sensors SELECT g, 1 + (g * 7) % 2000, 'k' FROM generate_series(1, 5000) g;
INSERT INTO readings
SELECT g, 1 + (g % 500) * 10, CASE WHEN g = 29990 THEN 'n/a' ELSE (g % 1000)::text END,
       repeat('x', 300)
FROM generate_series(1, 30000) g;
INSERT INTO notes SELECT g, 'n' FROM generate_series(1, 3000) g;
ANALYZE;
"""
CAST = "ALTER TABLE readings ALTER COLUMN value TYPE integer USING value::integer;\n"
ORPHANS = """
SELECT (SELECT count(*) FROM readings r WHERE NOT EXISTS
            (SELECT 1 FROM sensors s WHERE s.id = r.sensor_id)),
       (SELECT count(*) FROM sensors s WHERE s.site_id IS NOT NULL AND NOT EXISTS
            (SELECT 1 FROM sites t WHERE t.id = s.site_id))
"""


def _one(conn: psycopg.Connection[Any], query: str) -> int:
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def test_touched_table_is_copied_whole_and_its_bad_row_found(
    source: Source, tmp_path: Path
) -> None:
    source.run(ROWS)
    before = source.fingerprint()
    mig = write(tmp_path / "m", {"001_value.sql": CAST})
    start = time.perf_counter()
    argv = ["--sample-rows", "1000", "--format", "json", "--keep"]
    done = pgwarden("rehearse", str(mig), "--from", source.dsn, *argv)
    print(f"rehearse of 30,000 rows, table touched: {time.perf_counter() - start:.2f} s")
    assert done.returncode == EXIT_FAILED, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    out = json.loads(done.stdout)
    copy = out["copy"]
    try:
        with psycopg.connect(copy["dsn"]) as conn:
            assert _one(conn, "SELECT count(*) FROM readings") == 30000
            assert conn.execute(ORPHANS).fetchone() == (0, 0)
    finally:
        stop_kept(copy["pid"], copy["directory"])
    tables = {t["table"]: t for t in out["copy"]["tables"]}
    readings = tables["public.readings"]
    assert (readings["how"], readings["rows"], readings["sampling"]) == ("whole", 30000, None)
    assert readings["touched"] == f"ALTER TABLE ALTER COLUMN TYPE at {mig / '001_value.sql'}:1"
    # The sensors the readings point at came along with the sample, and their sites too.
    sensors = tables["public.sensors"]
    assert sensors["how"] == "sampled" and sensors["referenced_by"] == ["public.readings"]
    assert sensors["referenced"] == 500 and sensors["rows"] == 1500
    assert sensors["sampling"]["method"] == "random"
    assert sensors["sampling"]["seed"] == out["copy"]["seed"]
    # Only the sites of those 500 sensors (200 of them), not of every sensor (all 2,000).
    sites = tables["public.sites"]
    assert sites["referenced_by"] == ["public.sensors"] and sites["referenced"] == 200
    assert tables["public.notes"]["how"] == "sampled" and tables["public.notes"]["rows"] == 1000
    (err,) = [f["error"] for f in out["files"] if f["error"]]
    assert 'invalid input syntax for type integer: "n/a"' in err["message"]
    (row,) = out["offending"]["rows"]
    assert '"id":29990' in row and '"value":"n/a"' in row
    assert source.fingerprint() == before


def test_whole_under_0_samples_touched_tables_too(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    before = source.fingerprint()
    with psycopg.connect(source.admin_dsn) as conn:
        pages = _one(conn, "SELECT relpages FROM pg_class WHERE relname = 'readings'")
        assert pages >= SYSTEM_MIN_PAGES
    mig = write(tmp_path / "m", {"001_value.sql": CAST})
    options = RehearseOptions(
        source=source.dsn,
        migrations=(str(mig),),
        sample_rows=1000,
        whole_under=0,
        seed=42,
        budget=3600,
        keep=True,
    )
    result = rehearse(options)  # passes or fails by the luck of the draw: not asserted
    copy = result.copy
    assert copy.pid is not None
    try:
        readings = next(t for t in copy.tables if t.table == "public.readings")
        assert readings.how == "sampled" and readings.rows == 1000
        assert readings.touched.startswith("ALTER TABLE ALTER COLUMN TYPE at ")
        assert readings.remark == "not copied whole: --whole-under 0"
        assert readings.sampling is not None and readings.sampling.method == "system"
        assert readings.sampling.seed == 42 == copy.seed
        assert readings.sampling.percent is not None and readings.sampling.percent < 50
        with psycopg.connect(copy.dsn) as conn:
            # Spread over the table: not its first 1,000 rows.
            assert _one(conn, "SELECT min(id) FROM readings") < 3000
            assert _one(conn, "SELECT max(id) FROM readings") > 27000
            assert conn.execute(ORPHANS).fetchone() == (0, 0)
    finally:
        stop_kept(copy.pid, copy.directory)
    assert source.fingerprint() == before
