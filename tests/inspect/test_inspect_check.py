"""`check` against real sessions: GO on an idle database, WAIT behind pg_dump, NO-GO for
forgotten transactions and long queries; the CLI's exit codes and output."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from inspect_scene import Scene, wait_until

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.inspect.check import CheckOptions, CheckReport, check_once
from pgwarden.inspect.needs import Needs, needs_for_paths
from pgwarden.inspect.verdict import Thresholds, Verdict
from pgwarden.locks.modes import LockMode

ADD_COLUMN = "ALTER TABLE orders ADD COLUMN note text;\n"


def migration(tmp_path: Path, sql: str, name: str = "0042_change.sql") -> str:
    path = tmp_path / name
    path.write_text(sql)
    return str(path)


def needs(tmp_path: Path, sql: str, major: int) -> Needs:
    return needs_for_paths([migration(tmp_path, sql)], LintConfig(), major)


def check(scene: Scene, n: Needs, **th: Any) -> CheckReport:
    return check_once(scene.admin, n, CheckOptions(Thresholds(**th), sample=0))


def reason_codes(report: CheckReport) -> set[str]:
    return {r.code for r in report.decision.reasons}


def test_needs_from_the_lock_model(tmp_path: Path) -> None:
    sql = (
        "CREATE TABLE audit (id int);\n"
        "CREATE INDEX ON audit (id);\n"
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (customer_id) REFERENCES customers;\n"
        "ALTER TABLE orders ADD COLUMN note text;\n"
        "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n"
    )
    n = needs(tmp_path, sql, 18)
    modes = {x.relation: x.mode for x in n.needs}
    assert modes == {
        "public.orders": LockMode.AccessExclusiveLock,  # the stronger of the two
        "public.customers": LockMode.ShareRowExclusiveLock,
    }
    assert n.need("public.orders") is not None
    assert n.need("public.orders").where.endswith(":4")  # type: ignore[union-attr]
    assert n.new_relations == ("public.audit",)
    assert len(n.waits_for_snapshots) == 1 and n.waits_for_snapshots[0].endswith(":5")


def test_go_on_an_idle_database(scene: Scene, tables: Any, tmp_path: Path) -> None:
    report = check(scene, needs(tmp_path, ADD_COLUMN, tables.major))
    assert report.verdict is Verdict.GO
    assert report.decision.exit_code == 0
    assert not report.decision.blocking
    assert report.backups == ()


def test_idle_in_transaction_is_no_go(scene: Scene, tables: Any, tmp_path: Path) -> None:
    pid = scene.idle_in_transaction("SELECT * FROM orders WHERE id = 1", "forgotten-console")
    n = needs(tmp_path, ADD_COLUMN, tables.major)
    report = check(scene, n, idle_in_tx=0.0, traffic_age=0.0)
    assert report.verdict is Verdict.NO_GO and report.decision.exit_code == 4
    (r,) = [r for r in report.decision.blocking if r.pid == pid]
    assert r.code == "idle-in-transaction" and r.relation == "public.orders"
    assert "forgotten-console" in r.message and "ACCESS SHARE" in r.message
    assert "--terminate" in r.action
    # Under the idle threshold the same session is only a reason to wait.
    report = check(scene, n, idle_in_tx=3600.0, traffic_age=0.0)
    assert report.verdict is Verdict.WAIT
    assert [c.kind for c in report.decision.conflicts if c.session.pid == pid] == ["running"]


def test_long_transaction_is_no_go_and_short_is_traffic(
    scene: Scene, tables: Any, tmp_path: Path
) -> None:
    pid = scene.running("SELECT pg_sleep(60) FROM orders LIMIT 1", "analyst")
    wait_until(
        lambda: (s := scene.snapshot().sessions.get(pid)) and (s.age or 0) > 0.2,
        "the analyst's query to run",
    )
    n = needs(tmp_path, ADD_COLUMN, tables.major)
    report = check(scene, n, long_query=0.1)
    assert report.verdict is Verdict.NO_GO
    (r,) = [r for r in report.decision.blocking if r.pid == pid]
    assert r.code == "long-transaction" and "analyst" in r.message
    # The analyst runs as the superuser postgres: the suggested command must be one that
    # `pgwarden cancel` carries out (it refuses a superuser's session without --force).
    assert f"`pgwarden cancel --force {pid}`" in r.action
    # With a high long-query threshold it is a session to wait for ...
    assert check(scene, n, long_query=3600, traffic_age=0.0).verdict is Verdict.WAIT
    # ... and younger than traffic_age it is ordinary traffic: counted, not blocking.
    report = check(scene, n, long_query=3600, traffic_age=3600)
    assert report.verdict is Verdict.GO
    assert [c.kind for c in report.decision.conflicts] == ["traffic"]
    (t,) = report.traffic.tables
    assert (
        t.relation == "public.orders" and t.sessions == 1 and dict(t.applications) == {"analyst": 1}
    )


def test_a_lock_that_does_not_conflict_is_go(scene: Scene, tables: Any, tmp_path: Path) -> None:
    reader = scene.idle_in_transaction("SELECT * FROM orders", "reader")
    # SHARE UPDATE EXCLUSIVE does not conflict with a reader's ACCESS SHARE.
    n = needs(tmp_path, "ALTER TABLE orders SET (fillfactor = 70);\n", tables.major)
    assert n.needs[0].mode is LockMode.ShareUpdateExclusiveLock
    report = check(scene, n, idle_in_tx=0.0, traffic_age=0.0)
    assert report.verdict is Verdict.GO
    assert report.decision.conflicts == ()
    # Idle in transaction over the threshold, but harmless here: a note, not a blocker.
    (note,) = report.decision.notes
    assert note.code == "long-session" and note.pid == reader


def test_wait_behind_pg_dump_with_progress(scene: Scene, big_tables: Any, tmp_path: Path) -> None:
    scene.pg_dump()
    pid = scene.wait_dump_copying("public.b_big")
    sql = ADD_COLUMN + "ALTER TABLE a_done ADD COLUMN note text;\n"
    n = needs(tmp_path, sql, big_tables.major)

    def progressed() -> CheckReport | None:
        rep = check(scene, n)
        b = rep.backups[0] if rep.backups else None
        return rep if b and b.tuples_done and b.eta is not None else None

    report = wait_until(progressed, "pg_dump progress in pg_stat_progress_copy")
    assert report.verdict is Verdict.WAIT and report.decision.exit_code == 3
    (b,) = report.backups
    assert (b.pid, b.tool, b.matched_by) == (pid, "pg_dump", "application_name")
    assert b.copying == "public.b_big"
    assert set(b.holds) == {"public.orders", "public.a_done"}
    assert b.passed == ("public.a_done",)  # dumped before b_big, still locked
    assert b.ahead == ("public.orders",)
    assert b.tables == 4 and b.eta_scope == "dump"
    assert b.table_fraction is not None and 0 < b.table_fraction < 1
    assert b.dump_fraction is not None and 0 < b.dump_fraction < 1
    (r,) = [r for r in report.decision.blocking if r.code == "backup"]
    assert r.pid == pid and "pg_dump" in r.message and "ETA" in r.message
    assert report.decision.expected_wait == b.eta
    assert report.decision.wait_known


def test_pg_dump_does_not_block_a_weaker_lock(
    scene: Scene, big_tables: Any, tmp_path: Path
) -> None:
    scene.pg_dump()
    scene.wait_dump_copying("public.b_big")
    n = needs(tmp_path, "ALTER TABLE orders SET (fillfactor = 70);\n", big_tables.major)
    report = check(scene, n)
    assert report.verdict is Verdict.GO
    (r,) = [r for r in report.decision.reasons if r.code == "backup"]
    assert r.verdict is Verdict.GO and "no conflict" in r.message


def test_concurrent_index_waits_for_the_dump_snapshot(
    scene: Scene, big_tables: Any, tmp_path: Path
) -> None:
    scene.pg_dump()
    pid = scene.wait_dump_copying("public.b_big")
    n = needs(tmp_path, "CREATE INDEX CONCURRENTLY orders_total ON orders (total);\n", 18)
    report = check(scene, n)
    assert report.verdict is Verdict.WAIT
    assert any(r.code == "old-snapshot" and r.pid == pid for r in report.decision.blocking)


def test_existing_lock_queue_is_reported(scene: Scene, tables: Any, tmp_path: Path) -> None:
    holder = scene.idle_in_transaction("UPDATE orders SET total = total WHERE id = 1", "holder")
    waiter = scene.running("CREATE INDEX orders_total ON orders (total)", "indexer")
    scene.wait_waiting(waiter)
    report = check(scene, needs(tmp_path, ADD_COLUMN, tables.major), idle_in_tx=3600)
    (q,) = [r for r in report.decision.reasons if r.code == "lock-queue"]
    assert q.verdict is Verdict.WAIT and q.relation == "public.orders"
    assert f"behind pid {holder}" in q.message
    assert {c.session.pid: c.kind for c in report.decision.conflicts}[waiter] == "queued"


def test_traffic_rates_from_table_counters(scene: Scene, tables: Any, tmp_path: Path) -> None:
    # One statement per round trip: backends publish their counters when they go idle.
    scene.loop("UPDATE orders SET total = total + 1 WHERE id = 1", "worker")
    n = needs(tmp_path, ADD_COLUMN, tables.major)

    def busy() -> CheckReport | None:
        rep = check_once(scene.admin, n, CheckOptions(sample=1.2))
        t = rep.traffic.tables[0]
        return rep if t.writes_per_s and t.scans_per_s else None

    report = wait_until(busy, "the worker's updates to reach pg_stat_user_tables")
    t = report.traffic.tables[0]
    assert t.would_queue == "reads and writes"
    assert t.writes_per_s is not None and t.writes_per_s > 0
    assert report.traffic.sample > 0


# --- the command line -------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_cli_go_and_json(tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = migration(tmp_path, ADD_COLUMN)
    code, out, _ = run_cli(capsys, "check", path, "--dsn", tables.dsn, "--sample", "0")
    assert code == 0
    assert "GO (exit 0)" in out and "ACCESS EXCLUSIVE on public.orders" in out
    dsn = tables.dsn + " password=hunter2"  # trust auth ignores it; the output must hide it
    code, out, _ = run_cli(capsys, "check", path, "--dsn", dsn, "--format", "json", "--sample", "0")
    doc = json.loads(out)
    assert code == 0 and doc["verdict"] == "GO" and doc["exit_code"] == 0
    assert doc["needs"][0]["relation"] == "public.orders"
    assert "hunter2" not in out and "password=***" in doc["server"]["dsn"]


def test_cli_dsn_from_environment(
    tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any
) -> None:
    c = tables.cluster
    monkeypatch.delenv("DATABASE_URL", raising=False)
    for k, v in {"PGHOST": c.host, "PGPORT": str(c.port), "PGUSER": c.user}.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setenv("PGDATABASE", tables.name)
    code, out, _ = run_cli(capsys, "check", migration(tmp_path, ADD_COLUMN), "--sample", "0")
    assert code == 0 and f"database {tables.name}" in out


def test_cli_wait_behind_pg_dump(
    scene: Scene, big_tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene.pg_dump()
    pid = scene.wait_dump_copying("public.b_big")
    path = migration(tmp_path, ADD_COLUMN)
    code, out, _ = run_cli(capsys, "check", path, "--dsn", big_tables.dsn, "--sample", "0")
    assert code == 3
    assert "WAIT (exit 3)" in out and f"pg_dump (pid {pid})" in out
    assert "copying public.b_big" in out and "public.orders (not reached yet)" in out
    # --wait gives up at --max-wait, printing one line per poll when not on a terminal.
    args = ["--wait", "--max-wait", "300ms", "--interval", "100ms", "--sample", "0"]
    code, out, err = run_cli(capsys, "check", path, "--dsn", big_tables.dsn, *args)
    assert code == 3
    assert "WAIT (exit 3)" in err.splitlines()[0] and f"pg_dump pid {pid}" in err.splitlines()[0]
    assert "after --max-wait" in err


def test_cli_wait_until_go(
    scene: Scene, tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--wait returns GO once the blocker ends (the test terminates it after the first poll)."""
    pid = scene.idle_in_transaction("SELECT * FROM orders", "forgotten-console")

    def end_it() -> None:
        wait_until(lambda: _polled(scene), "pgwarden's first inspection pass")
        scene.admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    t = threading.Thread(target=end_it, daemon=True)
    t.start()
    args = ["--wait", "--max-wait", "60s", "--interval", "100ms", "--sample", "0"]
    path = migration(tmp_path, ADD_COLUMN)
    code, out, err = run_cli(
        capsys, "check", path, "--dsn", tables.dsn, "--idle-in-tx", "0s", *args
    )
    t.join(timeout=30)
    assert code == 0, err
    assert "GO (exit 0)" in out
    first = err.splitlines()[0]
    assert "NO-GO" in first and f"idle-in-transaction pid {pid}" in first


def _polled(scene: Scene) -> bool:
    """True once a `pgwarden-check` session has finished an inspection pass."""
    row = scene.admin.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgwarden-check' "
        "AND datname = current_database() AND state = 'idle' "
        "AND query LIKE '-- One inspection pass%%'"
    ).fetchone()
    return bool(row and row[0])


def test_cli_bad_input(tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = migration(tmp_path, "ALTER TABLE orders ADD COLUMN;\n", "bad.sql")
    code, _, err = run_cli(capsys, "check", bad, "--dsn", tables.dsn)
    assert code == 2 and "bad.sql:1:" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exc:
        main(["check", bad, "--dsn", tables.dsn, "--max-wait", "soon"])
    assert exc.value.code == 2
    assert "invalid duration 'soon'" in capsys.readouterr().err
    code, _, err = run_cli(capsys, "check", bad, "--dsn", tables.dsn, "--backup-pattern", "(")
    assert code == 2 and "invalid --backup-pattern" in err
