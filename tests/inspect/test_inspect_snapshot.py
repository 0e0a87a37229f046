"""The snapshot query on real servers: both version variants, locks, waits, relations."""

from __future__ import annotations

from typing import Any

import pytest
from inspect_scene import Scene

from pgwarden.inspect.queries import query_text
from pgwarden.inspect.snapshot import parse_snapshot, take_snapshot


def test_snapshot_of_an_idle_database(tables: Any) -> None:
    with tables.connect(autocommit=True) as conn:
        snap = take_snapshot(conn, ["public.orders", "public.no_such_table", "customers"])
        own = conn.info.backend_pid
    assert snap.database == tables.name
    assert snap.version_num // 10000 == tables.major
    assert own == snap.own_pid and own not in snap.sessions
    names = {r.name for r in snap.relations.values() if r.target}
    assert names == {"public.orders", "public.customers"}
    orders = snap.relation_named("public.orders")
    assert orders is not None and orders.reltuples == 1000 and orders.rows == 1000
    assert snap.visibility.superuser and snap.visibility.complete
    assert not [s for s in snap.sessions.values() if s.database == tables.name]


@pytest.mark.parametrize("variant", ["snapshot.sql", "snapshot_pg14.sql"])
def test_each_variant_sees_a_lock_wait(scene: Scene, tables: Any, variant: str) -> None:
    """snapshot.sql (for PG 12-13) must also run on newer servers: it is tested here."""
    holder = scene.idle_in_transaction("LOCK TABLE orders IN SHARE MODE", "holder")
    waiter = scene.running("UPDATE orders SET total = 0 WHERE id = 1", "writer")
    scene.wait_waiting(waiter)
    row = scene.admin.execute(
        query_text(variant), {"schemas": ["public"], "names": ["orders"], "query_len": 50}
    ).fetchone()
    assert row is not None
    snap = parse_snapshot(*row)
    h, w = snap.sessions[holder], snap.sessions[waiter]
    assert h.idle_in_transaction and h.application == "holder"
    assert [(lk.mode, lk.relation, lk.granted) for lk in h.locks] == [
        ("ShareLock", "public.orders", True)
    ]
    assert w.blocked_by == (holder,)
    (awaited,) = w.awaited
    assert (awaited.mode, awaited.relation) == ("RowExclusiveLock", "public.orders")
    assert awaited.key == h.locks[0].key
    assert w.query is not None and len(w.query) <= 50
    if variant == "snapshot_pg14.sql":
        assert awaited.waiting is not None and awaited.waiting >= 0
    else:
        assert awaited.waiting is None
