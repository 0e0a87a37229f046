"""The runner's core scenarios on PG 15 (the slow PG 18 ones live beside this file), and the
watchdog against a foreign key's second lock on both majors."""

from __future__ import annotations

import signal
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _runner_helpers import (
    GATED,
    TEMPLATE,
    AppLoad,
    Blocker,
    Cli,
    Db18,
    pgwarden_sessions,
    race_two_runners,
    runner_lock_held,
    wait_until,
    write_migrations,
)

import pgtools
from pgwarden.embedded import Cluster
from pgwarden.runner import Policy, migrate
from pgwarden.runner.events import (
    AttemptStarted,
    Event,
    LockTimeout,
    MigrationApplied,
    RunStarted,
    Waiting,
)

Db = Db18  # pgtools.Db: the helpers' database handle, whatever the major
E = TypeVar("E", bound=Event)
ROWS = 20
GIVE_UP = 30.0  # seconds: bounds a wait that a broken runner would never end

# App sessions waiting for a lock with one of pgwarden's sessions among their blockers: queued
# behind a lock pgwarden holds, or behind a lock request of pgwarden's that is itself waiting.
QUEUED_BEHIND_PGWARDEN = """
SELECT w.pid, w.application_name, w.query FROM pg_stat_activity w
WHERE w.datname = current_database() AND w.wait_event_type = 'Lock'
  AND NOT starts_with(w.application_name, 'pgwarden')
  AND EXISTS (SELECT FROM pg_stat_activity p
              WHERE p.pid = ANY (pg_blocking_pids(w.pid))
                AND starts_with(p.application_name, 'pgwarden'))
"""
# Lock requests of pgwarden's sessions that the server has not granted yet.
PGWARDEN_LOCK_REQUESTS = """
SELECT l.pid, l.locktype, coalesce(l.relation::regclass::text, ''), l.mode
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted AND starts_with(a.application_name, 'pgwarden')
  AND a.datname = current_database()
"""


@pytest.fixture(scope="session")
def pg15(_pg_pool: Any) -> Cluster:
    """The PG 15 cluster of tests/conftest.py's pool (skipped when PG 15 is not installed)."""
    cluster: Cluster = _pg_pool.get(15)
    return cluster


def _fresh(cluster: Cluster) -> Iterator[Db]:
    name = f"r_{uuid.uuid4().hex[:16]}"
    cluster.create_database(name, template=TEMPLATE)
    yield Db(cluster, name)
    cluster.drop_database(name)


@pytest.fixture
def db15(pg15: Cluster) -> Iterator[Db]:
    """A fresh database on PG 15, for the scenarios the PG 18 tests already cover there."""
    yield from _fresh(pg15)


@pytest.fixture
def rdb(pg_cluster: Cluster) -> Iterator[Db]:
    """A fresh database on every major (pg18, pg15)."""
    yield from _fresh(pg_cluster)


def _setup(db: Db, *tables: str) -> None:
    with db.connect() as c:
        for t in tables:
            c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY, a int NOT NULL DEFAULT 0)")
            c.execute(f"INSERT INTO {t} (id) SELECT generate_series(1, {ROWS})")


def _history(db: Db) -> dict[str, str]:
    with db.connect() as c:
        rows = c.execute("SELECT version, outcome FROM pgwarden.migrations").fetchall()
    return {str(v): str(o) for v, o in rows}


def _has_column(db: Db, table: str, column: str) -> bool:
    return bool(
        db.scalar(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = %s::regclass AND attname = %s "
            "AND NOT attisdropped",
            (table, column),
        )
    )


def _xact_older_than(db: Db, pid: int, seconds: float) -> bool:
    return bool(
        db.scalar(
            "SELECT now() - xact_start > make_interval(secs => %s) FROM pg_stat_activity "
            "WHERE pid = %s",
            (seconds, pid),
        )
    )


def _assert_nothing_left(db: Db) -> None:
    """No pgwarden backend, so no lock of its own, and the runner lock free."""
    wait_until(lambda: not pgwarden_sessions(db.dsn), timeout=30, what="pgwarden sessions to end")
    assert not runner_lock_held(db.dsn)
    with db.connect() as c:
        held = c.execute(
            "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
            "WHERE starts_with(a.application_name, 'pgwarden')"
        ).fetchone()
    assert held == (0,)


