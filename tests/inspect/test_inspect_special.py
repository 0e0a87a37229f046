"""NO-GO cases that need server settings: prepared transactions and anti-wraparound autovacuum.

They run on a dedicated PG 18 cluster (max_prepared_transactions > 0, autovacuum on with a
1 s naptime); the shared clusters keep autovacuum off to keep pg_locks quiet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from inspect_scene import Scene, make_tables, wait_until

from pgwarden.config import LintConfig
from pgwarden.embedded import Cluster, start_cluster
from pgwarden.inspect.cancel import Policy, check_policy
from pgwarden.inspect.check import CheckOptions, check_once
from pgwarden.inspect.needs import needs_for_paths
from pgwarden.inspect.tree import build_tree
from pgwarden.inspect.verdict import Verdict


@pytest.fixture(scope="module")
def special() -> Iterator[Cluster]:
    settings = {"max_prepared_transactions": "5", "autovacuum": "on", "autovacuum_naptime": "1"}
    with start_cluster(settings=settings) as cluster:
        yield cluster


class _Db:
    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster, self.name, self.major = cluster, name, cluster.major

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.name)

    def connect(self, autocommit: bool = False) -> Any:
        return psycopg.connect(self.dsn, autocommit=autocommit)


@pytest.fixture
def sdb(special: Cluster) -> Iterator[_Db]:
    name = f"s_{uuid.uuid4().hex[:12]}"
    special.create_database(name)
    db = _Db(special, name)
    make_tables(db)
    yield db
    with psycopg.connect(db.dsn, autocommit=True) as conn:
        q = "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()"
        for (gid,) in conn.execute(q).fetchall():
            conn.execute(f"ROLLBACK PREPARED '{gid}'")  # prepared xacts outlive sessions
    special.drop_database(name)


@pytest.fixture
def sscene(sdb: _Db) -> Iterator[Scene]:
    sc = Scene(sdb.cluster, sdb.name)
    try:
        yield sc
    finally:
        sc.close()


def needs(tmp_path: Path, sql: str) -> Any:
    path = tmp_path / "m.sql"
    path.write_text(sql)
    return needs_for_paths([str(path)], LintConfig(), 18)


def test_prepared_transaction_is_no_go(sscene: Scene, sdb: _Db, tmp_path: Path) -> None:
    with sdb.connect() as conn:
        conn.execute("UPDATE orders SET total = 0 WHERE id = 1")
        conn.execute("PREPARE TRANSACTION 'pay-42'")
    n = needs(tmp_path, "ALTER TABLE orders ADD COLUMN note text;\n")
    report = check_once(sscene.admin, n, CheckOptions(sample=0))
    assert report.verdict is Verdict.NO_GO
    (r,) = [r for r in report.decision.blocking if r.code == "prepared-transaction"]
    assert "'pay-42'" in r.message and "ROW EXCLUSIVE" in r.message
    assert "ROLLBACK PREPARED 'pay-42'" in r.action
    # A waiter behind it hangs under a pseudo-session 0 (pg_blocking_pids reports it so).
    waiter = sscene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    sscene.wait_waiting(waiter)
    tree = build_tree(sscene.snapshot())
    (root,) = tree.roots
    assert root.pid == 0 and root.session is None and root.tag == "prepared transaction"
    assert [p.gid for p in root.prepared] == ["pay-42"]
    assert [c.pid for c in root.children] == [waiter]


def test_wraparound_autovacuum_is_no_go(sscene: Scene, sdb: _Db, tmp_path: Path) -> None:
    with sdb.connect(autocommit=True) as conn:
        # Per-table settings: due for freezing after 100k xids, and vacuumed very slowly.
        conn.execute(
            "CREATE TABLE ledger (id int, pad text) WITH (autovacuum_freeze_max_age = 100000,"
            " autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1,"
            " autovacuum_enabled = off)"
        )
        conn.execute(
            "INSERT INTO ledger SELECT g, repeat('x', 100) FROM generate_series(1, 20000) g"
        )
        conn.execute(
            "CREATE PROCEDURE burn(n int) LANGUAGE plpgsql AS "
            "$$ BEGIN FOR i IN 1..n LOOP PERFORM pg_current_xact_id(); COMMIT; END LOOP; END $$"
        )
        conn.execute("CALL burn(101000)")  # xid age past the table's freeze_max_age

    def vacuuming() -> Any:
        snap = sscene.snapshot(("public.ledger",))
        for s in snap.sessions.values():
            if s.backend_type == "autovacuum worker" and "ledger" in (s.query or ""):
                return snap, s
        return None

    snap, worker = wait_until(vacuuming, "an anti-wraparound autovacuum of ledger", timeout=60)
    assert "to prevent wraparound" in (worker.query or "")
    n = needs(tmp_path, "ALTER TABLE ledger ADD COLUMN note text;\n")
    report = check_once(sscene.admin, n, CheckOptions(sample=0))
    assert report.verdict is Verdict.NO_GO
    (r,) = [r for r in report.decision.blocking if r.code == "wraparound-vacuum"]
    assert r.pid == worker.pid and r.relation == "public.ledger"
    # unblock/cancel leave autovacuum alone unless asked.
    assert "--include-autovacuum" in check_policy(snap, worker.pid, Policy(force=True)).refused
    assert check_policy(snap, worker.pid, Policy(force=True, include_autovacuum=True)).allowed
