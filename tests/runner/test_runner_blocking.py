"""The lock policy under a backup-like blocker and live application traffic (PG 18)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from _runner_helpers import AppLoad, Blocker, Db18, wait_until, write_migrations

from pgwarden.runner import Abort, Policy, migrate
from pgwarden.runner.errors import LockWaitExceeded
from pgwarden.runner.events import AttemptStarted, Event, EventSink, LockTimeout, Waiting
from pgwarden.runner.watchdog import Watchdog

ROWS = 20
GIVE_UP = 30.0  # seconds: a runner that never reports waiting gets its blocker back then


def _release_after_waiting(backup: Blocker, seconds: float, seen: list[Event]) -> EventSink:
    """A sink recording events that releases `backup` `seconds` after the runner first reports
    waiting, so the wait lasts that long however slowly the runner started; if it never
    waits, the backup goes after GIVE_UP and the test's assertions on Waiting fail."""
    backup.release_after(GIVE_UP)
    waited = threading.Event()

    def sink(e: Event) -> None:
        seen.append(e)
        if isinstance(e, Waiting) and not waited.is_set():
            waited.set()
            backup.release_after(seconds)

    return sink


def _setup(db: Db18, *tables: str) -> None:
    with db.connect() as c:
        for t in tables:
            c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int NOT NULL DEFAULT 0)")
            c.execute(f"INSERT INTO {t} (id) SELECT generate_series(1, {ROWS})")


def _columns(db: Db18, table: str) -> list[str]:
    with db.connect() as c:
        rows = c.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
            "AND NOT attisdropped ORDER BY attnum",
            (table,),
        ).fetchall()
    return [r[0] for r in rows]


def test_waits_for_a_backup_without_stalling_the_app(db18: Db18, tmp_path: Path) -> None:
    _setup(db18, "t")
    d = write_migrations(tmp_path, {"0001_add.sql": "ALTER TABLE t ADD COLUMN b int;\n"})
    seen: list[Event] = []
    with AppLoad(db18.dsn, "t", threads=6) as app:
        backup = Blocker(db18.dsn, "t", app="pg_dump")
        time.sleep(0.3)  # the backup was already running when the deploy started
        held_from = time.monotonic()
        migrate(d, db18.dsn, events=_release_after_waiting(backup, 3.0, seen))
        finished = time.monotonic()
        assert backup.released_at is not None
        held_until = backup.released_at
    late, stall = finished - held_until, app.max_latency()
    print(f"finished {late:.3f} s after the backup; longest app query {stall:.3f} s")
    assert "b" in _columns(db18, "t")
    assert finished >= held_until  # it could not have run while the backup held the table
    waits = [e for e in seen if isinstance(e, Waiting)]
    # The backup by name (an app transaction that a busy machine slowed past the blocker age
    # may be listed beside it).
    assert waits and any(b.pid == backup.pid and b.backup for b in waits[0].blockers)
    # Traffic kept flowing while the backup held the table, and nobody queued behind us.
    assert app.count(held_from, held_until) > 50
    assert app.max_latency() < 2.0, app.max_latency()
    assert not app.errors


def test_a_naive_alter_stalls_the_same_app(db18: Db18) -> None:
    """The contrast: without the policy, the queued ALTER stalls every query behind it."""
    _setup(db18, "t")
    with AppLoad(db18.dsn, "t", threads=6) as app:
        backup = Blocker(db18.dsn, "t")
        with db18.connect() as c:
            pid = c.info.backend_pid
            alter = threading.Thread(target=c.execute, args=("ALTER TABLE t ADD COLUMN b int",))
            alter.start()
            try:
                # The backup goes 1.5 s after the app is seen queued behind the ALTER.
                wait_until(
                    lambda: db18.scalar(
                        "SELECT count(*) FROM pg_stat_activity WHERE "
                        "starts_with(application_name, 'app') AND %s = ANY(pg_blocking_pids(pid))",
                        (pid,),
                    ),
                    timeout=GIVE_UP,
                    what="app queries to queue behind the ALTER",
                )
            finally:
                backup.release_after(1.5)
                alter.join(timeout=GIVE_UP)
    assert app.max_latency() > 0.8, app.max_latency()


def test_never_holds_one_table_while_waiting_for_another(db18: Db18, tmp_path: Path) -> None:
    _setup(db18, "a", "b")
    d = write_migrations(
        tmp_path,
        {"0001_two.sql": "ALTER TABLE a ADD COLUMN x int;\nALTER TABLE b ADD COLUMN x int;\n"},
    )
    seen: list[Event] = []
    with AppLoad(db18.dsn, "a", threads=4) as app:
        backup = Blocker(db18.dsn, "b")
        time.sleep(0.3)
        migrate(d, db18.dsn, events=_release_after_waiting(backup, 2.5, seen))
    assert "x" in _columns(db18, "a") and "x" in _columns(db18, "b")
    assert any(isinstance(e, Waiting) and any(b.relation == "b" for b in e.blockers) for e in seen)
    assert app.max_latency() < 1.5, app.max_latency()  # `a` was never locked while waiting


