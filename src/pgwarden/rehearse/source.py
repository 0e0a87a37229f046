"""The source database, read strictly read-only: version, table sizes, foreign keys, sequences.

Every transaction is READ ONLY (psycopg's `read_only`, plus `default_transaction_read_only` in
the connection options, so even a bare BEGIN cannot write) and REPEATABLE READ, so the samples
of parents and children come from one snapshot. The DSN is kept only in memory, to connect;
everything shown says `label`, the redacted DSN.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pgwarden.db import connect, load_sql, redact
from pgwarden.errors import UsageError
from pgwarden.rehearse.errors import RehearseError
from pgwarden.rehearse.model import ForeignKey, SourceInfo, TableStats
from pgwarden.trace.target import server_info

_PKG = __package__ or "pgwarden.rehearse"
APPLICATION_NAME = "pgwarden rehearse (read-only)"
READ_ONLY_OPTIONS = "-c default_transaction_read_only=on"
# Never analysed tables (reltuples = -1) are counted when at most this big; larger ones are
# scaled by size alone.
COUNT_LIMIT_BYTES = 64 * 1024 * 1024
MIN_MAJOR = 12  # generated columns (pg_attribute.attgenerated) and pg_partition_tree


@dataclass(frozen=True, slots=True)
class Source:
    conn: Any  # psycopg connection, read-only, REPEATABLE READ, not autocommit
    label: str


def conninfo_params(dsn: str) -> dict[str, Any]:
    """The DSN as libpq keywords; a malformed one is a usage error that shows no password."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        return dict(conninfo_to_dict(dsn))
    except ProgrammingError as exc:
        raise UsageError(f"--from {redact(dsn)}: {redact(str(exc)).strip()}") from None


def read_only_options(params: dict[str, Any]) -> str:
    """The `options` keyword with read-only added to whatever the DSN already passes."""
    return f"{params.get('options') or ''} {READ_ONLY_OPTIONS}".strip()


def label(dsn: str) -> str:
    return redact(dsn) or "the PG* database"


@contextmanager
def open_source(dsn: str) -> Iterator[Source]:
    """A read-only REPEATABLE READ connection to the source; closed (never committed) on exit."""
    from psycopg import IsolationLevel

    params = conninfo_params(dsn)
    conn = connect(
        dsn,
        application_name=APPLICATION_NAME,
        autocommit=False,
        options=read_only_options(params),
    )
    try:
        conn.read_only = True
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        yield Source(conn, label(dsn))
    finally:
        conn.close()  # a transaction left open is rolled back: there is nothing to commit


def read_source(src: Source) -> SourceInfo:
    """Version, tables with sizes and foreign keys, all from the connection's snapshot."""
    conn = src.conn
    major, version = server_info(conn)
    if major < MIN_MAJOR:
        raise RehearseError(
            f"{src.label} runs PostgreSQL {major}; rehearse needs PostgreSQL {MIN_MAJOR} or later"
        )
    row = conn.execute("SELECT current_database()").fetchone()
    tables = [_counted(conn, t) for t in read_tables(conn)]
    fks = read_foreign_keys(conn, [t.oid for t in tables])
    return SourceInfo(src.label, str(row[0]), major, version, tuple(tables), tuple(fks))


def read_tables(conn: Any) -> list[TableStats]:
    rows = conn.execute(load_sql(_PKG, "source_tables.sql")).fetchall()
    return [
        TableStats(int(oid), nsp, name, float(tuples), int(pages), int(size), tuple(cols))
        for oid, nsp, name, tuples, pages, size, cols in rows
    ]


def _counted(conn: Any, t: TableStats) -> TableStats:
    from dataclasses import replace

    from psycopg import sql

    # Never analysed: reltuples is -1 since PostgreSQL 14, and 0 with relpages 0 before it.
    never = t.reltuples < 0 or (t.reltuples == 0 and t.relpages == 0)
    if not never:
        return replace(t, rows=round(t.reltuples))
    if t.size_bytes == 0:
        return replace(t, rows=0)
    if t.size_bytes > COUNT_LIMIT_BYTES:
        return t
    query = sql.SQL("SELECT count(*) FROM ONLY {}").format(sql.Identifier(t.schema, t.name))
    row = conn.execute(query).fetchone()
    return replace(t, rows=int(row[0]))


def read_foreign_keys(conn: Any, oids: list[int]) -> list[ForeignKey]:
    if not oids:
        return []
    rows = conn.execute(load_sql("pgwarden.db", "foreign_keys.sql"), {"oids": oids}).fetchall()
    return [
        ForeignKey(
            int(child),
            int(parent),
            parent_name,
            name,
            tuple(cols),
            tuple(refs),
            tuple(types),
            tuple(int(x) for x in leaves),
        )
        for child, parent, _, _, parent_name, name, cols, refs, types, leaves in rows
    ]


def read_sequences(conn: Any) -> list[tuple[str, str, int]]:
    rows = conn.execute(load_sql(_PKG, "source_sequences.sql")).fetchall()
    return [(str(s), str(n), int(v)) for s, n, v in rows]


def read_roles(conn: Any) -> list[str]:
    return [str(r[0]) for r in conn.execute(load_sql(_PKG, "source_roles.sql")).fetchall()]


def export_snapshot(conn: Any) -> str | None:
    """Export the snapshot for `pg_dump --snapshot`: the first statement of the transaction
    (a subtransaction cannot export). None where the server refuses; then the dump takes its
    own snapshot, a moment after the samples' one."""
    import psycopg

    try:
        row = conn.execute(load_sql(_PKG, "source_export_snapshot.sql")).fetchone()
    except psycopg.Error:
        conn.rollback()
        return None
    return str(row[0]) if row else None


def history(conn: Any) -> dict[str, Any]:
    """pgwarden's migration history on the source (version -> HistoryRow), empty if none."""
    import psycopg

    from pgwarden.runner.history import read

    try:
        with conn.transaction(savepoint_name="pgwarden_history"):
            return read(conn)
    except psycopg.Error:  # e.g. no privilege on the history table: treat every file as pending
        return {}
