"""Incident 001: `ALTER TABLE ... DROP CONSTRAINT` queued behind an analyst's long query.

Dropping a constraint takes ACCESS EXCLUSIVE; queued behind a long read, it made every later
query on the table wait. Under `pgwarden migrate` the ALTER is not sent while the analyst's
query holds the table, so no application query waits longer than about one attempt; the lint
and `explain` name the lock before anyone deploys.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from _e2e import Db, Traffic, pgwarden, write_migrations

from pgwarden.replay.blockers import Blocker

HOLD = 1.5  # seconds the analyst keeps the table after the deploy started waiting


def test_drop_constraint_waits_for_the_analyst_without_queueing_the_app(
    edb: Db, tmp_path: Path
) -> None:
    edb.run(
        "CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL DEFAULT 0, "
        "CONSTRAINT orders_total_check CHECK (total >= 0))"
    )
    edb.run("INSERT INTO orders (id, total) SELECT g, g FROM generate_series(1, 2000) g")
    mig = write_migrations(
        tmp_path / "migrations",
        {"0001_drop_total_check.sql": "ALTER TABLE orders DROP CONSTRAINT orders_total_check;\n"},
    )

    # Before the deploy: lint and explain say which lock this takes.
    lint = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", str(mig), "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    [stmt] = json.loads(lint.stdout)["files"][0]["statements"]
    assert [(lk["relation"], lk["mode"]) for lk in stmt["locks"]] == [
        ("public.orders", "AccessExclusiveLock")
    ]
    assert stmt["locks"][0]["blocks_reads"] and stmt["locks"][0]["blocks_writes"]
    explain = subprocess.run(
        [sys.executable, "-m", "pgwarden", "explain", str(mig / "0001_drop_total_check.sql")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert explain.returncode == 0, explain.stderr
    assert "public.orders" in explain.stdout and "AccessExclusiveLock" in explain.stdout

    clients = {
        "checkout": "UPDATE orders SET total = total + 1 WHERE id = {n}",
        "orders-page": "SELECT total FROM orders WHERE id = {n}",
        "admin": "SELECT count(*) FROM orders WHERE total > 1000",
    }
    analyst = Blocker("long-read", edb.dsn, "orders", 60.0, application_name="analyst (psql)")
    with Traffic(edb.dsn, clients) as app:
        analyst.start()
        assert analyst.error is None and analyst.pid is not None
        held_from = time.monotonic()
        deploy = pgwarden("migrate", str(mig), "--dsn", edb.dsn, "--format", "json")
        waiting = deploy.wait_event("waiting")
        time.sleep(HOLD)  # the analyst's query runs on; the deploy waits, the app does not
        assert deploy.proc.poll() is None, deploy.text()
        analyst.release()
        analyst.join(timeout=30)
        held_until = time.monotonic()
        assert deploy.finish() == 0, deploy.text()
        time.sleep(0.2)
    held = held_until - held_from
    print(f"analyst held orders {held:.2f} s; longest app query {app.max_latency():.3f} s")

    assert (
        edb.scalar("SELECT count(*) FROM pg_constraint WHERE conname = 'orders_total_check'") == 0
    )
    [b] = [x for x in waiting["blockers"] if x["pid"] == analyst.pid]
    assert b["application_name"] == "analyst (psql)"
    assert b["mode"] == "AccessShareLock" and b["relation"] == "orders"
    kinds = deploy.kinds()
    # It waited, then attempted: not an attempt per poll.
    assert kinds.index("waiting") < kinds.index("attempt")
    assert 1 <= kinds.count("attempt") <= 3
    # No application query queued behind the ALTER for more than a fraction of the analyst's
    # hold (a naive ALTER would have held every one of them for all of it).
    assert app.max_latency() < held / 3, app.max_latency()
    assert len(app.done(held_from, held_until)) > 50
    assert not app.errors(), app.errors()[:3]
