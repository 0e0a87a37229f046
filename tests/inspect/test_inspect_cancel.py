"""`cancel` and `unblock` on real sessions: exactly the policy's sessions are signalled."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from inspect_scene import Scene, wait_until

from pgwarden.cli.main import main
from pgwarden.inspect.cancel import (
    Policy,
    check_policy,
    execute,
    plan_pids,
    plan_unblock,
    select_roots,
)
from pgwarden.inspect.snapshot import take_snapshot
from pgwarden.inspect.tree import build_tree


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out + err


def dump_scene(scene: Scene) -> dict[str, int]:
    """pg_dump (as a backup role) with an ALTER and a SELECT queued behind it, plus a second root:
    an application session idle in transaction with its own ALTER waiting."""
    backup = scene.role("backup", "pg_read_all_data")
    app = scene.role("app")
    dump = scene.pg_dump(user=backup)
    pids = {"dump": scene.wait_dump_copying("public.b_big")}
    pids["idle"] = scene.idle_in_transaction("SELECT * FROM customers", "billing", user=app)
    pids["alter"] = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(pids["alter"])
    pids["select"] = scene.running("SELECT count(*) FROM orders", "web", user=app)
    scene.wait_waiting(pids["select"])
    pids["alter2"] = scene.running("ALTER TABLE customers ADD COLUMN vip bool", "migrate2")
    scene.wait_waiting(pids["alter2"])
    scene.dump = dump  # type: ignore[attr-defined]
    return pids


def test_unblock_application_pg_dump(
    scene: Scene, big_tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pids = dump_scene(scene)
    tree = build_tree(scene.snapshot())
    assert {r.pid for r in tree.roots} == {pids["dump"], pids["idle"]}
    assert [s.pid for s in select_roots(tree, application="pg_dump")] == [pids["dump"]]
    assert select_roots(tree, application="pg_dump", min_age=3600) == []
    assert [s.pid for s in select_roots(tree, query=r"^COPY public\.b_big")] == [pids["dump"]]

    # Not a terminal and no --yes: a dry run that touches nothing.
    code, out = run_cli(capsys, "unblock", "--dsn", big_tables.dsn, "--application", "pg_dump")
    assert code == 0
    assert f"would cancel pid {pids['dump']}" in out and "nothing was done" in out
    assert scene.dump.proc.poll() is None  # type: ignore[attr-defined]

    code, out = run_cli(
        capsys, "unblock", "--dsn", big_tables.dsn, "--application", "pg_dump", "--yes"
    )
    assert code == 0, out
    assert f"cancel pid {pids['dump']}" in out and "1 signalled, 0 not" in out
    assert "billing" not in out  # the other root was not selected
    # A backend blocked sending COPY data to a slow client handles the cancel once it can
    # write again: let the reader go at full speed.
    scene.dump.unthrottle()  # type: ignore[attr-defined]

    # The queue behind pg_dump drained; the other root and its waiter are untouched.
    def drained() -> Any:
        snap = scene.snapshot()
        alter = snap.sessions.get(pids["alter"])
        return snap if alter is not None and not alter.waiting else None

    snap = wait_until(drained, "the ALTER behind pg_dump to get its lock")
    assert pids["idle"] in snap.sessions and snap.sessions[pids["idle"]].idle_in_transaction
    assert snap.sessions[pids["alter2"]].blocked_by == (pids["idle"],)
    # The pg_dump process exits once it has drained what the server had already sent.
    assert scene.dump.proc.wait(timeout=30) != 0  # type: ignore[attr-defined]


def test_dump_whose_client_stopped_reading(scene: Scene, big_tables: Any) -> None:
    """A backend blocked sending COPY data to a client that reads nothing (ClientWrite, every
    buffer full) acts on a cancel only if its write completes, but always on a terminate. The
    outcome of the cancel must match what really happened; the terminate must end it."""
    dump = scene.pg_dump()
    pid = scene.wait_dump_copying("public.b_big")
    dump.paused.set()
    alter = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(alter)
    last: list[int | None] = [None]

    def stalled() -> bool:
        """ClientWrite and no progress since the previous look: every buffer is full."""
        snap = scene.snapshot()
        s, p = snap.sessions.get(pid), snap.copies.get(pid)
        now = p.bytes_processed if p else None
        same, last[0] = now is not None and now == last[0], now
        if not same:
            time.sleep(0.5)
        return bool(same and s and s.wait_event == "ClientWrite")

    wait_until(stalled, "pg_dump's backend to stall on ClientWrite", timeout=60)
    read_before = dump.read
    with psycopg.connect(big_tables.dsn, autocommit=True) as conn:
        snap = take_snapshot(conn)
        (o,) = execute(conn, plan_pids(snap, [pid], Policy(force=True), build_tree(snap)))
        assert o.sent
        if "blocks nobody" in o.result or "has ended" in o.result:
            assert not scene.snapshot().sessions[alter].waiting, o.result
        else:  # the write never completed within the settle time: the report says why
            assert "still blocks 1 session(s)" in o.result and "ClientWrite" in o.result
            snap = take_snapshot(conn)
            if pid in snap.sessions:
                plan = plan_pids(snap, [pid], Policy(terminate=True, force=True))
                (o,) = execute(conn, plan)
                assert o.sent and ("has ended" in o.result or "blocks nobody" in o.result)
    assert dump.read == read_before  # the client read nothing meanwhile
    wait_until(lambda: not scene.snapshot().sessions[alter].waiting, "the ALTER to proceed")


def test_unblock_idle_session_needs_terminate(
    scene: Scene, big_tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    pids = dump_scene(scene)
    args = ("unblock", "--dsn", big_tables.dsn, "--application", "^billing$", "--yes")
    code, out = run_cli(capsys, *args, "--format", "json")
    assert code == 1
    (action,) = json.loads(out)["actions"]
    assert action["pid"] == pids["idle"] and not action["sent"]
    assert "use --terminate" in action["refused"]
    code, out = run_cli(capsys, *args, "--terminate")
    assert code == 0, out
    assert f"terminate pid {pids['idle']}" in out
    wait_until(lambda: pids["idle"] not in scene.snapshot().sessions, "the idle session to end")
    assert scene.dump.proc.poll() is None  # type: ignore[attr-defined]  # pg_dump untouched


def test_cancel_policy(scene: Scene, tables: Any, capsys: pytest.CaptureFixture[str]) -> None:
    sleeper = scene.running("SELECT pg_sleep(60)", "superuser-job")  # runs as superuser postgres
    app = scene.role("app")
    app_job = scene.running("SELECT pg_sleep(60)", "app-job", user=app)
    wait_until(
        lambda: all(
            (s := scene.snapshot().sessions.get(p)) and s.state == "active"
            for p in (sleeper, app_job)
        ),
        "both sleepers to run",
    )
    with psycopg.connect(tables.dsn, autocommit=True) as conn:
        snap = take_snapshot(conn)
        assert "own session" in check_policy(snap, snap.own_pid, Policy()).refused
        assert "no session" in check_policy(snap, 999_999, Policy()).refused
        assert "superuser" in check_policy(snap, sleeper, Policy()).refused
        assert check_policy(snap, sleeper, Policy(force=True)).allowed
        assert check_policy(snap, app_job, Policy()).allowed

    code, out = run_cli(capsys, "cancel", str(sleeper), str(app_job), "--dsn", tables.dsn)
    assert code == 1  # one of the two was refused
    assert "superuser session" in out and "1 signalled, 1 not" in out
    wait_until(lambda: app_job in scene.errors, "the app job to be cancelled")
    assert isinstance(scene.errors[app_job], psycopg.errors.QueryCanceled)
    assert sleeper not in scene.errors

    code, out = run_cli(capsys, "cancel", str(sleeper), "--force", "--dsn", tables.dsn)
    assert code == 0, out
    wait_until(lambda: sleeper in scene.errors, "the superuser job to be cancelled")
    assert isinstance(scene.errors[sleeper], psycopg.errors.QueryCanceled)


def test_replication_connections_are_never_signalled(
    scene: Scene, tables: Any, tmp_path: Path
) -> None:
    c = tables.cluster
    argv = [str(c.bin("pg_receivewal")), "-h", c.host, "-p", str(c.port), "-U", c.user]
    proc = subprocess.Popen([*argv, "-D", str(tmp_path), "--no-sync"], stderr=subprocess.PIPE)
    try:

        def walsender() -> Any:
            snap = scene.snapshot()
            return (
                snap if any(x.backend_type == "walsender" for x in snap.sessions.values()) else None
            )

        snap = wait_until(walsender, "pg_receivewal's walsender")
        (ws,) = [x for x in snap.sessions.values() if x.backend_type == "walsender"]
        for policy in (Policy(), Policy(terminate=True, force=True, include_autovacuum=True)):
            assert "walsender" in check_policy(snap, ws.pid, policy).refused
        tree = build_tree(snap)
        assert plan_unblock(tree, [ws], Policy(force=True))[0].refused
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stderr:
            proc.stderr.close()
