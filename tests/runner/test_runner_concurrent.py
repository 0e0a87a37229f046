"""Two runners at once: one migrates, the other waits (or exits with --no-wait)."""

from __future__ import annotations

from pathlib import Path

import psycopg
from _runner_helpers import GATED, Cli, Db18, race_two_runners, write_migrations

from pgwarden.runner.lock import RUNNER_LOCK_KEY

FILES = {
    "0001_log.sql": "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1);\n",
    "0002_slow.sql": "INSERT INTO log VALUES (2);\nSELECT pg_sleep(0.8);\n",
    "0003_more.sql": "INSERT INTO log VALUES (3);\n",
}


def test_two_runners_never_apply_twice(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, {**FILES, "0002_slow.sql": GATED})
    results, _, errors = race_two_runners(db18, d)
    assert not errors
    assert sorted(len(r.applied) for r in results) == [0, 3]
    with db18.connect() as c:
        assert c.execute("SELECT n FROM log ORDER BY n").fetchall() == [(1,), (2,), (3,)]


def test_no_wait_exits_3_with_a_message(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    with psycopg.connect(db18.dsn, autocommit=True, application_name="pgwarden/other") as other:
        other.execute("SELECT pg_advisory_lock(%s)", (RUNNER_LOCK_KEY,))
        rc, _, err = Cli("migrate", str(d), "--dsn", db18.dsn, "--no-wait").finish()
        pid = other.info.backend_pid
    assert rc == 3
    assert f"another runner is migrating this database (pid {pid} `pgwarden/other`)" in err
    assert db18.scalar("SELECT to_regclass('log')") is None
