"""Build the throwaway copy: a cluster, the source's roles and schema, then its rows.

The schema comes from `pg_dump --schema-only` and is restored with psql, both from the copy
cluster's bin directory (the embedded PostgreSQL 18, or --pg-bin to match the source's major).
Rows come either all (`--full`, pg_dump --data-only) or, by default, whole for the tables the
migrations touch and sampled for the others (selection.py, sample.py). The copy is then
vacuumed and analysed, as production tables are, and measured for extrapolation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from pgwarden.db import connect, load_sql
from pgwarden.embedded import Cluster, find_pg_bin
from pgwarden.rehearse.dump import bin_label, copy_all_rows, restore
from pgwarden.rehearse.model import CopiedTable, CopyInfo, SourceInfo, TableStats
from pgwarden.rehearse.sample import SampleSpec, copy_samples
from pgwarden.rehearse.source import Source, read_roles, read_sequences, read_tables
from pgwarden.rehearse.touched import Touch
from pgwarden.trace.target import server_info

_PKG = __package__ or "pgwarden.rehearse"
APPLICATION_NAME = "pgwarden rehearse"
DEFAULT_SAMPLE_ROWS = 10_000
DEFAULT_WHOLE_UNDER = 1_000_000


@dataclass(frozen=True, slots=True)
class CopyPlan:
    full: bool = False
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    tables: tuple[str, ...] = ()  # --tables patterns
    pg_bin: Path | None = None
    seed: int = 0
    whole_under: int = DEFAULT_WHOLE_UNDER
    touched: Mapping[int, Touch] = field(default_factory=dict)
    touched_known: bool = True  # False: nothing told which tables the migrations touch


def major_warning(source_major: int, copy_major: int) -> str | None:
    if source_major == copy_major:
        return None
    local = find_pg_bin(source_major)
    how = f"--pg-bin {local}" if local else f"--pg-bin with PostgreSQL {source_major} binaries"
    return (
        f"the source runs PostgreSQL {source_major} but the copy {copy_major}: locks, rewrites "
        f"and errors can differ between majors; pass {how} to match"
    )


def build_copy(
    cluster: Cluster,
    src: Source,
    dsn: str,
    schema_sql: str,
    info: SourceInfo,
    snapshot: str | None,
    plan: CopyPlan,
    progress: Callable[[str], None],
) -> CopyInfo:
    """Schema (`schema_sql`, the source's pg_dump --schema-only) and rows of the source into a
    database of `cluster` named like the source's."""
    database = info.database
    if database != "postgres":
        cluster.create_database(database)
    copy_dsn = cluster.dsn(database)
    with connect(copy_dsn, application_name=APPLICATION_NAME) as copy:
        major, version = server_info(copy)
        _create_roles(copy, read_roles(src.conn))
        progress("restoring the schema")
        restore(cluster, database, schema_sql, "the schema")
        if plan.full:
            progress("copying every row (pg_dump --data-only)")
            copy_all_rows(cluster, dsn, snapshot, database, info.label)
            copied: list[CopiedTable] = []
        else:
            progress(f"copying up to {plan.sample_rows} rows per table (seed {plan.seed})")
            spec = SampleSpec(
                plan.sample_rows, plan.seed, plan.tables, plan.whole_under, plan.touched
            )
            copied = copy_samples(src.conn, copy, info.tables, info.foreign_keys, spec)
            _set_sequences(copy, read_sequences(src.conn))
        src.conn.rollback()  # done reading: end the source's snapshot (nothing to commit)
        progress("vacuuming and analysing the copy")
        copy.execute("VACUUM (ANALYZE)")
        if plan.full:
            copied = _all_rows(info.tables, read_tables(copy))
    return CopyInfo(
        copy_dsn,
        f"throwaway {version} ({bin_label(cluster, plan.pg_bin)})",
        database,
        major,
        version,
        "full" if plan.full else "sample",
        plan.sample_rows,
        tuple(copied),
        None if plan.full else plan.seed,
        0 if plan.full else plan.whole_under,
        plan.touched_known,
    )


def _create_roles(copy: Any, roles: list[str]) -> None:
    existing = {str(r[0]) for r in copy.execute("SELECT rolname FROM pg_roles").fetchall()}
    for name in roles:
        if name not in existing:
            copy.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(name)))


def _set_sequences(copy: Any, sequences: list[tuple[str, str, int]]) -> None:
    query = load_sql(_PKG, "copy_setval.sql")
    for schema, name, value in sequences:
        copy.execute(query, {"schema": schema, "name": name, "value": value})


def _all_rows(source: tuple[TableStats, ...], copy: list[TableStats]) -> list[CopiedTable]:
    rows = {t.qualified: max(round(t.reltuples), 0) for t in copy}
    return [CopiedTable(t.qualified, "full", rows.get(t.qualified, 0), t.rows) for t in source]


def copy_stats(copy_dsn: str) -> list[TableStats]:
    """The copy's tables as the migrations find them (after VACUUM ANALYZE: exact counts)."""
    with connect(copy_dsn, application_name=APPLICATION_NAME) as copy:
        tables = read_tables(copy)
    return [_exact(t) for t in tables]


def _exact(t: TableStats) -> TableStats:
    from dataclasses import replace

    return replace(t, rows=max(round(t.reltuples), 0))
