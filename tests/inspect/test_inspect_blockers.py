"""The blocker tree on real lock queues: long transaction -> queued ALTER -> SELECTs behind it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from inspect_scene import Scene

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.inspect.check import CheckOptions, check_once
from pgwarden.inspect.needs import needs_for_paths
from pgwarden.inspect.snapshot import runner_label
from pgwarden.inspect.tree import BlockerTree, Node, build_tree
from pgwarden.inspect.verdict import Thresholds


def find(tree: BlockerTree, pid: int) -> Node:
    stack = list(tree.roots)
    while stack:
        n = stack.pop()
        if n.pid == pid:
            return n
        stack.extend(n.children)
    raise AssertionError(f"pid {pid} not in the tree")


def queue(scene: Scene) -> tuple[int, int, list[int]]:
    """A long transaction holding ACCESS SHARE, an ALTER queued behind it, SELECTs behind that."""
    root = scene.running("SELECT pg_sleep(60) FROM orders LIMIT 1", "analyst")
    scene.wait_until_holding(root, "public.orders")
    alter = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(alter)
    selects = [scene.running("SELECT count(*) FROM orders", f"web-{i}") for i in range(2)]
    for pid in selects:
        scene.wait_waiting(pid)
    return root, alter, selects


def test_tree_shape(scene: Scene, tables: Any) -> None:
    root, alter, selects = queue(scene)
    other = scene.idle_in_transaction("SELECT * FROM customers", "console")
    tree = build_tree(scene.snapshot())
    assert tree.waiting == 3
    assert [r.pid for r in tree.roots] == [root]  # `other` blocks nobody: not in the tree
    r = tree.roots[0]
    assert r.session is not None and r.session.application == "analyst"
    assert r.holds is not None and (r.holds.mode, r.holds.relation) == (
        "AccessShareLock",
        "public.orders",
    )
    assert r.waits_for is None and r.total_waiters == 3
    (a,) = r.children
    assert a.pid == alter
    assert a.waits_for is not None and (a.waits_for.mode, a.waits_for.granted) == (
        "AccessExclusiveLock",
        False,
    )
    # The SELECTs wait for the queued ALTER, not for the analyst (whose lock they share).
    assert sorted(c.pid for c in a.children) == sorted(selects)
    for c in a.children:
        assert c.waits_for is not None and c.waits_for.mode == "AccessShareLock"
        assert c.children == () and c.also_blocked_by == ()
    assert other not in {n.pid for n in tree.roots}


def test_waiter_blocked_by_two_sessions(scene: Scene, tables: Any) -> None:
    first = scene.idle_in_transaction("SELECT * FROM orders", "first")
    second = scene.idle_in_transaction("SELECT * FROM orders", "second")
    alter = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(alter)
    tree = build_tree(scene.snapshot())
    node = find(tree, alter)
    # Both are roots; the ALTER is shown under one and listed by the other.
    assert {r.pid for r in tree.roots} == {first, second}
    (parent,) = [r for r in tree.roots if node in r.children]
    (other,) = [r for r in tree.roots if r is not parent]
    assert node.also_blocked_by == (other.pid,)
    assert other.also_blocks == (alter,) and other.children == ()
    assert other.holds is not None and other.holds.relation == "public.orders"


@pytest.mark.parametrize(
    ("app", "label"),
    [
        ("pgwarden/r-20240601-1", "pgwarden migrate r-20240601-1"),
        # `pgwarden run` tags its command's sessions through PGAPPNAME.
        ("pgwarden-run/deadbeef", "pgwarden run deadbeef"),
    ],
)
def test_leftover_runner_session_is_named(
    scene: Scene, tables: Any, tmp_path: Path, app: str, label: str
) -> None:
    root = scene.idle_in_transaction("LOCK TABLE orders IN SHARE MODE", app)
    waiter = scene.running("UPDATE orders SET total = 1 WHERE id = 1", "web")
    scene.wait_waiting(waiter)
    tree = build_tree(scene.snapshot())
    (r,) = tree.roots
    assert r.pid == root and r.tag == f"{label} (left over if that run has ended)"
    path = tmp_path / "m.sql"
    path.write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    n = needs_for_paths([str(path)], LintConfig(), tables.major)
    report = check_once(scene.admin, n, CheckOptions(Thresholds(traffic_age=0), sample=0))
    (reason,) = [x for x in report.decision.blocking if x.pid == root]
    assert f"[{label}: left over if that run has ended]" in reason.message


def test_runner_labels_are_not_given_to_other_applications() -> None:
    assert runner_label("pgwarden-run/ab12/control") == "pgwarden run ab12/control"
    assert runner_label("pgwarden/ab12/watchdog") == "pgwarden migrate ab12/watchdog"
    # pgwarden's own inspection sessions (`pgwarden-check`) and look-alikes are ordinary clients.
    for app in ("pgwarden-check", "pgwarden", "my-pgwarden/x", "pgwarden-runner/x", ""):
        assert runner_label(app) is None, app


def test_cli_blockers_text_and_json(
    scene: Scene, tables: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["blockers", "--dsn", tables.dsn]) == 0
    assert "no session is waiting" in capsys.readouterr().out
    root, alter, selects = queue(scene)
    assert main(["blockers", "--dsn", tables.dsn]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    at = {
        pid: next(i for i, ln in enumerate(lines) if f"pid {pid} " in ln)
        for pid in (root, alter, *selects)
    }
    assert at[root] < at[alter] < min(at[p] for p in selects)  # root first, waiters below
    assert "holds ACCESS SHARE on public.orders" in lines[at[root]]
    assert "blocks 3" in lines[at[root]]
    assert "for ACCESS EXCLUSIVE on public.orders" in lines[at[alter]]
    assert "ALTER TABLE orders ADD COLUMN note text" in out
    assert main(["blockers", "--dsn", tables.dsn, "--format", "json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["waiting"] == 3
    (r,) = doc["roots"]
    assert r["pid"] == root and r["session"]["application"] == "analyst"
    assert [c["pid"] for c in r["children"]] == [alter]
    assert sorted(c["pid"] for c in r["children"][0]["children"]) == sorted(selects)
