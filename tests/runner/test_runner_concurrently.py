"""Non-transactional files: statement by statement, resumable, INVALID indexes cleaned up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from _runner_helpers import write_migrations

from pgwarden.runner import migrate, status
from pgwarden.runner.errors import MigrationError
from pgwarden.runner.events import Event, MigrationStarted, Notice

FILES = {
    "0001_users.sql": (
        "CREATE TABLE users (id int PRIMARY KEY, email text);\n"
        "INSERT INTO users VALUES (1, 'a@x'), (2, 'b@x'), (3, 'a@x');\n"
    ),
    "0002_indexes.sql": (
        "CREATE INDEX CONCURRENTLY users_id_email ON users (id, email);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n"
    ),
}


def _index_valid(dsn: str, name: str) -> bool | None:
    with psycopg.connect(dsn) as c:
        row = c.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass(%s)", (name,)
        ).fetchone()
    return None if row is None else bool(row[0])


def test_failed_unique_build_is_fixed_and_rerun(db: Any, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    with pytest.raises(MigrationError) as err:
        migrate(d, db.dsn)
    assert "0002_indexes.sql:2:1: 23505:" in str(err.value)
    # Postgres leaves the failed concurrent build behind as an INVALID index.
    assert _index_valid(db.dsn, "users_email") is False
    assert _index_valid(db.dsn, "users_id_email") is True
    entry = status(d, db.dsn).entries[1]
    assert entry.state == "partial"
    assert entry.row is not None and entry.row.outcome == "failed" and entry.row.progress == 1

    with psycopg.connect(db.dsn, autocommit=True) as c:
        c.execute("DELETE FROM users WHERE id = 3")  # the operator fixes the data

    seen: list[Event] = []
    result = migrate(d, db.dsn, events=seen.append)
    assert [a.version for a in result.applied] == ["0002_indexes"]
    started = next(e for e in seen if isinstance(e, MigrationStarted))
    assert started.resume_at == 1  # the first index was not built again ("already exists")
    notes = [e.message for e in seen if isinstance(e, Notice)]
    assert any("dropping INVALID index" in n and "users_email" in n for n in notes)
    assert _index_valid(db.dsn, "users_email") is True
    assert [e.state for e in status(d, db.dsn).entries] == ["applied", "applied"]


def test_changed_prefix_restarts_from_the_top(db: Any, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    with pytest.raises(MigrationError):
        migrate(d, db.dsn)
    with psycopg.connect(db.dsn, autocommit=True) as c:
        c.execute("DELETE FROM users WHERE id = 3")
    # The statement already done changed: the run starts over and says so through Postgres.
    (d / "0002_indexes.sql").write_text(
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS users_id_email ON users (id, email);\n"
        "CREATE UNIQUE INDEX CONCURRENTLY users_email ON users (email);\n"
    )
    seen: list[Event] = []
    migrate(d, db.dsn, events=seen.append)
    started = next(e for e in seen if isinstance(e, MigrationStarted))
    assert started.resume_at == 0
    assert _index_valid(db.dsn, "users_email") is True
