"""Incident 000: a Django deploy at 6 am drops tables while the provider's backup dumps them.

`manage.py migrate` (DROP TABLE ... CASCADE) queued behind the backup's COPY for 10 minutes
with the site down. Under `pgwarden run -- python manage.py migrate`, the command's DROP gives
up after the 50 ms lock_timeout, pgwarden names the backup, waits for it to end without
queueing anything, and runs the command again: Django resumes and the tables go. The app,
including a client still reading one of the doomed tables, never waits long.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _e2e import Db, Traffic, pgwarden

from pgwarden.embedded import Cluster
from pgwarden.replay.blockers import Blocker

pytest.importorskip("django", reason="Django is in the dev extra")

SITE = Path(__file__).parent / "django_site"
HOLD = 1.5  # seconds the backup keeps going after the deploy started waiting for it
DOOMED = ("ledger_eventlog", "ledger_fieldhistory")


def manage(db: Db, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=SITE,
        env=_env(db),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _env(db: Db) -> dict[str, str]:
    return {**os.environ, "E2E_DSN": db.dsn}


def test_django_migrate_waits_for_the_backup_then_drops(
    edb: Db, pg18: Cluster, tmp_path: Path
) -> None:
    setup = manage(edb, "migrate", "ledger", "0001", "--noinput")
    assert setup.returncode == 0, setup.stderr
    edb.run(
        "INSERT INTO ledger_customer (name, balance) "
        "SELECT 'c' || g, 0 FROM generate_series(1, 100) g"
    )
    edb.run(
        "INSERT INTO ledger_eventlog (kind, payload) "
        "SELECT 'login', repeat('x', 60) FROM generate_series(1, 3000)"
    )
    edb.run(
        "INSERT INTO ledger_fieldhistory (object_id, field_name, serialized_data) "
        "SELECT g, 'balance', repeat('y', 60) FROM generate_series(1, 3000) g"
    )
    backup = Blocker(
        "backup",
        edb.dsn,
        DOOMED[0],
        60.0,
        pg_dump=pg18.bin("pg_dump"),
        tables=DOOMED,
        application_name="Heroku Postgres Backups",
    )
    clients = {
        "checkout": "UPDATE ledger_customer SET balance = balance + 1 WHERE id = {n}",
        "profile": "SELECT name, balance FROM ledger_customer WHERE id = {n}",
        # Old code still reading a table the deploy drops: it may fail once the table is
        # gone (the deploy's business), but it must never hang behind the DROP.
        "history": "SELECT serialized_data FROM ledger_fieldhistory WHERE object_id = {n}",
    }
    with Traffic(edb.dsn, clients) as app:
        backup.start()
        assert backup.error is None and backup.pid is not None
        held_from = time.monotonic()
        deploy = pgwarden(
            "run",
            "--dsn",
            edb.dsn,
            "--format",
            "json",
            "--",
            sys.executable,
            "manage.py",
            "migrate",
            "ledger",
            "--noinput",
            env={"E2E_DSN": edb.dsn},
            cwd=SITE,
        )
        first = deploy.wait_event("command_exited", timeout=60)
        deploy.wait_event("waiting", timeout=60)
        time.sleep(HOLD)  # the backup goes on; the deploy waits for it
        assert deploy.proc.poll() is None, deploy.text()
        assert all(_exists(edb, t) for t in DOOMED)  # nothing dropped behind the backup
        backup.release()
        backup.join(timeout=30)
        held_until = time.monotonic()
        assert deploy.finish(timeout=90) == 0, deploy.text()
        time.sleep(0.2)
    held = held_until - held_from
    print(f"backup held {held:.2f} s; longest app query {app.max_latency():.3f} s")

    # The first run of `migrate` gave up on the lock (50 ms) instead of queueing.
    assert first["returncode"] != 0 and first["lock_timeout"] is True
    # pgwarden reported the backup, by name, before the run (pre-flight) and while it waited.
    for kind in ("preflight", "waiting"):
        [event] = [e for e in deploy.events if e["event"] == kind]
        named = [b for b in event["blockers"] if b["pid"] == backup.pid]
        assert named, json.dumps(event)
        assert named[0]["application_name"] == "Heroku Postgres Backups" and named[0]["backup"]
    assert deploy.kinds().index("waiting") > deploy.kinds().index("command_exited")
    # It waited for the backup rather than re-running `migrate` over and over.
    runs = [e for e in deploy.events if e["event"] == "command_started"]
    assert 2 <= len(runs) <= 4, deploy.kinds()
    # The tables are gone, Django recorded the migration, the backup finished on its own.
    assert not any(_exists(edb, t) for t in DOOMED)
    assert (
        edb.scalar(
            "SELECT count(*) FROM django_migrations WHERE app = 'ledger' AND name = %s",
            ("0002_drop_event_tables",),
        )
        == 1
    )
    assert backup.error is None and deploy.ended is not None
    assert deploy.ended >= backup.t0 + (backup.ended or 0.0)
    # The app: no query waited long while the backup ran for seconds (a naive DROP holds all
    # of them for the whole backup), and the customer pages never failed.
    assert app.max_latency() < min(1.0, held / 2), app.max_latency()
    assert len(app.done(held_from, held_until)) > 50
    bad = [q for q in app.errors() if q.client != "history" or "UndefinedTable" not in q.error]
    assert not bad, bad[:3]


def _exists(db: Db, table: str) -> bool:
    return db.scalar("SELECT to_regclass(%s) IS NOT NULL", (table,)) is True
