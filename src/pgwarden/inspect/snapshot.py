"""One read-only pass over pg_stat_activity, pg_locks and friends, as frozen values."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pgwarden.inspect.queries import resolve
from pgwarden.locks.modes import LockMode

HIDDEN_QUERY = "<insufficient privilege>"
# application_name prefixes of the guarded runner's sessions: `pgwarden migrate` (and the
# Django/Alembic guards) use `pgwarden/<run id>`, plus `/control`, `/watchdog`; the command under
# `pgwarden run` inherits `PGAPPNAME=pgwarden-run/<run id>` (its own control and watchdog add
# `/control`, `/watchdog`).
RUNNER_PREFIXES = (("pgwarden/", "pgwarden migrate"), ("pgwarden-run/", "pgwarden run"))
QUERY_LEN = 2000  # characters of query text kept per session


def runner_label(application: str) -> str | None:
    """`pgwarden migrate <id>` or `pgwarden run <id>` for a runner's session, else None."""
    for prefix, label in RUNNER_PREFIXES:
        if application.startswith(prefix):
            return f"{label} {application[len(prefix) :]}"
    return None


@dataclass(frozen=True, slots=True)
class Lock:
    """One pg_locks row: held (`granted`) or awaited. `key` identifies the locked object."""

    locktype: str
    mode: str
    granted: bool
    key: str
    oid: int | None = None
    relation: str | None = None  # schema.name for relation locks in this database
    relkind: str | None = None
    waiting: float | None = None  # seconds waited so far (PG 14+ pg_locks.waitstart)

    @property
    def lock_mode(self) -> LockMode | None:
        """The table lock mode, for relation locks (`ExclusiveLock` on an xid is not one)."""
        if self.locktype != "relation":
            return None
        try:
            return LockMode[self.mode]
        except KeyError:
            return None

    @property
    def target(self) -> str:
        """What is locked, for people: `public.orders`, `transaction 1234`, `tuple of public.t`."""
        if self.relation:
            if self.locktype == "relation":
                return self.relation
            return f"{self.locktype} of {self.relation}"
        parts = self.key.split("|")
        if self.locktype == "transactionid" and len(parts) > 6:
            return f"transaction {parts[6]}"
        if self.locktype == "virtualxid" and len(parts) > 5:
            return f"virtual transaction {parts[5]}"
        if self.oid is not None:
            return f"relation {self.oid}"
        return self.locktype


@dataclass(frozen=True, slots=True)
class Session:
    """A backend as pg_stat_activity shows it, with its relevant locks and whom it waits for.

    Fields shown as None are unknown: other roles' sessions hide everything but pid, user,
    database and application_name without pg_read_all_stats.
    """

    pid: int
    database: str | None
    user: str | None
    application: str
    visible: bool
    client: str | None = None
    backend_type: str | None = None
    state: str | None = None
    wait_event_type: str | None = None
    wait_event: str | None = None
    backend_age: float | None = None
    xact_age: float | None = None
    query_age: float | None = None
    state_age: float | None = None
    query: str | None = None
    xmin_age: int | None = None
    superuser: bool | None = None
    leader_pid: int | None = None
    blocked_by: tuple[int, ...] = ()
    lock_count: int = 0
    locks: tuple[Lock, ...] = ()

    @property
    def age(self) -> float | None:
        """How long it has held what it holds: the transaction's age, else the query's."""
        return self.xact_age if self.xact_age is not None else self.query_age

    @property
    def idle_in_transaction(self) -> bool:
        return bool(self.state and self.state.startswith("idle in transaction"))

    @property
    def waiting(self) -> bool:
        return bool(self.blocked_by) or any(not lk.granted for lk in self.locks)

    @property
    def awaited(self) -> tuple[Lock, ...]:
        return tuple(lk for lk in self.locks if not lk.granted)

    @property
    def held(self) -> tuple[Lock, ...]:
        return tuple(lk for lk in self.locks if lk.granted)

    @property
    def is_client(self) -> bool:
        return self.backend_type in (None, "client backend")


