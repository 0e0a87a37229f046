"""Two runners at once: one migrates, the other waits (or exits with --no-wait)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
from _runner_helpers import Cli, Db18, wait_until, write_migrations

from pgwarden.runner import migrate
from pgwarden.runner.events import Event, RunnerLockWaiting
from pgwarden.runner.lock import RUNNER_LOCK_KEY
from pgwarden.runner.migrate import RunResult

FILES = {
    "0001_log.sql": "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1);\n",
    "0002_slow.sql": "INSERT INTO log VALUES (2);\nSELECT pg_sleep(0.8);\n",
    "0003_more.sql": "INSERT INTO log VALUES (3);\n",
}
# 0002 of test_two_runners_never_apply_twice: runs until the test inserts a row into `gate`.
GATED = (
    "INSERT INTO log VALUES (2);\n"
    "DO $$ BEGIN\n"
    "  WHILE NOT EXISTS (SELECT FROM gate) LOOP PERFORM pg_sleep(0.01); END LOOP;\n"
    "END $$;\n"
)


def test_two_runners_never_apply_twice(db18: Db18, tmp_path: Path) -> None:
    # The runner that wins the lock stays inside 0002 until the test has seen the other one
    # wait for it: with a fixed sleep, a slow start of the second thread (a loaded machine)
    # let the first finish before the second ever asked for the lock.
    db18.run("CREATE TABLE gate (open bool)")
    d = write_migrations(tmp_path, {**FILES, "0002_slow.sql": GATED})
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

    def lock_waited() -> bool:
        return any(isinstance(e, RunnerLockWaiting) for evs in events for e in list(evs))

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    try:
        wait_until(lock_waited, timeout=30, what="the second runner to wait for the lock")
    finally:
        db18.run("INSERT INTO gate VALUES (true)")
        for t in threads:
            t.join(timeout=60)
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