class QueueWatch:
    """Samples, while `blocker` holds its lock, pgwarden's pending lock requests and the app
    sessions queued behind pgwarden. A sample counts only if the blocker was held from before
    the query was sent until after it returned."""

    def __init__(self, db: Db, blocker: pgtools.Blocker) -> None:
        self.db = db
        self.blocker = blocker
        self.samples = 0
        self.requests: list[tuple[Any, ...]] = []
        self.queued: list[tuple[Any, ...]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> QueueWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        with self.db.connect(application_name="test-queue-watch") as c:
            while not self._stop.is_set() and self.blocker.released_at is None:
                requests = c.execute(PGWARDEN_LOCK_REQUESTS).fetchall()
                queued = c.execute(QUEUED_BEHIND_PGWARDEN).fetchall()
                if self.blocker.released_at is not None:
                    return  # the blocker may have gone mid-sample: not evidence either way
                self.requests += requests
                self.queued += queued
                self.samples += 1
                self._stop.wait(0.01)


def test_pg15_waits_for_a_backup_without_queueing(db15: Db, tmp_path: Path) -> None:
    _setup(db15, "t")
    d = write_migrations(tmp_path, {"0001_add.sql": "ALTER TABLE t ADD COLUMN b int;\n"})
    seen: list[Event] = []
    waited = threading.Event()
    errors: list[BaseException] = []

    def sink(e: Event) -> None:
        seen.append(e)
        if isinstance(e, Waiting):
            waited.set()

    def run() -> None:
        try:
            migrate(d, db15.dsn, events=sink)
        except BaseException as exc:
            errors.append(exc)

    with AppLoad(db15.dsn, "t", threads=4) as app:
        backup = Blocker(db15.dsn, "t", app="pg_dump")
        try:
            # The backup was already running when the deploy started: older than the policy's
            # blocker age, so the runner waits it out rather than racing it.
            wait_until(lambda: _xact_older_than(db15, backup.pid, 0.5), what="an old backup")
            with QueueWatch(db15, backup) as watch:
                runner = threading.Thread(target=run)
                runner.start()
                assert waited.wait(GIVE_UP), [e.kind for e in seen]
                start = watch.samples
                wait_until(lambda: watch.samples >= start + 20, what="samples during the wait")
                during = app.count(0.0, float("inf"))
                wait_until(lambda: app.count(0.0, float("inf")) > during, what="app traffic")
                assert not _has_column(db15, "t", "b")
                backup.release()
            runner.join(timeout=GIVE_UP)
        finally:
            backup.release()
    assert not errors, errors
    assert not runner.is_alive()
    # While the backup held the table, pgwarden asked for no lock and nobody queued behind it.
    assert watch.requests == [] and watch.queued == []
    waits = [e for e in seen if isinstance(e, Waiting)]
    assert any(b.pid == backup.pid and b.backup for b in waits[0].blockers)
    assert _has_column(db15, "t", "b")
    assert _history(db15) == {"0001_add": "applied"}
    assert not app.errors


def test_pg15_sigterm_while_waiting(db15: Db, tmp_path: Path) -> None:
    with db15.connect() as c:
        c.execute("CREATE TABLE t (id int PRIMARY KEY)")
    d = write_migrations(
        tmp_path,
        {"0001_a.sql": "CREATE TABLE a (id int);\n", "0002_b.sql": "ALTER TABLE t ADD b int;\n"},
    )
    backup = Blocker(db15.dsn, "t")
    try:
        cli = Cli("migrate", str(d), "--dsn", db15.dsn, "--format", "json")
        cli.wait_event("waiting", version="0002_b")
        cli.proc.send_signal(signal.SIGTERM)
        rc, out, err = cli.finish()
        # Checked while the backup still holds the table: nothing of ours is left behind it.
        _assert_nothing_left(db15)
    finally:
        backup.release()
    assert rc == 143, err
    assert "aborted by SIGTERM" in err and "Traceback" not in err
    assert '"event": "migration_aborted"' in out
    assert _history(db15) == {"0001_a": "applied", "0002_b": "aborted"}
    assert not _has_column(db15, "t", "b")


def test_pg15_two_runners_never_apply_twice(db15: Db, tmp_path: Path) -> None:
    files = {
        "0001_log.sql": "CREATE TABLE log (n int);\nINSERT INTO log VALUES (1);\n",
        "0002_gated.sql": GATED,
        "0003_more.sql": "INSERT INTO log VALUES (3);\n",
    }
    results, _, errors = race_two_runners(db15, write_migrations(tmp_path, files), GIVE_UP)
    assert not errors, errors
    assert sorted(len(r.applied) for r in results) == [0, 3]
    with db15.connect() as c:
        assert c.execute("SELECT n FROM log ORDER BY n").fetchall() == [(1,), (2,), (3,)]
    assert _history(db15) == dict.fromkeys(("0001_log", "0002_gated", "0003_more"), "applied")


def test_watchdog_cancels_a_foreign_keys_second_lock(rdb: Db, tmp_path: Path) -> None:
    """ALTER TABLE child ADD FOREIGN KEY locks child, then parent (SHARE ROW EXCLUSIVE both).

    A transaction that writes to parent starts just after the runner's checks found parent
    free, so the ALTER holds child and waits for parent, and an app write to parent queues
    behind that request. lock_timeout is set far off so only the watchdog can end the wait:
    it cancels the ALTER once the app has queued for max_queue, the runner treats that as a
    lock timeout, and the retry succeeds once the writer has gone.
    """
    with rdb.connect() as c:
        c.execute("CREATE TABLE parent (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)")
        c.execute("CREATE TABLE child (id int PRIMARY KEY, p int)")
        c.execute(f"INSERT INTO parent (id) SELECT generate_series(1, {ROWS})")
        c.execute(f"INSERT INTO child SELECT g, g FROM generate_series(1, {ROWS}) g")
    d = write_migrations(
        tmp_path,
        {
            "0001_fk.sql": "ALTER TABLE child ADD CONSTRAINT child_p_fkey "
            "FOREIGN KEY (p) REFERENCES parent (id);\n"
        },
    )
    policy = Policy(lock_timeout=GIVE_UP, max_queue=1.0)
    seen: list[Event] = []
    writers: list[pgtools.Blocker] = []
    app_done = threading.Event()
    errors: list[BaseException] = []

    def sink(e: Event) -> None:
        seen.append(e)
        if isinstance(e, AttemptStarted) and e.attempt == 1:
            # After the runner's pre-checks, before the ALTER is sent.
            writer = pgtools.Blocker(rdb.dsn, "UPDATE parent SET v = v WHERE id = 1", "report")
            writers.append(writer)
            writers[0].release_after(GIVE_UP)
        elif isinstance(e, LockTimeout) and writers:
            app_done.wait(GIVE_UP)  # the app's write went through first, then the writer goes
            writers[0].release()

    def run() -> None:
        try:
            migrate(d, rdb.dsn, policy, events=sink)
        except BaseException as exc:
            errors.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        run_id = wait_until_event(seen, RunStarted).run_id
        migration = f"pgwarden/{run_id}"

        def our_requests() -> list[tuple[Any, ...]]:
            with rdb.connect() as c:
                return c.execute(
                    "SELECT l.relation::regclass::text, l.mode, l.granted FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE a.application_name = %s "
                    "AND l.locktype = 'relation' AND l.relation::regclass::text IN "
                    "('parent', 'child') ORDER BY 1",
                    (migration,),
                ).fetchall()

        # It holds child and waits for parent: the second lock, taken mid-statement.
        want = {
            ("child", "ShareRowExclusiveLock", True),
            ("parent", "ShareRowExclusiveLock", False),
        }
        wait_until(lambda: want <= set(our_requests()), timeout=GIVE_UP, what="the FK to wait")

        app_pid: list[int] = []
        app_held: list[bool] = []

        def app_write() -> None:
            with rdb.connect(application_name="app-writer") as c:
                app_pid.append(c.info.backend_pid)
                c.execute("UPDATE parent SET v = v + 1 WHERE id = 2")
            app_held.append(writers[0].released_at is None)
            app_done.set()

        app = threading.Thread(target=app_write)
        app.start()
        wait_until(lambda: app_pid, what="the app session")
        wait_until(
            lambda: rdb.scalar(
                "SELECT count(*) FROM pg_stat_activity w, pg_stat_activity r "
                "WHERE w.pid = %s AND r.application_name = %s "
                "AND r.pid = ANY (pg_blocking_pids(w.pid))",
                (app_pid[0], migration),
            ),
            timeout=GIVE_UP,
            what="the app write to queue behind the ALTER",
        )
        app.join(timeout=GIVE_UP)
        runner.join(timeout=GIVE_UP)
    finally:
        for w in writers:
            w.release()
        runner.join(timeout=GIVE_UP)
    assert not errors, errors
    # The app's write finished while the writer still held parent: our request had gone.
    assert app_held == [True]
    timeouts = [e for e in seen if isinstance(e, LockTimeout)]
    assert [t.via for t in timeouts] == ["watchdog"], [t.via for t in timeouts]
    assert timeouts[0].queued >= 1
    assert writers[0].pid in {b.pid for b in timeouts[0].blockers}
    assert [e.attempts for e in seen if isinstance(e, MigrationApplied)] == [2]
    assert rdb.scalar("SELECT convalidated FROM pg_constraint WHERE conname = 'child_p_fkey'")
    assert _history(rdb) == {"0001_fk": "applied"}
    _assert_nothing_left(rdb)


def wait_until_event(seen: list[Event], kind: type[E]) -> E:
    """The first event of this type the runner has emitted (waiting for it)."""
    found: list[E] = []

    def look() -> bool:
        found[:] = [e for e in list(seen) if isinstance(e, kind)]
        return bool(found)

    wait_until(look, timeout=GIVE_UP, what=kind.__name__)
    return found[0]
