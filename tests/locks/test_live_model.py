"""Every statement form runs on real servers; `pg_locks` and relfilenodes must match the model.

For each form (pgwarden.locks.forms) and each available major: the setup is committed in a
scratch database (emptied between forms), the statement runs in a transaction, and what its
backend holds on relations that existed before is compared with `analyze()`: the strongest
mode per table, partition, view, matview and sequence (indexes when the model names them), the
tables given new storage (relfilenode changed) and, for DDL, the tables read in full
(pg_stat_xact_user_tables.seq_scan). Statements that cannot run in a transaction block must be
modelled as such; they run on their own behind a session holding the lock the model predicts,
so the lock they queue for can be read from pg_locks.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from pgwarden.catalog import QualifiedName
from pgwarden.embedded import Cluster
from pgwarden.locks.effects import Effect
from pgwarden.locks.forms import Form, all_forms, predict, statement
from pgwarden.locks.modes import CONFLICTS, LockMode

HERE = Path(__file__).parent
RELATIONS = (HERE / "relations.sql").read_text()
FILENODES = (HERE / "filenodes.sql").read_text()
OWN_LOCKS = (HERE / "own_locks.sql").read_text()
XACT_SCANS = (HERE / "xact_scans.sql").read_text()
RESET = (HERE / "reset.sql").read_text()

FORMS = all_forms()
# Compared always: tables, partitioned tables, views, materialized views, sequences, foreign tables
RELKINDS = {"r", "p", "v", "m", "S", "f"}
INDEX_KINDS = {"i", "I"}  # compared when the model names the index
STORAGE_KINDS = {"r", "m"}  # a new relfilenode here is a rewrite (or TRUNCATE)
LOCKABLE = {"r", "p", "v"}  # what LOCK TABLE accepts
# Statements whose full reads depend on the planner (a seq scan of a small table is cheap).
PLANNED = {"SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt", "MergeStmt", "CopyStmt"}


@dataclass(frozen=True, slots=True)
class Scratch:
    """One database per cluster and worker, emptied before each form (faster than a new one),
    and one session that sets each form up and then runs its statement."""

    cluster: Cluster
    name: str
    conn: psycopg.Connection[tuple[Any, ...]]
    pid: int

    @property
    def major(self) -> int:
        return self.cluster.major

    def connect(self, autocommit: bool = False) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.cluster.dsn(self.name), autocommit=autocommit)


@dataclass(frozen=True, slots=True)
class Rel:
    oid: int
    name: QualifiedName
    relkind: str
    filenode: int | None


@dataclass(slots=True)
class Observed:
    locks: dict[QualifiedName, LockMode]  # strongest granted mode per pre-existing relation
    index_locks: dict[QualifiedName, LockMode]
    rewritten: set[QualifiedName]
    scanned: set[QualifiedName]


def statement_kind(form: Form) -> str:
    node = statement(form)
    if type(node).__name__ == "SelectStmt" and node.intoClause is not None:
        return "SelectInto"
    return type(node).__name__


def prepare(scratch: Scratch, form: Form) -> dict[int, Rel]:
    """Empty the database, commit the form's setup, list the relations it created."""
    conn = scratch.conn
    conn.rollback()
    conn.autocommit = True
    conn.execute("RESET ALL")
    conn.execute(RESET)
    conn.execute(form.setup)
    rows = conn.execute(RELATIONS).fetchall()
    conn.autocommit = False
    return {r[0]: Rel(r[0], QualifiedName(r[1], r[2]), r[3], r[4]) for r in rows}


def _filenodes(conn: psycopg.Connection[Any], rels: dict[int, Rel]) -> dict[int, int | None]:
    rows = conn.execute(FILENODES, {"oids": list(rels)}).fetchall()
    return {r[0]: r[1] for r in rows}


def _scans(conn: psycopg.Connection[Any], rels: dict[int, Rel]) -> dict[int, int]:
    return {r[0]: r[1] for r in conn.execute(XACT_SCANS, {"oids": list(rels)}).fetchall()}


def _run(conn: psycopg.Connection[Any], statement: str) -> None:
    if statement.lstrip().upper().startswith("COPY"):
        with conn.cursor().copy(statement) as copy:
            for _ in copy:
                pass
        return
    conn.execute(statement)


def _settings(conn: psycopg.Connection[Any], form: Form) -> None:
    for name, value in form.settings:
        conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(name), sql.Literal(value)))


