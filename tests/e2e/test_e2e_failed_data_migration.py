"""Incident 004: a data migration meets stored data it did not expect and fails mid-deploy.

The post-mortem's problem 3: a column's stored values were strings the new code could not
read. Under pgwarden the failing file rolls back as a whole (nothing half-applied), the history
records the server's error with file:line:col, and the fixed file then applies.
"""

from __future__ import annotations

import json
from pathlib import Path

from _e2e import Db, history, pgwarden, write_migrations

ROWS = [
    (1, "Notifications::RssFeedItem", "42"),
    (2, "Notifications::RssFeedItem", "7"),
    (3, "Notifications::RssFeedItem", "abc"),  # stored by an older version of the code
]

BROKEN = """\
-- Rename the STI type, version the payload and make it numeric.
ALTER TABLE feed_items ADD COLUMN payload_version integer NOT NULL DEFAULT 1;
UPDATE feed_items SET type = 'Notification::RssFeedItem'
 WHERE type = 'Notifications::RssFeedItem';
ALTER TABLE feed_items ALTER COLUMN event_payload TYPE integer USING event_payload::integer;
"""

FIXED = BROKEN.replace(
    "USING event_payload::integer",
    "USING CASE WHEN event_payload ~ '^-?[0-9]+$' THEN event_payload::integer END",
)


def _shape(db: Db) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    """(column, type) pairs and every row: what "nothing half-applied" compares."""
    with db.connect() as c:
        cols = c.execute(
            "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
            "WHERE attrelid = 'feed_items'::regclass AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum"
        ).fetchall()
        rows = c.execute("SELECT * FROM feed_items ORDER BY id").fetchall()
    return [(str(a), str(b)) for a, b in cols], list(rows)


def test_failed_data_migration_rolls_back_whole_then_fixed_one_applies(
    edb: Db, tmp_path: Path
) -> None:
    edb.run("CREATE TABLE feed_items (id int PRIMARY KEY, type text NOT NULL, event_payload text)")
    with edb.connect() as c:
        c.cursor().executemany("INSERT INTO feed_items VALUES (%s, %s, %s)", ROWS)
    before = _shape(edb)
    mig = write_migrations(
        tmp_path / "migrations",
        {
            "0001_create_marker.sql": "CREATE TABLE deploy_marker (id int);\n",
            "0002_rss.sql": BROKEN,
        },
    )

    run = pgwarden("migrate", str(mig), "--dsn", edb.dsn, "--format", "json")
    assert run.finish() == 1, run.text()
    err = "".join(run.err)
    assert "Traceback" not in err
    # The server's own error, where it happened: file:line:col and SQLSTATE 22P02.
    assert '0002_rss.sql:5:1: 22P02: invalid input syntax for type integer: "abc"' in err, err
    failed = [e for e in run.events if e["event"] == "migration_failed"]
    assert [e["version"] for e in failed] == ["0002_rss"]

    outcome, error = history(edb)["0002_rss"]
    assert outcome == "failed"
    assert error is not None and "22P02" in error and '"abc"' in error and ":5:1:" in error
    assert history(edb)["0001_create_marker"] == ("applied", None)
    # Nothing of 0002 is left: no new column, the type rename rolled back, payload still text.
    assert _shape(edb) == before
    assert edb.scalar("SELECT count(*) FROM pg_locks WHERE relation = 'feed_items'::regclass") == 0

    status = pgwarden("status", str(mig), "--dsn", edb.dsn, "--format", "json")
    assert status.finish() == 0, status.text()
    states = {m["version"]: m["state"] for m in json.loads("".join(status.out))["migrations"]}
    assert states == {"0001_create_marker": "applied", "0002_rss": "failed"}

    (mig / "0002_rss.sql").write_text(FIXED)
    rerun = pgwarden("migrate", str(mig), "--dsn", edb.dsn, "--format", "json")
    assert rerun.finish() == 0, rerun.text()
    applied = [e["version"] for e in rerun.events if e["event"] == "migration_applied"]
    assert applied == ["0002_rss"]  # 0001 is not run again
    assert history(edb)["0002_rss"] == ("applied", None)
    cols, rows = _shape(edb)
    assert cols == [
        ("id", "integer"),
        ("type", "text"),
        ("event_payload", "integer"),
        ("payload_version", "integer"),
    ]
    assert rows == [
        (1, "Notification::RssFeedItem", 42, 1),
        (2, "Notification::RssFeedItem", 7, 1),
        (3, "Notification::RssFeedItem", None, 1),
    ]
