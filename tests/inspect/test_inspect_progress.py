"""The runner's cheap progress reader (inspect.progress) gives `check`'s numbers for a backup."""

from __future__ import annotations

import time
from typing import Any

from inspect_scene import Scene, wait_until

from pgwarden.inspect.backups import compile_patterns, find_backups
from pgwarden.inspect.progress import ProgressReader
from pgwarden.runner.events import BlockerInfo


def _session(scene: Scene, pid: int) -> BlockerInfo:
    row = scene.admin.execute(
        "SELECT extract(epoch FROM now() - xact_start)::float8, "
        "extract(epoch FROM now() - query_start)::float8, query, xact_start::text "
        "FROM pg_stat_activity WHERE pid = %s",
        (pid,),
    ).fetchone()
    assert row is not None
    return BlockerInfo(
        pid, "pg_dump", xact_age=row[0], query_age=row[1], query=row[2], xact_start=row[3]
    )


def test_reader_agrees_with_check_on_a_paused_pg_dump(scene: Scene, big_tables: Any) -> None:
    dump = scene.pg_dump()
    pid = scene.wait_dump_copying("public.b_big")
    dump.paused.set()  # pg_dump blocks on its output, its COPY on the socket: progress stops
    last: list[Any] = [None]

    def settled() -> int | None:
        """The backend waits to write to its client and sent nothing since the previous look,
        half a second before: every buffer up to the paused reader is full. (Two looks 50 ms
        apart were not enough: on a busy machine the COPY can stand still that long while
        the buffers are still filling, and the two readers below then see different rows.)"""
        row = scene.admin.execute(
            "SELECT p.tuples_processed, a.wait_event FROM pg_stat_progress_copy p "
            "JOIN pg_stat_activity a USING (pid) WHERE p.pid = %s",
            (pid,),
        ).fetchone()
        n, event = (row[0], row[1]) if row else (None, None)
        steady = n is not None and n > 0 and n == last[0] and event == "ClientWrite"
        last[0] = n
        if not steady:
            time.sleep(0.5)
        return n if steady else None

    wait_until(settled, "pg_dump's COPY to stop moving", timeout=60)
    reader = ProgressReader(scene.admin)
    progress = reader.read([_session(scene, pid)])
    (b,) = find_backups(scene.snapshot(), compile_patterns())
    p = progress[pid]
    assert p.tuples_done is not None and p.tuples_done > 0  # pg_stat_progress_copy: PG 14+
    assert p.table_fraction is not None and 0 < p.table_fraction < 1
    assert p.copying == "public.b_big" and p.eta_scope == "dump"
    assert p.dump_fraction is not None and 0 < p.dump_fraction < 1
    assert (p.copying, p.tuples_done, p.table_fraction, p.dump_fraction) == (
        b.copying,
        b.tuples_done,
        b.table_fraction,
        b.dump_fraction,
    )
    # The tables are read once per backup transaction; the next read reuses them.
    again = reader.read([_session(scene, pid)])
    assert again[pid].dump_fraction == p.dump_fraction