def _strongest(
    rows: list[tuple[int, str, bool]], rels: dict[int, Rel]
) -> tuple[dict[QualifiedName, LockMode], dict[QualifiedName, LockMode]]:
    tables: dict[QualifiedName, LockMode] = {}
    indexes: dict[QualifiedName, LockMode] = {}
    for oid, mode_name, granted in rows:
        rel = rels.get(oid)
        if rel is None or not granted or rel.relkind not in RELKINDS | INDEX_KINDS:
            continue
        target = indexes if rel.relkind in INDEX_KINDS else tables
        mode = LockMode[mode_name]
        target[rel.name] = max(mode, target.get(rel.name, mode))
    return tables, indexes


def _rewritten(rels: dict[int, Rel], after: dict[int, int | None]) -> set[QualifiedName]:
    out = set()
    for oid, rel in rels.items():
        new = after.get(oid)
        if rel.relkind in STORAGE_KINDS and rel.filenode and new and new != rel.filenode:
            out.add(rel.name)
    return out


def observe(scratch: Scratch, form: Form, rels: dict[int, Rel]) -> Observed:
    """Run the statement in a transaction, read what it holds, roll back."""
    conn = scratch.conn
    try:
        _settings(conn, form)
        before_scans = _scans(conn, rels)
        _run(conn, form.sql)
        rows = conn.execute(OWN_LOCKS, {"pid": scratch.pid}).fetchall()
        after_scans = _scans(conn, rels)
        after = _filenodes(conn, rels)
    finally:
        conn.rollback()
    tables, indexes = _strongest(rows, rels)
    scanned = {
        rels[oid].name
        for oid, n in after_scans.items()
        if oid in rels and n > before_scans.get(oid, 0)
    }
    return Observed(tables, indexes, _rewritten(rels, after), scanned)


def model_view(
    effect: Effect, rels: dict[int, Rel]
) -> tuple[dict[QualifiedName, LockMode], dict[QualifiedName, LockMode]]:
    """The model's locks on relations that existed before (tables..., and indexes)."""
    kinds = {r.name: r.relkind for r in rels.values()}
    tables: dict[QualifiedName, LockMode] = {}
    indexes: dict[QualifiedName, LockMode] = {}
    for lk in effect.locks:
        kind = kinds.get(lk.relation)
        if lk.new or kind is None:
            continue  # created by this statement, or not a relation that existed before
        target = indexes if kind in INDEX_KINDS else tables
        target[lk.relation] = max(lk.mode, target.get(lk.relation, lk.mode))
    return tables, indexes


def _fmt(locks: dict[QualifiedName, LockMode]) -> str:
    return ", ".join(f"{k}={v.name}" for k, v in sorted(locks.items())) or "(none)"


def _names(names: set[QualifiedName]) -> str:
    return ", ".join(sorted(map(str, names))) or "(none)"


def differences(form: Form, effect: Effect, rels: dict[int, Rel], seen: Observed) -> list[str]:
    """What the server did that the model did not predict (empty: they agree)."""
    out = []
    model_tables, model_indexes = model_view(effect, rels)
    # A per-row lock on a partition is taken only if a row goes there (see RelationLock).
    optional = {lk.relation for lk in effect.locks if lk.per_row and lk.partition_copy}
    optional -= {lk.relation for lk in effect.locks if not (lk.per_row and lk.partition_copy)}
    for rel in optional - set(seen.locks):
        model_tables.pop(rel, None)
    if seen.locks != model_tables:
        out.append(f"locks: server {_fmt(seen.locks)}; model {_fmt(model_tables)}")
    for name, mode in model_indexes.items():
        if seen.index_locks.get(name) != mode:
            out.append(f"index {name}: server {seen.index_locks.get(name)}, model {mode.name}")
    storage = {r.name for r in rels.values() if r.relkind in STORAGE_KINDS}
    rewrites = set(effect.rewrites) & storage
    if seen.rewritten != rewrites:
        out.append(f"rewritten: server {_names(seen.rewritten)}; model {_names(rewrites)}")
    if statement_kind(form) not in PLANNED and not form.planner_reads:
        # A rewrite reads the old storage anyway (and TRUNCATE's index rebuild reads the new,
        # empty one): compare full reads of the tables that keep their storage. An index's
        # scan count is of index scans (e.g. a foreign-key check's lookups), not full reads.
        live = (seen.scanned & storage) - rewrites
        model = (set(effect.scans) & storage) - rewrites
        if live != model:
            out.append(f"full reads: server {_names(live)}; model {_names(model)}")
    return out


