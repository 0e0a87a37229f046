"""`rehearse` as one library function: copy the source, run the migrations there, report."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pgwarden.config import LintConfig
from pgwarden.embedded import Cluster
from pgwarden.errors import UsageError
from pgwarden.rehearse.copy import (
    DEFAULT_SAMPLE_ROWS,
    DEFAULT_WHOLE_UNDER,
    CopyPlan,
    build_copy,
    copy_stats,
)
from pgwarden.rehearse.copy import major_warning as _major_warning
from pgwarden.rehearse.dump import dump_schema
from pgwarden.rehearse.errors import RehearseError
from pgwarden.rehearse.extrapolate import estimates, lock_windows
from pgwarden.rehearse.model import CopyInfo, RehearseResult
from pgwarden.rehearse.offending import find_offending
from pgwarden.rehearse.run import check_parse, pending, run_command, run_sql
from pgwarden.rehearse.source import Source, export_snapshot, history, open_source, read_source
from pgwarden.rehearse.touched import Touched, touched_tables

DEFAULT_BUDGET = 1.0  # seconds a write-blocking lock may be held in production
MAX_SEED = 2**31 - 1


@dataclass(frozen=True, slots=True)
class RehearseOptions:
    source: str  # the DSN: used to connect, never copied into the result
    migrations: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    full: bool = False
    sample_rows: int = DEFAULT_SAMPLE_ROWS
    tables: tuple[str, ...] = ()
    whole_under: int = DEFAULT_WHOLE_UNDER  # touched tables with fewer rows are copied whole
    seed: int | None = None  # of the samples; None: a new one, reported
    pg_bin: Path | None = None
    budget: float = DEFAULT_BUDGET
    keep: bool = False
    lint: LintConfig = field(default_factory=LintConfig)


def _quiet(_: str) -> None:
    pass


def validate(options: RehearseOptions) -> None:
    if not options.migrations and not options.command:
        raise UsageError("nothing to rehearse: give MIGRATIONS, or -- CMD, or both")
    if options.sample_rows < 1:
        raise UsageError(f"--sample-rows {options.sample_rows}: expected a positive number")
    if options.whole_under < 0:
        raise UsageError(f"--whole-under {options.whole_under}: expected 0 or more rows")
    if options.seed is not None and not 0 <= options.seed <= MAX_SEED:
        raise UsageError(f"--seed {options.seed}: expected a number from 0 to {MAX_SEED}")
    if options.budget < 0:
        raise UsageError("--budget: expected a duration such as 1s or 500ms")
    if options.pg_bin is not None and not options.pg_bin.is_dir():
        raise UsageError(f"--pg-bin {options.pg_bin}: no such directory")


def rehearse(options: RehearseOptions, progress: Callable[[str], None] = _quiet) -> RehearseResult:
    """Copy the source into a throwaway cluster, run the pending migrations there, measure.

    The source is only read (see source.py). The copy is removed at the end unless
    `options.keep`, in which case it keeps running and `result.copy` says how to reach it.
    """
    from pgwarden.embedded import start_cluster

    validate(options)
    check_parse(options.migrations)  # a file that does not parse stops us before any work
    seed = options.seed if options.seed is not None else secrets.randbelow(MAX_SEED + 1)
    # Connect first (bad credentials fail fast); the transaction, and with it the snapshot
    # that holds back vacuum on the source, only starts once the copy's cluster is up.
    with open_source(options.source) as src:
        progress("starting the throwaway cluster")
        cluster = start_cluster(options.pg_bin)
        try:
            snapshot = export_snapshot(src.conn)
            progress(f"reading {src.label}")
            info = read_source(src)
            if info.major > cluster.major:
                raise RehearseError(
                    f"{src.label} runs PostgreSQL {info.major}, newer than the copy's "
                    f"{cluster.major}: its pg_dump cannot read the source; pass --pg-bin with "
                    f"PostgreSQL {info.major} binaries (or drop --pg-bin for the embedded 18)"
                )
            hist = history(src.conn) if options.migrations else {}
            paths, applied = pending(options.migrations, hist) if options.migrations else ([], [])
            progress("reading the schema (pg_dump --schema-only)")
            schema_sql = dump_schema(cluster, options.source, snapshot, info.label)
            touched = _touched(src, paths, options, info.major, schema_sql)
            plan = CopyPlan(
                options.full,
                options.sample_rows,
                options.tables,
                options.pg_bin,
                seed,
                options.whole_under,
                touched.by_oid(),
                not options.command,
            )
            copy = build_copy(
                cluster, src, options.source, schema_sql, info, snapshot, plan, progress
            )
        except BaseException:
            cluster.stop()
            raise
    try:
        warnings = [w for w in (_major_warning(info.major, copy.major),) if w]
        if snapshot is None:
            warnings.append(
                "the source refused to export its snapshot: schema and rows were read moments apart"
            )
        if not options.full:
            warnings += _touch_warnings(options, touched)
        result = RehearseResult(info, copy, options.budget * 1000, tuple(warnings), tuple(applied))
        result = _run(result, options, paths, cluster, progress)
        if options.keep:
            cluster.detach()
            kept = replace(copy, kept=True, pid=cluster.pid, directory=str(cluster.socket_dir))
            result = replace(result, copy=kept)
        return result
    finally:
        cluster.stop()  # does nothing once detached


def _touched(
    src: Source, paths: list[str], options: RehearseOptions, major: int, schema_sql: str
) -> Touched:
    """The tables the pending SQL migrations touch (none to find with --full, or no SQL)."""
    if options.full or not paths:
        return Touched(())
    return touched_tables(src.conn, paths, options.lint, major, schema_sql)


def _touch_warnings(options: RehearseOptions, touched: Touched) -> list[str]:
    out = []
    if options.command:
        out.append(
            f"-- {options.command[0]}: pgwarden cannot read the migrations a command runs, so "
            "the tables they touch are not known and are sampled like the others; pass --full "
            "to copy every row"
        )
    if touched.unknown:
        where = ", ".join(touched.unknown)
        out.append(
            f"the lock model cannot tell which tables {where} touch(es): tables only they "
            "touch are sampled"
        )
    return out


def _run(
    result: RehearseResult,
    options: RehearseOptions,
    paths: list[str],
    cluster: Cluster,
    progress: Callable[[str], None],
) -> RehearseResult:
    copy: CopyInfo = result.copy
    stats = copy_stats(copy.dsn)
    if paths:
        progress(f"running {_files(paths)} on the copy")
        trace = run_sql(paths, copy, options.lint)
        found = estimates(trace.files, result.source.tables, stats)
        result = replace(
            result,
            trace=trace,
            estimates=tuple(found),
            windows=tuple(lock_windows(trace.files, found, result.budget_ms)),
        )
        err = next((f.error for f in trace.files if f.error is not None), None)
        if err is not None:
            progress("looking for the offending row")
            result = replace(result, offending=find_offending(copy.dsn, err))
    if options.command and not result.failed:
        progress(f"running {options.command[0]} against the copy")
        result = replace(result, command=run_command(options.command, cluster, copy))
    return result


def _files(paths: Sequence[str]) -> str:
    return paths[0] if len(paths) == 1 else f"{len(paths)} paths"