@dataclass(frozen=True, slots=True)
class Relation:
    oid: int
    name: str  # schema.name
    relkind: str
    reltuples: float  # -1 (PG 14+) or 0: never analysed
    relpages: int
    live_tuples: int
    frozen_age: int | None
    freeze_max_age: int  # effective autovacuum_freeze_max_age for this table
    target: bool

    @property
    def rows(self) -> float | None:
        return row_estimate(self.reltuples, self.relpages, self.live_tuples)


def row_estimate(reltuples: float, relpages: int, live_tuples: int) -> float | None:
    """Row estimate: planner statistics, else the live-tuple counter; None if unknown."""
    if reltuples > 0 or (reltuples == 0 and relpages > 0):
        return reltuples
    if live_tuples > 0:
        return float(live_tuples)
    return None


@dataclass(frozen=True, slots=True)
class CopyProgress:
    """A row of pg_stat_progress_copy (PG 14+); `relid` is None for `COPY (query) TO`."""

    pid: int
    relid: int | None
    command: str | None
    type: str | None
    bytes_processed: int | None
    bytes_total: int | None
    tuples_processed: int | None


@dataclass(frozen=True, slots=True)
class VacuumProgress:
    pid: int
    relid: int | None
    phase: str | None
    heap_blks_total: int | None
    heap_blks_scanned: int | None


@dataclass(frozen=True, slots=True)
class PreparedXact:
    """A prepared (two-phase) transaction: it holds its locks until COMMIT/ROLLBACK PREPARED."""

    gid: str
    xid: str
    owner: str
    database: str
    age: float
    locks: tuple[Lock, ...]


@dataclass(frozen=True, slots=True)
class ReplicationSlot:
    name: str
    slot_type: str
    database: str | None
    active: bool
    active_pid: int | None
    wal_status: str | None
    retained_bytes: int | None  # WAL kept for the slot (current LSN - restart_lsn)


@dataclass(frozen=True, slots=True)
class Visibility:
    """What the connected role can see: without pg_read_all_stats, other roles' sessions hide
    their state, query, ages and backend type (pg_locks and pg_blocking_pids stay visible)."""

    user: str
    superuser: bool
    read_all_stats: bool
    signal_backend: bool
    hidden_sessions: int

    @property
    def complete(self) -> bool:
        return self.superuser or self.read_all_stats or self.hidden_sessions == 0


@dataclass(frozen=True, slots=True)
class Snapshot:
    taken_at: datetime
    version_num: int
    database: str
    own_pid: int
    in_recovery: bool
    lock_rows: int
    visibility: Visibility
    sessions: Mapping[int, Session]
    relations: Mapping[int, Relation]
    copies: Mapping[int, CopyProgress]  # by pid
    vacuums: Mapping[int, VacuumProgress]  # by pid
    prepared: tuple[PreparedXact, ...]
    slots: tuple[ReplicationSlot, ...]

    @property
    def major(self) -> int:
        return self.version_num // 10000

    def relation_named(self, name: str) -> Relation | None:
        for rel in self.relations.values():
            if rel.name == name:
                return rel
        return None

    def local_sessions(self) -> list[Session]:
        """Sessions connected to the inspected database (or to none: walsenders)."""
        return [s for s in self.sessions.values() if s.database in (self.database, None)]


def split_name(name: str) -> tuple[str, str]:
    """`schema.table` -> (schema, table); unqualified names resolve to `public`."""
    schema, dot, rel = name.partition(".")
    return (schema, rel) if dot else ("public", name)


def take_snapshot(conn: Any, relations: Iterable[str] = ()) -> Snapshot:
    """Run the snapshot query for the server's version; `relations` are `schema.name` targets."""
    pairs = [split_name(r) for r in relations]
    sql = resolve("snapshot", conn.info.server_version)
    row = conn.execute(
        sql,
        {
            "schemas": [p[0] for p in pairs],
            "names": [p[1] for p in pairs],
            "query_len": QUERY_LEN,
        },
        prepare=False,
    ).fetchone()
    return parse_snapshot(*row)


def _lock(d: Mapping[str, Any]) -> Lock:
    return Lock(
        d["locktype"],
        d["mode"],
        bool(d["granted"]),
        d["key"],
        _int(d.get("oid")),  # to_json renders oid as a string
        d.get("relation"),
        d.get("relkind"),
        _float(d.get("waiting")),
    )


