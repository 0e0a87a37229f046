"""max-wait bounds time spent waiting for locks, not time spent working (PG 18)."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
from _runner_helpers import Blocker, Db18, wait_until, write_migrations

from pgwarden.runner import Abort, Policy, migrate
from pgwarden.runner.events import AttemptStarted, Event, LockTimeout
from pgwarden.runner.watchdog import Watchdog

WORK_THEN_LOCK = """
DO $$ BEGIN
  PERFORM pg_sleep(%s);                         -- the work: an index build, a backfill
  LOCK TABLE t IN ACCESS EXCLUSIVE MODE;        -- then a lock another session holds
END $$
"""


def _waiting(db: Db18, pid: int) -> bool:
    state = db.scalar("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
    return state == "Lock"


def _run(conn: psycopg.Connection, sql: str, outcome: list[BaseException]) -> threading.Thread:
    def go() -> None:
        try:
            conn.execute(sql)
        except BaseException as exc:  # reported by the caller's assertions
            outcome.append(exc)

    t = threading.Thread(target=go, daemon=True)
    t.start()
    return t


def test_a_lock_wait_is_judged_from_when_it_starts(db18: Db18) -> None:
    with db18.connect() as c:
        c.execute("CREATE TABLE t (id int)")
    mig = db18.connect()
    pid = mig.info.backend_pid
    wd = Watchdog(db18.dsn, "pgwarden/test/watchdog", Policy(), Abort())
    wd.watch(pid)
    wd.start()
    try:
        # Armed with 1 s of waiting allowed, the statement works for 1.5 s before it waits:
        # the wait itself is young, so it is not cancelled (it was, when max-wait counted
        # from the start of the statement).
        holder = Blocker(db18.dsn, "t", app="report")
        wd.arm(1.0)
        outcome: list[BaseException] = []
        worker = _run(mig, WORK_THEN_LOCK % 1.5, outcome)
        wait_until(lambda: _waiting(db18, pid), timeout=30, what="the statement to wait")
        # The watchdog has judged the wait (it records whom we wait for) before it ends.
        wait_until(lambda: wd.blockers_seen(clear=False), timeout=30, what="the watchdog to look")
        holder.release()
        worker.join(timeout=30)
        wd.disarm()
        assert outcome == [] and wd.take_cancels() == []

        # A wait that outlasts the limit is cancelled as over max-wait.
        holder = Blocker(db18.dsn, "t", app="report")
        wd.arm(0.3)
        worker = _run(mig, WORK_THEN_LOCK % 0, outcome)
        worker.join(timeout=30)
        wd.disarm()
        holder.release()
        assert len(outcome) == 1 and isinstance(outcome[0], psycopg.errors.QueryCanceled)
        (cancel,) = wd.take_cancels()
        assert cancel.reason == "max-wait" and cancel.pid == pid
    finally:
        wd.stop()
        mig.close()


def test_time_spent_working_does_not_use_up_max_wait(db18: Db18, tmp_path: Path) -> None:
    """A migration that works longer than max-wait, then loses a lock race, is retried."""
    with db18.connect() as c:
        c.execute("CREATE TABLE t (id int)")
    d = write_migrations(
        tmp_path, {"0001_slow.sql": "SELECT pg_sleep(1.5);\nALTER TABLE t ADD COLUMN b int;\n"}
    )
    holders: list[Blocker] = []

    def sink(e: Event) -> None:
        if isinstance(e, AttemptStarted) and e.attempt == 1:
            holders.append(Blocker(db18.dsn, "t", app="report"))  # arrives during the work
        elif isinstance(e, LockTimeout):
            holders[0].release_after(0.2)

    try:
        result = migrate(d, db18.dsn, policy=Policy(max_wait=1.0), events=sink, abort=Abort())
    finally:
        for h in holders:
            h.release()
    assert [m.attempts for m in result.applied] == [2]
    assert (
        db18.scalar(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'b'"
        )
        == 1
    )
