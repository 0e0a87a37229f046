"""A short real replay on PG 18: the blockers hold what they claim, and naive vs pgwarden."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgwarden.embedded import Cluster
from pgwarden.replay.blockers import Blocker
from pgwarden.replay.load import prepare_table
from pgwarden.replay.scenario import ReplayConfig, replay

TEMPLATE = "pgwarden_template"


@pytest.fixture
def dsn(pg18: Cluster) -> Iterator[str]:
    name = f"rp_{uuid.uuid4().hex[:16]}"
    pg18.create_database(name, template=TEMPLATE)
    yield pg18.dsn(name)
    pg18.drop_database(name)


def _holds_access_share(dsn: str, pid: int | None, table: str) -> bool:
    with psycopg.connect(dsn, autocommit=True) as c:
        row = c.execute(
            "SELECT count(*) FROM pg_locks WHERE pid = %s AND relation = %s::regclass "
            "AND mode = 'AccessShareLock' AND granted",
            (pid, table),
        ).fetchone()
    return bool(row and row[0])


@pytest.mark.parametrize("kind", ["backup", "long-read", "idle-in-transaction"])
def test_blocker_holds_the_table_until_it_says_it_ended(pg18: Cluster, dsn: str, kind: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        prepare_table(c, "accounts", 5_000)
    b = Blocker(kind, dsn, "accounts", 30.0, pg_dump=pg18.bin("pg_dump"))
    b.start()
    try:
        assert b.error is None and b.started is not None and b.pid is not None
        held = _holds_access_share(dsn, b.pid, "accounts")
        if kind == "backup":
            with psycopg.connect(dsn, autocommit=True) as c:
                app = c.execute(
                    "SELECT application_name FROM pg_stat_activity WHERE pid = %s", (b.pid,)
                ).fetchone()
            assert app == ("pg_dump",)
    finally:
        b.release()
        b.join(timeout=30)
    assert held
    assert not b.running and b.error is None
    assert b.ended is not None and b.ended > b.started
    # `ended` is the release as the server saw it: the lock is gone by then.
    assert not _holds_access_share(dsn, b.pid, "accounts")


def test_naive_stalls_for_the_backup_and_pgwarden_does_not(pg18: Cluster, dsn: str) -> None:
    # The scenario is scripted in time: the backup runs `blocker_seconds` from its start
    # whatever the migration does, so pgwarden's process must start and reach its wait
    # before the backup ends. That took 1.7 s on a loaded 2-core machine (0.25 s idle).
    cfg = ReplayConfig(
        rows=5_000,
        clients=4,
        blocker_at=1.0,
        blocker_seconds=4.0,
        migration_at=1.5,
        tail=0.5,
        max_seconds=40.0,
    )
    naive = replay("naive", dsn, pg18.bin("pg_dump"), cfg)
    guarded = replay("pgwarden", dsn, pg18.bin("pg_dump"), cfg)
    for run in (naive, guarded):
        print(run.strategy, run.summary, run.blocker_span, run.migration_span)
        assert run.blocker_error is None
        assert run.summary.migration_ok, run.summary.error
        b0, b1 = run.blocker_span
        m0, m1 = run.migration_span
        assert b1 is not None and m1 is not None
        # The migration could only commit once the backup let go (the release is dated to
        # within a poll period, about a millisecond).
        assert b0 < m0 < b1 < m1 + 0.005
        assert run.summary.queries > 100  # the app did run
    # The blocked stretch, to the backup's end. Naive: from its ALTER, sent right after its
    # `attempt` event (its process takes a while to start, longer on a busy machine, and the
    # app runs freely meanwhile). pgwarden: from its process's start, the longer stretch.
    naive_events: list[tuple[float, str]] = naive.extra["events"]  # type: ignore[assignment]
    naive_sent = next(t for t, k in naive_events if k == "attempt")
    naive_blocked = naive.blocker_span[1] - naive_sent  # type: ignore[operator]
    guarded_blocked = guarded.blocker_span[1] - guarded.migration_span[0]  # type: ignore[operator]
    # Naive: the ALTER queues behind the backup and every query queues behind the ALTER.
    assert naive.summary.longest_gap_ms >= 0.8 * naive_blocked * 1000
    assert naive.summary.window_max_ms >= 0.8 * naive_blocked * 1000
    # pgwarden: waits without queueing; the app never notices the backup.
    assert guarded.summary.errors == 0
    assert guarded.summary.longest_gap_ms < 0.2 * guarded_blocked * 1000
    assert guarded.summary.max_ms < 0.2 * guarded_blocked * 1000
    # It waited instead of polling by attempting: its first attempt came after the wait, and
    # (short app transactions aside) that attempt went through. Counted from its JSON events.
    kinds = [k for _, k in guarded.extra["events"]]  # type: ignore[attr-defined]
    assert 1 <= guarded.summary.attempts == kinds.count("attempt") <= 3
    assert kinds.index("waiting") < kinds.index("attempt") < kinds.index("migration_applied")
