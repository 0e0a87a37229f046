"""Output of `pgwarden blockers`: the lock tree, root blockers first."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgwarden.inspect.tree import BlockerTree, Node
from pgwarden.inspect.units import format_duration as fd
from pgwarden.report.inspect_common import (
    console,
    lock_dict,
    lock_text,
    server_text,
    session_dict,
    short_query,
    state_text,
    who,
)


def _label(node: Node, root: bool) -> Any:
    from rich.text import Text

    t = Text()
    t.append(f"pid {node.pid}", style="bold red" if root else "bold")
    if node.tag:
        t.append(f"  {node.tag}", style="bold yellow")
    s = node.session
    if node.pid == 0 and node.prepared:
        for p in node.prepared:
            t.append(f"  prepared transaction '{p.gid}' (owner {p.owner}, {fd(p.age)} ago)")
        t.append("\n  COMMIT PREPARED / ROLLBACK PREPARED ends it", style="dim")
        return t
    if s is None:
        t.append("  (session not visible)", style="dim")
        return t
    t.append(f"  {who(s)}  {state_text(s)}")
    if node.waits_for is not None:
        t.append(f"  {lock_text(node.waits_for)}", style="yellow")
    if node.holds is not None and node.holds.granted:
        t.append(f"  {lock_text(node.holds)}", style="red" if root else "")
    if root:
        t.append(f"  blocks {node.total_waiters}", style="bold")
    if node.also_blocks:
        t.append(f"  also blocks pid {', '.join(map(str, node.also_blocks))}", style="dim")
    if node.also_blocked_by:
        t.append(f"  also waits for pid {', '.join(map(str, node.also_blocked_by))}", style="dim")
    t.append(f"\n{short_query(s.query)}", style="dim")
    return t


def tree_renderable(tree: BlockerTree, dsn: str) -> Any:
    from rich.console import Group
    from rich.text import Text
    from rich.tree import Tree

    snap = tree.snapshot
    head = Text("pgwarden blockers  ", style="bold")
    head.append(f"{dsn or '(PG* environment)'}  {server_text(snap)}  ", style="dim")
    head.append(snap.taken_at.strftime("%H:%M:%S"), style="dim")
    parts: list[Any] = [head]
    if not tree.roots:
        parts.append(Text("no session is waiting for a lock", style="green"))
    else:
        parts.append(
            Text(
                f"{tree.waiting} session(s) waiting behind {len(tree.roots)} root blocker(s)",
                style="bold",
            )
        )

    def add(branch: Any, node: Node) -> None:
        for child in node.children:
            add(branch.add(_label(child, False)), child)

    for root in tree.roots:
        t = Tree(_label(root, True), guide_style="dim")
        add(t, root)
        parts.append(t)
    if not snap.visibility.complete:
        v = snap.visibility
        parts.append(
            Text(
                f"{v.hidden_sessions} session(s) of other roles hide their query, state and ages "
                f"from {v.user}; GRANT pg_read_all_stats TO {v.user} (or pg_monitor) to see them",
                style="yellow",
            )
        )
    return Group(*parts)


def write_blockers_text(tree: BlockerTree, dsn: str, out: TextIO) -> None:
    console(out).print(tree_renderable(tree, dsn))


def node_dict(node: Node) -> dict[str, Any]:
    return {
        "pid": node.pid,
        "tag": node.tag or None,
        "session": session_dict(node.session) if node.session else None,
        "waits_for": lock_dict(node.waits_for),
        "holds": lock_dict(node.holds),
        "also_blocked_by": list(node.also_blocked_by),
        "also_blocks": list(node.also_blocks),
        "prepared": [{"gid": p.gid, "owner": p.owner, "age_s": p.age} for p in node.prepared],
        "total_waiters": node.total_waiters,
        "children": [node_dict(c) for c in node.children],
    }


def blockers_dict(tree: BlockerTree, dsn: str) -> dict[str, Any]:
    snap = tree.snapshot
    return {
        "server": {
            "dsn": dsn,
            "database": snap.database,
            "server_version_num": snap.version_num,
            "taken_at": snap.taken_at.isoformat(),
        },
        "waiting": tree.waiting,
        "roots": [node_dict(r) for r in tree.roots],
        "visibility": {
            "user": snap.visibility.user,
            "hidden_sessions": snap.visibility.hidden_sessions,
            "complete": snap.visibility.complete,
        },
    }


def write_blockers_json(tree: BlockerTree, dsn: str, out: TextIO) -> None:
    json.dump(blockers_dict(tree, dsn), out, indent=2)
    out.write("\n")
