"""`trace` as library functions: plan the files, open a target, run and observe them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pgwarden.config import LintConfig
from pgwarden.db import connect
from pgwarden.errors import UsageError
from pgwarden.trace.execute import FileTracer, Settings
from pgwarden.trace.fill import fill
from pgwarden.trace.model import FileTrace, FillOut, ServerError, TraceResult
from pgwarden.trace.predict import model_version, predict, refuse_non_transactional
from pgwarden.trace.sampler import DEFAULT_INTERVAL
from pgwarden.trace.schema import Plan, apply_setup, plan
from pgwarden.trace.target import APPLICATION_NAME, Target, open_target


@dataclass(frozen=True, slots=True)
class TraceOptions:
    schema: tuple[str, ...] = ()
    since: str | None = None
    last: int | None = None
    pg_bin: Path | None = None
    dsn: str | None = None
    allow_existing: bool = False
    commit: bool = False
    rows: int | None = None
    compare: bool = False
    lint: LintConfig = field(default_factory=LintConfig)
    sample_interval: float = DEFAULT_INTERVAL
    sample_gate: bool = True


def trace_paths(paths: list[str], options: TraceOptions) -> TraceResult:
    """Trace migration files (directories in migration order) on the chosen target."""
    if options.rows is not None and options.rows < 1:
        raise UsageError(f"--rows {options.rows}: expected a positive number of rows")
    the_plan = plan(paths, list(options.schema), since=options.since, last=options.last)
    with open_target(
        pg_bin=options.pg_bin,
        dsn=options.dsn,
        allow_existing=options.allow_existing,
        commit=options.commit,
    ) as target:
        return trace_plan(the_plan, target, options)


def trace_plan(the_plan: Plan, target: Target, options: TraceOptions) -> TraceResult:
    """Apply the setup, fill tables, then trace each file; stop at the first failure."""
    version = model_version(target.major)
    predictions = predict(the_plan, version, options.lint)
    shared = not target.commit
    if shared:
        refuse_non_transactional(the_plan, predictions)
    settings = Settings(options.compare, options.sample_interval, options.sample_gate)
    filled: list[FillOut] = []
    files: list[FileTrace] = []
    setup_error: ServerError | None = None
    conn = connect(target.dsn, application_name=APPLICATION_NAME)
    tracer = FileTracer(
        conn, shared, settings, lambda: connect(target.dsn, application_name="pgwarden sampler")
    )
    try:
        if shared:
            conn.execute("BEGIN")
            setup_error = apply_setup(conn, the_plan.setup, shared=True)
            if setup_error is None:
                conn.execute("RESET ALL")  # pg_dump output empties search_path, for one
                if options.rows:
                    filled = fill(conn, options.rows, savepoints=True)
        else:
            with connect(target.dsn, application_name=APPLICATION_NAME + " setup") as setup:
                setup_error = apply_setup(setup, the_plan.setup, shared=False)
                if setup_error is None and options.rows:
                    filled = fill(setup, options.rows, savepoints=False)
        if setup_error is None:
            for parsed, pred in zip(the_plan.traced, predictions, strict=True):
                ft = tracer.trace(parsed, pred)
                files.append(ft)
                if ft.error is not None:
                    break
    finally:
        tracer.close()
        _end(conn, rollback=shared)
    ran = {f.path for f in files}
    return TraceResult(
        target.label,
        target.major,
        target.server_version,
        version,
        tuple(f.display for f in the_plan.setup),
        tuple(filled),
        tuple(files),
        options.compare,
        not shared,
        target.throwaway,
        setup_error,
        the_plan.skipped,
        tuple(p.display for p in the_plan.traced if p.display not in ran),
        options.rows,
    )


def _end(conn: Any, *, rollback: bool) -> None:
    """Close the traced session; --dsn without --commit rolls back (closing would, too)."""
    import psycopg

    try:
        if rollback and not conn.closed:
            conn.execute("ROLLBACK")
    except psycopg.Error:
        pass  # a broken connection: the server rolls back when the session ends
    finally:
        conn.close()
