"""Two runners at once: one migrates, the other waits (or exits with --no-wait)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
from _runner_helpers import Cli, Db18, write_migrations

from pgwarden.runner import migrate
from pgwarden.runner.events import Event, RunnerLockWaiting
from pgwarden.runner.lock import RUNNER_LOCK_KEY
from pgwarden.runner.migrate import RunResult

FILES = {
    "0001_log.sql": "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1);\n",
    "0002_slow.sql": "INSERT INTO log VALUES (2);\nSELECT pg_sleep(0.8);\n",
    "0003_more.sql": "INSERT INTO log VALUES (3);\n",
}


def test_two_runners_never_apply_twice(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    results: list[RunResult] = []
    events: list[list[Event]] = [[], []]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def run(i: int) -> None:
        start.wait()
        try:
            results.append(migrate(d, db18.dsn, events=events[i].append))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert sorted(len(r.applied) for r in results) == [0, 3]
    with db18.connect() as c:
        assert c.execute("SELECT n FROM log ORDER BY n").fetchall() == [(1,), (2,), (3,)]
    assert any(isinstance(e, RunnerLockWaiting) for evs in events for e in evs)


def test_no_wait_exits_3_with_a_message(db18: Db18, tmp_path: Path) -> None:
    d = write_migrations(tmp_path, FILES)
    with psycopg.connect(db18.dsn, autocommit=True, application_name="pgwarden/other") as other:
        other.execute("SELECT pg_advisory_lock(%s)", (RUNNER_LOCK_KEY,))
        rc, _, err = Cli("migrate", str(d), "--dsn", db18.dsn, "--no-wait").finish()
        pid = other.info.backend_pid
    assert rc == 3
    assert f"another runner is migrating this database (pid {pid} `pgwarden/other`)" in err
    assert db18.scalar("SELECT to_regclass('log')") is None
