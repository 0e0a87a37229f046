"""Data migrations that fail on real rows are caught on the copy, with the row to blame."""

from __future__ import annotations

import hashlib
from pathlib import Path

from rehearse_support import Source, write

from pgwarden.rehearse import EXIT_FAILED, RehearseOptions, rehearse

ROWS = """
CREATE TABLE accounts (id int PRIMARY KEY, age text, nickname text);
INSERT INTO accounts SELECT g, (20 + g % 50)::text, 'n' || g FROM generate_series(1, 300) g;
UPDATE accounts SET age = 'abc' WHERE id = 217;
UPDATE accounts SET nickname = NULL WHERE id IN (42, 99);
"""
CAST = "ALTER TABLE accounts ALTER COLUMN age TYPE integer USING age::integer;\n"
NOT_NULL = "ALTER TABLE accounts ALTER COLUMN nickname SET NOT NULL;\n"


def _options(source: Source, *paths: Path) -> RehearseOptions:
    # A budget no test machine can exceed: these tests are about failures, not timing.
    return RehearseOptions(source=source.dsn, migrations=tuple(map(str, paths)), budget=3600)


def test_failed_cast_names_the_row_and_leaves_the_source_alone(
    source: Source, tmp_path: Path
) -> None:
    source.run(ROWS)
    before = source.fingerprint()
    mig = write(tmp_path / "m", {"001_age.sql": CAST, "002_nick.sql": NOT_NULL})
    result = rehearse(_options(source, mig))
    assert result.exit_code == EXIT_FAILED
    assert result.trace is not None
    err = result.trace.files[0].error
    assert err is not None
    assert (err.sqlstate, err.line, err.column) == ("22P02", 1, 1)
    assert 'invalid input syntax for type integer: "abc"' in err.message
    assert result.trace.not_run == (str(mig / "002_nick.sql"),)
    assert result.offending is not None
    assert len(result.offending.rows) == 1
    assert '"id":217' in result.offending.rows[0]
    assert '"age":"abc"' in result.offending.rows[0]
    assert source.fingerprint() == before


def test_not_null_over_nulls_names_the_rows(source: Source, tmp_path: Path) -> None:
    source.run(ROWS)
    result = rehearse(_options(source, write(tmp_path / "m", {"001.sql": NOT_NULL})))
    assert result.exit_code == EXIT_FAILED
    assert result.trace is not None and result.trace.files[0].error is not None
    assert result.trace.files[0].error.sqlstate == "23502"
    assert result.offending is not None
    ids = sorted(r.split(",")[0] for r in result.offending.rows)
    assert ids == ['{"id":42', '{"id":99']


def test_fixed_migrations_pass_and_only_pending_ones_run(source: Source, tmp_path: Path) -> None:
    """The fix cleans the rows first; 000 is in pgwarden's history, so it is not re-run."""
    source.run(ROWS)
    mig = write(
        tmp_path / "m",
        {
            "000_init.sql": "CREATE TABLE accounts (id int PRIMARY KEY);\n",  # would fail again
            "001_age.sql": "UPDATE accounts SET age = NULL WHERE age !~ '^[0-9]+$';\n" + CAST,
            "002_nick.sql": "UPDATE accounts SET nickname = '' WHERE nickname IS NULL;\n"
            + NOT_NULL,
        },
    )
    checksum = hashlib.sha256((mig / "000_init.sql").read_bytes()).hexdigest()
    source.run(
        "CREATE SCHEMA pgwarden;"
        "CREATE TABLE pgwarden.migrations (version text PRIMARY KEY, name text NOT NULL,"
        " checksum text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz,"
        " duration_ms bigint, attempts integer NOT NULL DEFAULT 0, outcome text NOT NULL,"
        " error text, progress integer NOT NULL DEFAULT 0, progress_checksum text, run_id text);"
        "INSERT INTO pgwarden.migrations (version, name, checksum, started_at, outcome)"
        f" VALUES ('000_init', 'init', '{checksum}', now(), 'applied')"
    )
    before = source.fingerprint()
    result = rehearse(_options(source, mig))
    assert result.exit_code == 0, result.trace
    assert result.applied == ("000_init",)
    assert result.trace is not None
    assert [f.path for f in result.trace.files] == [
        str(mig / "001_age.sql"),
        str(mig / "002_nick.sql"),
    ]
    alter = result.trace.files[0].statements[1]
    assert alter.rewrites == ("public.accounts",)
    assert result.offending is None
    # Every statement that ran has an estimate; the rewrite was scaled by table size.
    assert len(result.estimates) == 4
    est = result.estimate_for(alter.path, alter.line, alter.column)
    assert est is not None and est.production_ms is not None
    assert "rewritten" in est.basis
    # ACCESS EXCLUSIVE on accounts from the ALTER to the end of its file: one window each.
    windows = {(w.path.rsplit("/", 1)[-1], w.mode) for w in result.windows}
    assert ("001_age.sql", "AccessExclusiveLock") in windows
    assert not result.over_budget
    assert source.fingerprint() == before