def _float(v: Any) -> float | None:
    return None if v is None else float(v)


def _int(v: Any) -> int | None:
    return None if v is None else int(v)


def _session(d: Mapping[str, Any]) -> Session:
    query = d.get("query")
    visible = query != HIDDEN_QUERY
    return Session(
        pid=int(d["pid"]),
        database=d.get("database"),
        user=d.get("user"),
        application=d.get("application") or "",
        visible=visible,
        client=d.get("client"),
        backend_type=d.get("backend_type"),
        state=d.get("state"),
        wait_event_type=d.get("wait_event_type"),
        wait_event=d.get("wait_event"),
        backend_age=_float(d.get("backend_age")),
        xact_age=_float(d.get("xact_age")),
        query_age=_float(d.get("query_age")),
        state_age=_float(d.get("state_age")),
        query=query if visible else None,
        xmin_age=_int(d.get("xmin_age")),
        superuser=d.get("superuser"),
        leader_pid=_int(d.get("leader_pid")),
        blocked_by=tuple(int(p) for p in d.get("blocked_by") or ()),
        lock_count=int(d.get("lock_count") or 0),
        locks=tuple(_lock(x) for x in d.get("locks") or ()),
    )


def parse_snapshot(
    meta: Mapping[str, Any],
    sessions: list[Mapping[str, Any]],
    relations: list[Mapping[str, Any]],
    copies: list[Mapping[str, Any]],
    vacuums: list[Mapping[str, Any]],
    prepared: list[Mapping[str, Any]],
    slots: list[Mapping[str, Any]],
) -> Snapshot:
    """Build a Snapshot from the query's JSON columns."""
    sess = {s.pid: s for s in map(_session, sessions)}
    database = meta["database"]
    hidden = sum(1 for s in sess.values() if not s.visible and s.database == database)
    freeze_default = int(meta["freeze_max_age"])
    rels = {
        int(r["oid"]): Relation(
            int(r["oid"]),
            r["relation"],
            r["relkind"],
            float(r["reltuples"]),
            int(r["relpages"]),
            int(r["live_tuples"] or 0),
            _int(r.get("frozen_age")),
            min(freeze_default, int(r["freeze_max_age"] or freeze_default)),
            bool(r["target"]),
        )
        for r in relations
    }
    return Snapshot(
        taken_at=_timestamp(meta["now"]),
        version_num=int(meta["version_num"]),
        database=database,
        own_pid=int(meta["pid"]),
        in_recovery=bool(meta["in_recovery"]),
        lock_rows=int(meta["lock_rows"]),
        visibility=Visibility(
            meta["user"],
            bool(meta["superuser"]),
            bool(meta["read_all_stats"]),
            bool(meta["signal_backend"]),
            hidden,
        ),
        sessions=sess,
        relations=rels,
        copies={
            int(c["pid"]): CopyProgress(
                int(c["pid"]),
                _int(c.get("relid")),
                c.get("command"),
                c.get("type"),
                _int(c.get("bytes_processed")),
                _int(c.get("bytes_total")),
                _int(c.get("tuples_processed")),
            )
            for c in copies
        },
        vacuums={
            int(v["pid"]): VacuumProgress(
                int(v["pid"]),
                _int(v.get("relid")),
                v.get("phase"),
                _int(v.get("heap_blks_total")),
                _int(v.get("heap_blks_scanned")),
            )
            for v in vacuums
        },
        prepared=tuple(
            PreparedXact(
                p["gid"],
                str(p["xid"]),
                p["owner"],
                p["database"],
                float(p["age"]),
                tuple(_lock(x) for x in p.get("locks") or ()),
            )
            for p in prepared
        ),
        slots=tuple(
            ReplicationSlot(
                s["name"],
                s["type"],
                s.get("database"),
                bool(s["active"]),
                _int(s.get("active_pid")),
                s.get("wal_status"),
                _int(s.get("retained_bytes")),
            )
            for s in slots
        ),
    )


def _timestamp(epoch: Any) -> datetime:
    return datetime.fromtimestamp(float(epoch), tz=timezone.utc)
