"""Incident 003: the release process is killed while its ALTER waits, and the app stays down.

Killing the deploy did not help: its ALTER TABLE kept waiting inside the database, with the
application's queries queued behind it, until someone ran `pg:killall`. Under `pgwarden
migrate`, SIGTERM cancels the statement and ends the sessions within about a second; after
SIGKILL (no handler runs) the session's own settings end the wait within lock_timeout (or the
server's client connection check) and the app carries on. The contrast test shows the
incident itself with a plain client.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _e2e import Db, Traffic, lock_waiters, pgwarden, sessions, wait_until, write_migrations

from pgwarden.embedded import Cluster
from pgwarden.replay.blockers import Blocker

LOCK_TIMEOUT = 3.0  # long enough to catch the ALTER in the lock queue and kill the deploy
CLIENTS = {
    "web": "SELECT balance FROM accounts WHERE id = {n}",
    "worker": "UPDATE accounts SET balance = balance + 1 WHERE id = {n}",
}
ALTER = "ALTER TABLE accounts ADD COLUMN nickname text"


def _setup(db: Db, tmp_path: Path) -> Path:
    db.run("CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0)")
    db.run("INSERT INTO accounts (id) SELECT generate_series(1, 100)")
    return write_migrations(tmp_path / "migrations", {"0001_nickname.sql": ALTER + ";\n"})


def _columns(db: Db) -> set[str]:
    with db.connect() as c:
        rows = c.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
            "AND attnum > 0 AND NOT attisdropped"
        ).fetchall()
    return {str(r[0]) for r in rows}


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_killed_deploy_leaves_no_waiting_alter(edb: Db, tmp_path: Path, sig: int) -> None:
    mig = _setup(edb, tmp_path)
    # A report someone just started: young enough that the runner races it (an attempt of up
    # to LOCK_TIMEOUT) rather than waiting it out, so the ALTER really sits in the lock queue.
    report = Blocker("idle-in-transaction", edb.dsn, "accounts", 60.0, application_name="report")
    with Traffic(edb.dsn, CLIENTS) as app:
        report.start()
        deploy = pgwarden(
            "migrate",
            str(mig),
            "--dsn",
            edb.dsn,
            "--format",
            "json",
            "--lock-timeout",
            f"{LOCK_TIMEOUT}s",
            "--max-queue",
            f"{LOCK_TIMEOUT}s",
        )
        run_id = deploy.wait_event("run_started")["run_id"]
        deploy.wait_event("statement_started", where=lambda e: "nickname" in e["sql"])
        ours = f"pgwarden/{run_id}"
        wait_until(lambda: lock_waiters(edb, ours), timeout=LOCK_TIMEOUT, what="the ALTER to queue")
        killed = time.monotonic()
        deploy.proc.send_signal(sig)
        code = deploy.finish()
        gone = wait_until(lambda: not lock_waiters(edb, ours), timeout=30, what="the wait to end")
        wait_until(lambda: not sessions(edb, ours), timeout=30, what="the sessions to end")
        # The app after the kill: everything queued behind the ALTER was released with it and
        # queries complete again (a killed naive deploy leaves them stuck: see below).
        wait_until(lambda: len(app.done(gone)) > 10, timeout=30, what="app queries to complete")
        still_held = report.running
        report.release()
        report.join(timeout=10)
    after = gone - killed
    print(f"{signal.Signals(sig).name}: no waiting ALTER {after:.3f} s after the kill")

    assert still_held  # the report was never touched: pgwarden cancels only its own work
    if sig == signal.SIGTERM:
        assert code == 143, deploy.text()
        assert "aborted by SIGTERM" in "".join(deploy.err)
        assert after < 1.0
        assert edb.scalar("SELECT outcome FROM pgwarden.migrations") == "aborted"
    else:
        assert code == -signal.SIGKILL
        assert after < LOCK_TIMEOUT + 1.0
    assert "nickname" not in _columns(edb)  # rolled back, not applied by an orphan later
    # The app: nothing failed, and nothing waited much longer than the ALTER's lock_timeout.
    assert not app.errors(), app.errors()[:3]
    assert app.max_latency() < LOCK_TIMEOUT + 1.5


def test_contrast_a_killed_plain_client_leaves_its_alter_waiting(
    edb: Db, pg18: Cluster, tmp_path: Path
) -> None:
    """The incident as it happened: kill -9 the migration process, its ALTER stays queued."""
    _setup(edb, tmp_path)
    report = Blocker("idle-in-transaction", edb.dsn, "accounts", 60.0, application_name="report")
    script = (
        "import psycopg, sys\n"
        "c = psycopg.connect(sys.argv[1], autocommit=True, application_name='release')\n"
        f"c.execute({ALTER!r})\n"
    )
    with Traffic(edb.dsn, CLIENTS) as app:
        report.start()
        release = subprocess.Popen([sys.executable, "-c", script, edb.dsn])
        try:
            wait_until(lambda: lock_waiters(edb, "release"), what="the ALTER to queue")
            release.kill()
            release.wait(timeout=10)
            time.sleep(1.5)
            orphans = lock_waiters(edb, "release")
            stuck_from = time.monotonic() - 1.0
            served = len(app.done(stuck_from, time.monotonic()))
        finally:
            report.release()
            report.join(timeout=10)
    assert orphans and "ALTER TABLE accounts" in orphans[0][2]  # still waiting, client gone
    assert served == 0  # and the application with it
