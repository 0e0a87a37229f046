"""migrate / status on real servers (every major): history, checksums, failures, resume."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from _runner_helpers import write_migrations

from pgwarden.runner import migrate, status
from pgwarden.runner.errors import ChecksumMismatch, MigrationError
from pgwarden.runner.events import Event, MigrationApplied, Notice


def _history(dsn: str) -> dict[str, tuple[Any, ...]]:
    with psycopg.connect(dsn) as c:
        rows = c.execute(
            "SELECT version, outcome, attempts, checksum, error, progress, duration_ms, "
            "finished_at IS NOT NULL FROM pgwarden.migrations"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _tables(dsn: str) -> set[str]:
    with psycopg.connect(dsn) as c:
        rows = c.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'").fetchall()
    return {r[0] for r in rows}


FILES = {
    "0001_init.sql": "CREATE TABLE orders (id int PRIMARY KEY, total int);\n",
    "0002_col.sql": "ALTER TABLE orders ADD COLUMN note text;\n",
    "0003_more/up.sql": (
        "BEGIN;\nCREATE TABLE items (id int, order_id int REFERENCES orders);\nCOMMIT;\n"
    ),
    "0003_more/down.sql": "DROP TABLE items;\n",
}


def test_apply_then_status_then_nothing_to_do(db: Any, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    before = status(d, db.dsn)
    assert not before.history_exists  # status never creates the table
    assert [e.state for e in before.entries] == ["pending"] * 3

    seen: list[Event] = []
    result = migrate(d, db.dsn, events=seen.append)
    assert [a.version for a in result.applied] == ["0001_init", "0002_col", "0003_more"]
    assert {"orders", "items"} <= _tables(db.dsn)
    hist = _history(db.dsn)
    assert {v: h[0] for v, h in hist.items()} == dict.fromkeys(hist, "applied")
    assert all(h[1] == 1 and h[6] for h in hist.values())  # one attempt, finished_at set
    assert sum(isinstance(e, MigrationApplied) for e in seen) == 3

    after = status(d, db.dsn)
    assert after.history_exists
    assert [e.state for e in after.entries] == ["applied"] * 3
    assert migrate(d, db.dsn).applied == []  # re-run: nothing pending, nothing re-applied


def test_changed_checksum_is_refused_unless_allowed(db: Any, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    migrate(d, db.dsn)
    (d / "0002_col.sql").write_text("ALTER TABLE orders ADD COLUMN note varchar(10);\n")
    write_migrations(d, {"0004_next.sql": "CREATE TABLE later (id int);\n"})
    assert [e.state for e in status(d, db.dsn).entries][1] == "changed"
    with pytest.raises(ChecksumMismatch, match=r"0002_col\.sql"):
        migrate(d, db.dsn)
    assert "later" not in _tables(db.dsn)  # refused before running anything

    notes: list[Event] = []
    result = migrate(d, db.dsn, allow_changed=True, events=notes.append)
    assert [a.version for a in result.applied] == ["0004_next"]  # the changed file is not re-run
    assert any(isinstance(e, Notice) and "0002_col changed" in e.message for e in notes)


def test_failed_migration_rolls_back_records_and_resumes(db: Any, tmp_path: Path) -> None:
    d = write_migrations(
        tmp_path,
        {
            "0001_ok.sql": "CREATE TABLE a (id int);\n",
            "0002_bad.sql": "CREATE TABLE b (id int);\nINSERT INTO b VALUES ('x');\n",
            "0003_after.sql": "CREATE TABLE c (id int);\n",
        },
    )
    with pytest.raises(MigrationError) as err:
        migrate(d, db.dsn)
    assert "0002_bad.sql:2:1: 22P02: invalid input syntax for type integer" in str(err.value)
    assert _tables(db.dsn) == {"a"}  # b rolled back with its transaction, c never ran
    hist = _history(db.dsn)
    assert hist["0001_ok"][0] == "applied"
    assert hist["0002_bad"][0] == "failed" and "22P02" in hist["0002_bad"][3]
    assert "0003_after" not in hist
    assert [e.state for e in status(d, db.dsn).entries] == ["applied", "failed", "pending"]

    (d / "0002_bad.sql").write_text("CREATE TABLE b (id int);\nINSERT INTO b VALUES (1);\n")
    result = migrate(d, db.dsn)  # a failed file may change: it never applied
    assert [a.version for a in result.applied] == ["0002_bad", "0003_after"]
    assert _tables(db.dsn) == {"a", "b", "c"}


def test_repeatable_migration_is_reapplied_when_it_changes(db: Any, tmp_path: Path) -> None:
    d = write_migrations(
        tmp_path,
        {
            "V1__t.sql": "CREATE TABLE t (id int);\n",
            "R__v.sql": "CREATE OR REPLACE VIEW v AS SELECT 1 AS x;\n",
        },
    )
    migrate(d, db.dsn)
    (d / "R__v.sql").write_text("CREATE OR REPLACE VIEW v AS SELECT 1 AS x, 2 AS y;\n")
    assert [a.version for a in migrate(d, db.dsn).applied] == ["R__v"]
    with psycopg.connect(db.dsn) as c:
        assert c.execute("SELECT y FROM v").fetchone() == (2,)


def test_runner_settings_are_in_force(db: Any, tmp_path: Path) -> None:
    d = write_migrations(
        tmp_path,
        {
            "1_probe.sql": "CREATE TABLE probe AS SELECT current_setting('lock_timeout') AS lt, "
            "current_setting('idle_in_transaction_session_timeout') AS idle, "
            "current_setting('application_name') AS app;\n"
        },
    )
    result = migrate(d, db.dsn)
    with psycopg.connect(db.dsn) as c:
        row = c.execute("SELECT lt, idle, app FROM probe").fetchone()
    assert row == ("0", "10s", f"pgwarden/{result.run_id}")  # no existing-table lock: no limit
