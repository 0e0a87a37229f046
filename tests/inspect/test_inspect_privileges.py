"""As a plain role (no pg_read_all_stats) check, blockers and cancel still work and say what
they cannot see; nothing fails with a raw permission error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest
from inspect_scene import Scene

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.inspect.check import CheckOptions, check_once
from pgwarden.inspect.needs import needs_for_paths
from pgwarden.inspect.snapshot import take_snapshot
from pgwarden.inspect.tree import build_tree
from pgwarden.inspect.verdict import Verdict


def blocked(scene: Scene) -> tuple[int, int]:
    holder = scene.idle_in_transaction("SELECT * FROM orders", "forgotten-console")
    alter = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(alter)
    return holder, alter


def test_plain_role_sees_locks_but_not_details(
    scene: Scene, tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    holder, alter = blocked(scene)
    plain = scene.role("plain")
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE orders ADD COLUMN extra int;\n")
    n = needs_for_paths([str(path)], LintConfig(), tables.major)
    with psycopg.connect(scene.dsn_as(plain), autocommit=True) as conn:
        report = check_once(conn, n, CheckOptions(sample=0))
        tree = build_tree(take_snapshot(conn))
    v = report.snapshot.visibility
    assert not v.read_all_stats and not v.superuser and v.hidden_sessions >= 2
    h = report.snapshot.sessions[holder]
    assert not h.visible and h.query is None and h.application == "forgotten-console"
    kinds = {c.session.pid: c.kind for c in report.decision.conflicts}
    assert kinds[holder] == "hidden"  # the lock is visible in pg_locks, its age is not
    assert report.verdict is Verdict.WAIT
    (note,) = [r for r in report.decision.reasons if r.code == "visibility"]
    assert "GRANT pg_read_all_stats" in note.action
    # pg_blocking_pids works for everyone: the tree is complete.
    assert [r.pid for r in tree.roots] == [holder]
    assert [c.pid for c in tree.roots[0].children] == [alter]

    dsn = scene.dsn_as(plain)
    code = main(["check", str(path), "--dsn", dsn, "--sample", "0"])
    out, err = capsys.readouterr()
    assert code == 3 and "pg_read_all_stats" in out and "Traceback" not in err
    assert main(["blockers", "--dsn", dsn]) == 1
    out, err = capsys.readouterr()
    assert f"pid {holder}" in out and "pg_read_all_stats" in out
    # Signalling another role's session: refused by policy, then by the server with --force.
    assert main(["cancel", str(holder), "--terminate", "--dsn", dsn]) == 1
    out, err = capsys.readouterr()
    assert "hidden from this role" in out and "Traceback" not in err
    assert main(["cancel", str(holder), "--terminate", "--force", "--dsn", dsn]) == 1
    out, err = capsys.readouterr()
    assert "not allowed: " in out and "superuser" in out.lower()  # wording differs by version
    assert "Traceback" not in err
    assert holder in take_snapshot(scene.admin).sessions


def test_pg_read_all_stats_sees_everything(scene: Scene, tables: Any) -> None:
    holder, _ = blocked(scene)
    monitor = scene.role("monitor", "pg_read_all_stats")
    with psycopg.connect(scene.dsn_as(monitor), autocommit=True) as conn:
        snap = take_snapshot(conn, ["public.orders"])
    assert snap.visibility.read_all_stats and snap.visibility.complete
    h = snap.sessions[holder]
    assert h.visible and h.idle_in_transaction and h.query == "SELECT * FROM orders"
