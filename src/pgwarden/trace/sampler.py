"""Sample pg_locks of a backend from a second session while it runs a non-transactional statement.

CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH PARTITION CONCURRENTLY and VACUUM cannot
run in a transaction block, so their locks are gone by the time the statement returns: the only
way to see them is to look while they run. Samples can miss short-lived locks, so results are
marked `sampled` and --compare treats a predicted lock that was never seen as unconfirmed.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from pgwarden.db import load_sql
from pgwarden.locks.modes import LockMode
from pgwarden.trace.model import Relation
from pgwarden.trace.observe import LockKey, Observation, changed_storage, execute, relations

_PKG = __package__ or "pgwarden.trace"
DEFAULT_INTERVAL = 0.001  # seconds between samples after the first TIGHT seconds
TIGHT = 0.1  # sample back to back at first: most statements on a test schema are that short
RELAXED_AFTER = 2.0  # then every `interval`, and after this every 5 x `interval`
GATE_MAX = 2.0  # never hold the snapshot gate longer than this


@dataclass(slots=True)
class Sampler:
    """Polls `pid`'s locks on `conn` in a thread; `seen` maps each lock to "ever granted".

    The gate makes sure short statements are seen. Before the statement starts, the sampling
    session opens a REPEATABLE READ transaction (a snapshot) and, in a savepoint, locks the
    statement's tables in EXCLUSIVE mode (NOWAIT: it never waits itself). EXCLUSIVE lets the
    ACCESS SHARE lookups statements make first pass and stops any stronger lock, so the statement
    queues for its real table lock; the sampler reads it (a wait it caused, so recorded as
    granted) and rolls back to the savepoint to let it through. The snapshot stays until the
    statement waits for it: the CONCURRENTLY forms wait for every older snapshot before they
    finish, as they would for any open transaction in production, holding their session-level
    locks meanwhile. Lock modes are never changed, only when the statement gets them.
    """

    conn: Any
    pid: int
    interval: float = DEFAULT_INTERVAL
    gate: bool = True
    gate_tables: tuple[tuple[str, str], ...] = ()  # (schema, name) locked by the gate
    seen: dict[LockKey, bool] = field(default_factory=dict)
    samples: int = 0
    error: str = ""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _snapshot_held: bool = False
    _tables_held: bool = False

    def start(self) -> None:
        if self.gate:
            self.conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            self.conn.execute("SELECT 1")  # the snapshot (and its xmin) is taken here
            self._snapshot_held = True
            if self.gate_tables:
                self._lock_tables()
        self._thread = threading.Thread(target=self._run, name="pgwarden-sampler", daemon=True)
        self._thread.start()

    def _lock_tables(self) -> None:
        import psycopg
        from psycopg import sql

        self.conn.execute("SAVEPOINT pgwarden_gate")
        query = sql.SQL("LOCK TABLE ONLY {} IN EXCLUSIVE MODE NOWAIT").format(
            sql.SQL(", ").join(sql.Identifier(s, n) for s, n in self.gate_tables)
        )
        try:
            self.conn.execute(query)
            self._tables_held = True
        except psycopg.Error:  # someone else holds them: sample without the table gate
            self.conn.execute("ROLLBACK TO SAVEPOINT pgwarden_gate")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._snapshot_held:
            self.conn.execute("COMMIT")
            self._snapshot_held = self._tables_held = False

    def _run(self) -> None:
        query = load_sql(_PKG, "sampled_locks.sql")
        started = time.monotonic()
        deadline = started + GATE_MAX
        try:
            while True:
                # Read the flag before sampling, so one more sample follows the statement's end.
                last = self._stop.is_set()
                rows = self.conn.execute(query, {"pid": self.pid}).fetchall()
                self.samples += 1
                waiting, on_snapshot = self._record(rows)
                now = time.monotonic()
                if self._tables_held and (waiting or now > deadline):
                    self.conn.execute("ROLLBACK TO SAVEPOINT pgwarden_gate")
                    self._tables_held = False
                    deadline = now + GATE_MAX
                elif self._snapshot_held and (on_snapshot or now > deadline):
                    self.conn.execute("COMMIT")
                    self._snapshot_held = False
                if last:
                    return
                elapsed = now - started
                if elapsed > TIGHT:
                    self._stop.wait(self.interval * (5 if elapsed > RELAXED_AFTER else 1))
        except Exception as exc:  # a dead sampling session must not hide the statement's result
            self.error = f"{type(exc).__name__}: {exc}"

    def _record(self, rows: list[tuple[Any, ...]]) -> tuple[bool, bool]:
        """Record relation locks; (waiting for anything, waiting for a transaction to end)."""
        waiting = on_snapshot = False
        for locktype, relation, mode, granted in rows:
            if not granted:
                waiting = True
                on_snapshot = on_snapshot or locktype in ("virtualxid", "transactionid")
            if locktype != "relation" or relation is None or int(relation) < 16384:
                continue
            if mode not in LockMode.__members__:
                continue  # SIReadLock (predicate locks) is not a table lock mode
            key = (int(relation), LockMode[mode])
            # A wait while the gate holds the tables is the gate's doing: the lock follows.
            got = bool(granted) or self._tables_held
            self.seen[key] = self.seen.get(key, False) or got
        return waiting, on_snapshot


def run_sampled(
    conn: Any,
    sampler_conn: Any,
    sql: str,
    before: dict[int, Relation],
    *,
    copy: str | None = None,
    interval: float = DEFAULT_INTERVAL,
    gate: bool = True,
    gate_tables: tuple[tuple[str, str], ...] = (),
) -> tuple[Observation, dict[int, Relation]]:
    """Run `sql` in autocommit on `conn` while `sampler_conn` samples its locks.

    `before`: the relations just before. Returns the observation and the relations after.
    Raises the statement's psycopg error after stopping the sampler.
    """
    sampler = Sampler(sampler_conn, int(conn.info.backend_pid), interval, gate, gate_tables)
    sampler.start()
    try:
        duration_ms, rows = execute(conn, sql, copy)
    finally:
        sampler.stop()
    after = relations(conn)
    changed = changed_storage(before, after)
    obs = Observation(
        dict(sampler.seen),
        {},
        tuple(r for r in changed if r.relkind in ("table", "matview")),
        tuple(r for r in changed if r.relkind == "index"),
        (),
        duration_ms,
        rows,
        f"lock sampling failed ({sampler.error}): locks may be missing" if sampler.error else "",
    )
    return obs, after
