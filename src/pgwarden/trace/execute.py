"""Run the traced files statement by statement, observing each, and stop at the first failure.

Transactions: a file is run in one transaction when it could be (the migration's own
transaction, as migration tools wrap files); a file with its own BEGIN/COMMIT, or with a
statement that cannot run in a transaction block, runs as written, each statement outside a
block in its own transaction (observed the same way) or, if non-transactional, in autocommit
with a sampling session. With --dsn and no --commit everything shares one transaction that is
rolled back at the end, and a file's BEGIN/COMMIT become a savepoint.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pgwarden.lint import StatementOut
from pgwarden.sql import ParsedFile, Statement
from pgwarden.trace.compare import compare, held_modes
from pgwarden.trace.failure import server_error
from pgwarden.trace.model import FileTrace, Relation, ServerError, StatementTrace
from pgwarden.trace.observe import (
    Names,
    Observation,
    Snapshot,
    copy_direction,
    relations,
    snapshot,
)
from pgwarden.trace.observe import run_observed as _run_in_tx
from pgwarden.trace.predict import Prediction
from pgwarden.trace.sampler import DEFAULT_INTERVAL, run_sampled
from pgwarden.trace.schema import executable, tx_kind

ACTIVE_SQL_TRANSACTION = "25001"  # "... cannot run inside a transaction block"
SHARED_NOTICE = (
    "runs in the same transaction as the schema setup and earlier files (--dsn without "
    "--commit): their locks stay held, and a lock already held in the same mode is not "
    "taken again, so it shows under held, not new"
)


@dataclass(frozen=True, slots=True)
class Settings:
    compare: bool = False
    sample_interval: float = DEFAULT_INTERVAL
    sample_gate: bool = True


class _Failed(Exception):
    def __init__(self, error: ServerError) -> None:
        self.error = error


@dataclass(slots=True)
class FileTracer:
    """Traces files on one session (`conn`, autocommit; transactions are issued explicitly)."""

    conn: Any
    shared: bool  # inside the one rolled-back transaction of --dsn without --commit
    settings: Settings
    connect_sampler: Any  # () -> a new autocommit connection to the same database
    _sampler_conn: Any = None
    _mode: str = "file"
    _notes: list[str] = field(default_factory=list)

    def close(self) -> None:
        if self._sampler_conn is not None:
            self._sampler_conn.close()
            self._sampler_conn = None

    def trace(self, parsed: ParsedFile, pred: Prediction) -> FileTrace:
        import psycopg

        path = parsed.display
        mode = "shared" if self.shared else ("file" if pred.wrapped else "as-written")
        self._mode = mode
        names = Names()
        start = relations(self.conn)
        names.learn(start)
        names.existing_at_start = frozenset(start)
        # Sampled statements add their problems to the same list (self._notes).
        notices = self._notes = [f"{n.line}:{n.column}: {n.message}" for n in parsed.notices]
        out: list[StatementTrace] = []
        tx_open = mode != "as-written"
        before: Snapshot | None = None
        pairs = list(zip(parsed.statements, pred.file.statements, strict=True))
        try:
            if mode == "file":
                self.conn.execute("BEGIN")
            if tx_open:
                before = snapshot(self.conn)
                if mode == "shared" and before.locks:
                    notices.append(SHARED_NOTICE)
            for i, (st, so) in enumerate(pairs):
                kind = tx_kind(st)
                if kind in ("BEGIN", "COMMIT", "ROLLBACK"):
                    self._execute_plain(st, path)
                    if not self.shared:
                        tx_open = kind == "BEGIN"
                    before = snapshot(self.conn) if tx_open else None
                    continue
                try:
                    if tx_open:
                        assert before is not None
                        trace, before = self._in_tx(st, so, path, names, before)
                        out.append(trace)
                    else:
                        out.append(self._outside(st, so, path, names))
                except _Failed as failed:
                    rest = sum(1 for s, _ in pairs[i + 1 :] if tx_kind(s) is None)
                    self._abort(tx_open)
                    return FileTrace(path, mode, tuple(out), failed.error, rest, tuple(notices))
            if mode == "file":
                self.conn.execute("COMMIT")
            elif mode == "as-written" and tx_open:
                self.conn.execute("ROLLBACK")
                notices.append("the file ends inside BEGIN: rolled back, as psql does at exit")
        except psycopg.Error:
            self._abort(tx_open)
            raise
        return FileTrace(path, mode, tuple(out), None, 0, tuple(notices))

    def _abort(self, tx_open: bool) -> None:
        # Shared mode: the whole run's transaction is rolled back by the caller.
        if tx_open and not self.shared:
            self.conn.execute("ROLLBACK")

    def _execute_plain(self, st: Statement, path: str) -> None:
        import psycopg

        try:
            self.conn.execute(executable(st, self.shared))
        except psycopg.Error as exc:
            raise _Failed(server_error(exc, st, path)) from None

    def _in_tx(
        self,
        st: Statement,
        so: StatementOut,
        path: str,
        names: Names,
        before: Snapshot,
    ) -> tuple[StatementTrace, Snapshot]:
        import psycopg

        try:
            obs, after = _run_in_tx(
                self.conn, executable(st, self.shared), before, copy_direction(st.node)
            )
        except psycopg.Error as exc:
            raise _Failed(_explain(server_error(exc, st, path), self._mode)) from None
        names.learn(after.relations)
        trace = self._build(st, so, path, names, obs, before.relations, sampled=False, in_tx=True)
        return trace, after

    def _outside(self, st: Statement, so: StatementOut, path: str, names: Names) -> StatementTrace:
        """A statement outside any block: its own transaction, or autocommit when it must."""
        import psycopg

        if so.transactional:
            self.conn.execute("BEGIN")
            before = snapshot(self.conn)
            try:
                obs, after = _run_in_tx(self.conn, st.text, before, copy_direction(st.node))
                self.conn.execute("COMMIT")
            except psycopg.Error as exc:
                self.conn.execute("ROLLBACK")
                if exc.sqlstate != ACTIVE_SQL_TRANSACTION:
                    raise _Failed(server_error(exc, st, path)) from None
                # The model thought it transactional; the server disagrees: run it as it must.
            else:
                names.learn(after.relations)
                return self._build(st, so, path, names, obs, before.relations, sampled=False)
        if self._sampler_conn is None:
            self._sampler_conn = self.connect_sampler()
        rels_before = relations(self.conn)
        try:
            obs, rels_after = run_sampled(
                self.conn,
                self._sampler_conn,
                st.text,
                rels_before,
                copy=copy_direction(st.node),
                gate_tables=_gate_tables(so, rels_before),
                interval=self.settings.sample_interval,
                gate=self.settings.sample_gate,
            )
        except psycopg.Error as exc:
            raise _Failed(server_error(exc, st, path)) from None
        names.learn(rels_after)
        if obs.problem:
            self._notes.append(f"{st.line}:{st.column}: {obs.problem}")
        return self._build(st, so, path, names, obs, rels_before, sampled=True)

    def _build(
        self,
        st: Statement,
        so: StatementOut,
        path: str,
        names: Names,
        obs: Observation,
        before: dict[int, Relation],
        *,
        sampled: bool,
        in_tx: bool = False,
    ) -> StatementTrace:
        locks = names.locks(obs.new.items(), before)
        held = names.locks(obs.before.items(), before)
        trace = StatementTrace(
            path,
            st.line,
            st.column,
            st.end_line,
            st.text,
            so.kind,
            locks,
            held,
            tuple(r.qualified for r in obs.rewrites),
            tuple(r.qualified for r in obs.index_rebuilds),
            tuple(r.qualified for r in obs.scans),
            round(obs.duration_ms, 3),
            obs.rows,
            sampled,
            in_tx,
            so.transactional,
            so,
        )
        if not self.settings.compare:
            return trace
        existing = {
            r.qualified: r
            for oid, r in before.items()
            if oid in names.existing_at_start and not r.internal
        }
        comparison = compare(
            so,
            locks,
            held_modes(held),
            existing,
            trace.rewrites,
            sampled=sampled,
            rows=trace.rows,
        )
        return replace(trace, comparison=comparison)


def _gate_tables(so: StatementOut, rels: dict[int, Relation]) -> tuple[tuple[str, str], ...]:
    """Existing tables the statement is expected to lock: the sampler's gate holds them."""
    by_name = {r.qualified: r for r in rels.values()}
    out = []
    for lk in so.locks:
        r = by_name.get(lk.relation)
        if r is not None and r.relkind in ("table", "partitioned"):
            out.append((r.schema, r.name))
    return tuple(dict.fromkeys(out))


def _explain(err: ServerError, mode: str) -> ServerError:
    if err.sqlstate == ACTIVE_SQL_TRANSACTION and mode == "file" and not err.hint:
        return replace(
            err,
            hint="trace ran this file in one transaction because pgwarden's lock model "
            "expected every statement to allow it: a model gap, please report it",
        )
    return err