def test_unmodelled_statement_waits_instead_of_spinning(db18: Db18, tmp_path: Path) -> None:
    """A DO block hides its table from the lock model: the runner learns the blocker from the
    failed attempt and then watches it, instead of retrying every few milliseconds."""
    _setup(db18, "t")
    d = write_migrations(
        tmp_path,
        {"0001_do.sql": "DO $$ BEGIN EXECUTE 'ALTER TABLE t ADD COLUMN b int'; END $$;\n"},
    )
    seen: list[Event] = []
    with AppLoad(db18.dsn, "t", threads=4) as app:
        backup = Blocker(db18.dsn, "t")
        time.sleep(0.3)
        migrate(d, db18.dsn, events=_release_after_waiting(backup, 2.0, seen))
    assert "b" in _columns(db18, "t")
    timeouts = [e for e in seen if isinstance(e, LockTimeout)]
    assert 1 <= len(timeouts) <= 3, [t.via for t in timeouts]
    assert any(isinstance(e, Waiting) and backup.pid in {b.pid for b in e.blockers} for e in seen)
    assert app.max_latency() < 1.0, app.max_latency()


def test_gives_up_at_max_wait_with_a_report(db18: Db18, tmp_path: Path) -> None:
    _setup(db18, "t")
    d = write_migrations(tmp_path, {"0001_add.sql": "ALTER TABLE t ADD COLUMN b int;\n"})
    backup = Blocker(db18.dsn, "t", app="Heroku Postgres Backups")
    try:
        time.sleep(0.2)
        with pytest.raises(LockWaitExceeded) as err:
            migrate(d, db18.dsn, Policy(max_wait=0.5))
    finally:
        backup.release()
    msg = str(err.value)
    assert "0001_add.sql" in msg and f"pid {backup.pid}" in msg and "(backup)" in msg
    assert db18.scalar("SELECT outcome FROM pgwarden.migrations") == "failed"
    assert "b" not in _columns(db18, "t")


def test_watchdog_cancels_only_when_others_queue(db18: Db18) -> None:
    _setup(db18, "t")
    holder = Blocker(db18.dsn, "t")
    mig = db18.connect()
    pid = mig.info.backend_pid
    wd = Watchdog(db18.dsn, "pgwarden/test/watchdog", Policy(), Abort())
    wd.watch(pid)
    wd.start()
    try:
        # Nobody queues behind it: the watchdog lets lock_timeout decide.
        wd.arm()
        mig.execute("SET lock_timeout = '300ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            mig.execute("ALTER TABLE t ADD COLUMN b int")
        wd.disarm()
        assert wd.take_cancels() == []

        # Now an application query queues behind the waiting ALTER: it gets cancelled.
        mig.execute("SET lock_timeout = 0")
        wd.arm()
        outcome: list[BaseException] = []

        def alter() -> None:
            try:
                mig.execute("ALTER TABLE t ADD COLUMN b int")
            except BaseException as exc:
                outcome.append(exc)

        t = threading.Thread(target=alter)
        t.start()
        wait_until(
            lambda: (
                db18.scalar("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", (pid,))
                == "Lock"
            ),
            what="the ALTER to wait",
        )
        with db18.connect() as app:
            app.execute("SELECT count(*) FROM t")  # would hang until the holder commits
            app_done_while_held = holder.released_at is None
        t.join(timeout=10)
        wd.disarm()
        cancels = wd.take_cancels()
    finally:
        holder.release()
        wd.stop()
        mig.close()
    assert app_done_while_held
    assert outcome and isinstance(outcome[0], psycopg.errors.QueryCanceled)
    assert [c.reason for c in cancels] == ["queue"] and cancels[0].queued >= 1
    assert holder.pid in {b.pid for b in cancels[0].blockers}


def test_lock_timeouts_are_reported_with_their_blocker(db18: Db18, tmp_path: Path) -> None:
    _setup(db18, "t")
    d = write_migrations(tmp_path, {"0001_add.sql": "ALTER TABLE t ADD COLUMN b int;\n"})
    holders: list[Blocker] = []
    seen: list[Event] = []

    def sink(e: Event) -> None:
        seen.append(e)
        if isinstance(e, AttemptStarted) and e.attempt == 1:
            # A session grabs the table just as the first attempt starts: too young to wait
            # for, so the attempt races it and times out.
            holders.append(Blocker(db18.dsn, "t", app="report"))
            holders[0].release_after(GIVE_UP)
        elif isinstance(e, Waiting) and holders:
            holders[0].release()  # the retry found it old and waited: let it through

    migrate(d, db18.dsn, Policy(lock_timeout=0.2), events=sink)
    timeouts = [e for e in seen if isinstance(e, LockTimeout)]
    assert [t.via for t in timeouts] == ["lock_timeout"]
    assert holders[0].pid in {b.pid for b in timeouts[0].blockers}
    # The retry did not spin: the blocker was old by then, so the runner waited it out.
    assert any(isinstance(e, Waiting) for e in seen)
    assert "b" in _columns(db18, "t")
