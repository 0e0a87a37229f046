"""Incident 002: `cap deploy:migrations` stuck behind the nightly `pg_dump | gzip`.

A directory of SQL migrations deployed while a real pg_dump holds the table: `pgwarden
migrate` reports the backup, waits for it without queueing, and completes after it ends,
with every migration recorded as applied. The dump is neither cancelled nor killed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from _e2e import Db, Traffic, history, pgwarden, write_migrations

from pgwarden.embedded import Cluster
from pgwarden.replay.blockers import Blocker

HOLD = 1.0  # seconds the dump keeps going after the deploy started waiting

MIGRATIONS = {
    "20130613155542_add_email.sql": "ALTER TABLE accounts ADD COLUMN email text;\n",
    "20130613155600_create_audit.sql": (
        "CREATE TABLE audit (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n"
        "                    account_id bigint NOT NULL, note text);\n"
    ),
    "20130613155700_backfill.sql": (
        "UPDATE accounts SET email = 'user' || id || '@example.com' WHERE id <= 100;\n"
    ),
}


def test_sql_migrations_complete_after_the_dump(edb: Db, pg18: Cluster, tmp_path: Path) -> None:
    edb.run("CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL)")
    edb.run("INSERT INTO accounts SELECT g, md5(g::text) FROM generate_series(1, 5000) g")
    mig = write_migrations(tmp_path / "db" / "migrate", MIGRATIONS)
    dump = Blocker("backup", edb.dsn, "accounts", 60.0, pg_dump=pg18.bin("pg_dump"))
    clients = {"web": "SELECT name FROM accounts WHERE id = {n}"}
    with Traffic(edb.dsn, clients) as app:
        dump.start()
        assert dump.error is None and dump.pid is not None
        deploy = pgwarden("migrate", str(mig), "--dsn", edb.dsn, "--format", "json")
        waiting = deploy.wait_event("waiting")
        time.sleep(HOLD)
        assert deploy.proc.poll() is None, deploy.text()
        assert "email" not in _columns(edb)  # nothing ran behind the dump's back
        dump.release()  # the dump reads the rest of its output and ends on its own
        dump.join(timeout=30)
        assert deploy.finish() == 0, deploy.text()
    assert dump.error is None  # pg_dump exited 0: it was waited for, not cancelled

    # The report named the backup: pid, pg_dump, the lock it holds.
    [b] = [x for x in waiting["blockers"] if x["pid"] == dump.pid]
    assert b["application_name"] == "pg_dump" and b["backup"] is True
    assert b["relation"] == "accounts" and b["mode"] == "AccessShareLock"
    assert waiting["version"] == "20130613155542_add_email"
    # The ALTER committed only after the dump let go of the table (wall clock stamps).
    released_at = time.time() - (time.monotonic() - (dump.t0 + (dump.ended or 0.0)))
    [applied] = [
        e
        for e in deploy.events
        if e["event"] == "migration_applied" and e["version"] == "20130613155542_add_email"
    ]
    assert applied["at"] >= released_at - 0.005  # clocks read a few microseconds apart
    # History: everything applied, in order; status agrees.
    assert {v: o for v, (o, _) in history(edb).items()} == {
        "20130613155542_add_email": "applied",
        "20130613155600_create_audit": "applied",
        "20130613155700_backfill": "applied",
    }
    status = pgwarden("status", str(mig), "--dsn", edb.dsn, "--format", "json")
    assert status.finish() == 0, status.text()
    doc = json.loads("".join(status.out))
    assert [m["state"] for m in doc["migrations"]] == ["applied"] * 3
    assert edb.scalar("SELECT count(email) FROM accounts") == 100
    assert not app.errors()


def _columns(db: Db) -> list[str]:
    with db.connect() as c:
        rows = c.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = 'accounts'::regclass "
            "AND attnum > 0 AND NOT attisdropped"
        ).fetchall()
    return [str(r[0]) for r in rows]
