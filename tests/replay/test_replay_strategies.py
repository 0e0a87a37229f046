"""The peers' retry policies: their schedules, and their deploy process against PG 18."""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgtools import wait_until
from pgwarden.embedded import Cluster
from pgwarden.replay.strategies import GITLAB_SCHEDULE, SCHEDULES, STRATEGIES

TEMPLATE = "pgwarden_template"


@pytest.fixture
def dsn(pg18: Cluster) -> Iterator[str]:
    name = f"rs_{uuid.uuid4().hex[:16]}"
    pg18.create_database(name, template=TEMPLATE)
    yield pg18.dsn(name)
    pg18.drop_database(name)


def test_schedules() -> None:
    assert SCHEDULES["naive"]() == [(None, 0.0)]
    assert SCHEDULES["timeout10"]() == [(10.0, 0.0)]
    gitlab = SCHEDULES["gitlab"]()
    assert gitlab[:5] == [(0.1, 0.05), (0.1, 0.05), (0.2, 0.05), (0.3, 0.1), (0.4, 0.15)]
    assert gitlab == list(GITLAB_SCHEDULE)
    backoff = SCHEDULES["backoff"]()
    assert all(t == 0.05 for t, _ in backoff)
    # Full jitter under a ceiling that doubles from 50 ms up to 2 s.
    assert all(0 <= s <= min(2.0, 0.05 * 2**n) for n, (_, s) in enumerate(backoff))
    assert max(s for _, s in backoff) > 1.0
    assert backoff == SCHEDULES["backoff"]()  # seeded: every run races the same way


def _clock() -> float:
    return time.monotonic()


def test_peer_process_retries_a_lock_timeout_then_applies(dsn: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as c:
        c.execute("CREATE TABLE t (id int)")
    holder = psycopg.connect(dsn)
    holder.execute("SELECT * FROM t")  # ACCESS SHARE until commit
    lost: list[bool] = []

    def release_after_a_lost_attempt() -> None:
        # However long the peer's process takes to start, hold the table until one of its
        # attempts has queued for it and stopped waiting: with the table still held, that
        # attempt hit its lock_timeout.
        with psycopg.connect(dsn, autocommit=True) as watcher:
            seen: set[str] = set()

            def one_lost() -> bool:
                rows = watcher.execute(
                    "SELECT query_start::text FROM pg_stat_activity WHERE "
                    "application_name = 'migration' AND wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                ).fetchall()
                waiting = {str(r[0]) for r in rows}
                gone = bool(seen - waiting)
                seen.update(waiting)
                return gone

            with contextlib.suppress(AssertionError):  # the test's own assertion says so
                wait_until(one_lost, timeout=25, what="a lost attempt")
                lost.append(True)
        holder.commit()

    release = threading.Thread(target=release_after_a_lost_attempt)
    release.start()
    try:
        out = STRATEGIES["backoff"](dsn, "ALTER TABLE t ADD COLUMN x int", _clock, _clock() + 30)
    finally:
        release.join()
        holder.close()
    assert lost, "no attempt of the peer's process was seen waiting for the table"
    assert out.ok, out.error
    assert out.attempts >= 2  # at least one 50 ms attempt lost to the holder
    kinds = [k for _, k in out.events]
    assert kinds.count("attempt") == out.attempts and kinds[-1] == "migration_applied"
    assert out.ended is not None and out.started < out.ended


def test_peer_process_does_not_retry_other_errors(dsn: str) -> None:
    out = STRATEGIES["gitlab"](dsn, "ALTER TABLE missing ADD COLUMN x int", _clock, _clock() + 30)
    assert not out.ok
    assert out.attempts == 1 and out.error == "UndefinedTable"