@pytest.fixture(scope="session")
def scratch(pg_cluster: Cluster, pg_template: str) -> Iterator[Scratch]:
    name = f"locks_{uuid.uuid4().hex[:12]}"
    pg_cluster.create_database(name, template=pg_template)
    with psycopg.connect(pg_cluster.dsn(name)) as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        conn.rollback()
        yield Scratch(pg_cluster, name, conn, pid)
    pg_cluster.drop_database(name)


@pytest.mark.parametrize("form", FORMS, ids=[f.id for f in FORMS])
def test_form_matches_server(scratch: Scratch, form: Form) -> None:
    if not form.runs_on(scratch.major):
        pytest.skip(f"{form.id} needs PostgreSQL {form.min_pg}..{form.max_pg}")
    rels = prepare(scratch, form)
    effect = predict(form, scratch.major)
    assert not effect.unknown, f"model reports {form.id} as unknown: {effect.note}"
    if not effect.transactional:
        problems = check_outside_transaction(scratch, form, rels, effect)
    else:
        problems = differences(form, effect, rels, observe(scratch, form, rels))
    assert not problems, f"PG{scratch.major} {form.id}: {form.sql}\n  " + "\n  ".join(problems)


def check_outside_transaction(
    scratch: Scratch, form: Form, rels: dict[int, Rel], effect: Effect
) -> list[str]:
    """The server refuses it in a block; run alone, it queues for the lock the model predicts
    behind a session holding the weakest mode that conflicts with that prediction."""
    with scratch.connect() as conn:
        _settings(conn, form)
        with pytest.raises(psycopg.errors.ActiveSqlTransaction):
            _run(conn, form.sql)
    model_tables, _ = model_view(effect, rels)
    kinds = {r.name: r.relkind for r in rels.values()}
    held = {n: m for n, m in model_tables.items() if kinds.get(n) in LOCKABLE}
    out = []
    if held:
        waited = _queue_behind(scratch, form, rels, held)
        if waited is None:
            out.append(f"did not wait behind a conflicting lock on {_names(set(held))}")
        elif model_tables.get(waited[0]) != waited[1]:
            out.append(f"waited for {waited[1].name} on {waited[0]}; model {_fmt(model_tables)}")
    with scratch.connect() as conn:
        after = _filenodes(conn, rels)
    storage = {r.name for r in rels.values() if r.relkind in STORAGE_KINDS}
    rewrites = set(effect.rewrites) & storage
    if _rewritten(rels, after) != rewrites:
        out.append(f"rewritten: server {_names(_rewritten(rels, after))}; model {_names(rewrites)}")
    return out


def _weakest_conflicting(mode: LockMode) -> LockMode:
    return min(m for m in LockMode if m in CONFLICTS[mode])


def _queue_behind(
    scratch: Scratch, form: Form, rels: dict[int, Rel], held: dict[QualifiedName, LockMode]
) -> tuple[QualifiedName, LockMode] | None:
    """Hold conflicting locks, start the statement, read the lock it queues for, release."""
    by_oid = {r.oid: r for r in rels.values()}
    errors: list[BaseException] = []
    waiting: list[tuple[int, str, bool]] = []
    with scratch.connect() as holder, scratch.connect(autocommit=True) as runner:
        pid = runner.execute("SELECT pg_backend_pid()").fetchone()[0]  # type: ignore[index]
        runner.execute("SET statement_timeout = '60s'")
        _settings(runner, form)
        for name, mode in sorted(held.items()):
            holder.execute(
                sql.SQL("LOCK TABLE ONLY {}.{} IN {} MODE").format(
                    sql.Identifier(name.schema),
                    sql.Identifier(name.name),
                    sql.SQL(_weakest_conflicting(mode).sql_name),
                )
            )

        def run() -> None:
            try:
                _run(runner, form.sql)
            except BaseException as exc:  # reported by the main thread
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        done = threading.Event()
        try:
            for _ in range(4000):
                rows = holder.execute(OWN_LOCKS, {"pid": pid}).fetchall()
                waiting = [r for r in rows if not r[2] and r[0] in by_oid]
                if waiting or not thread.is_alive():
                    break
                done.wait(0.005)
        finally:
            holder.rollback()
            thread.join()
    assert not errors, f"{form.id}: {errors[0]}"
    if not waiting:
        return None
    oid, mode, _ = waiting[0]
    return by_oid[oid].name, LockMode[mode]
