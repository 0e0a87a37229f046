"""Run the pending migrations on the copy: SQL files through trace, or `-- CMD` with its env.

SQL files are traced on the copy (trace's library, committing, one file after another): each
statement's locks, rewrites, scans and duration, or the server's error at its file position.
Which files are pending comes from pgwarden's history table on the source when MIGRATIONS is
a directory the runner manages; otherwise every file given is run.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pgwarden.config import LintConfig
from pgwarden.db import connect, redact
from pgwarden.embedded import Cluster
from pgwarden.rehearse.dump import copy_env
from pgwarden.rehearse.model import CommandRun, CopyInfo
from pgwarden.trace.api import TraceOptions, trace_plan
from pgwarden.trace.model import TraceResult
from pgwarden.trace.observe import changed_storage, relations
from pgwarden.trace.schema import Plan, plan
from pgwarden.trace.target import Target

OUTPUT_LIMIT = 1_000_000  # characters of CMD output kept (the end, where errors are)


def pending(migrations: Sequence[str], history: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(paths to run, migrations already applied on the source).

    Only a single directory is matched against the runner's history (`pgwarden migrate`
    records what it applied, by version); explicit files are always run.
    """
    if len(migrations) != 1 or not Path(migrations[0]).is_dir() or not history:
        return list(migrations), []
    from pgwarden.runner.plan import build_plan, load_directory

    entries = build_plan(load_directory(migrations[0]), history)
    run = [str(e.file.path) for e in entries if e.file is not None and e.runnable]
    applied = [e.version for e in entries if e.file is not None and not e.runnable]
    return run, applied


def check_parse(migrations: Sequence[str]) -> Plan | None:
    """Parse every file before the source is touched: a file that does not parse stops here."""
    return plan(list(migrations)) if migrations else None


def run_sql(paths: list[str], copy: CopyInfo, lint: LintConfig) -> TraceResult:
    target = Target(copy.dsn, copy.label, True, copy.major, copy.server_version, True)
    return trace_plan(plan(paths), target, TraceOptions(lint=lint, commit=True))


def run_command(argv: Sequence[str], cluster: Cluster, copy: CopyInfo) -> CommandRun:
    """CMD with DATABASE_URL and PG* pointing at the copy; output captured (stdout + stderr)."""
    with connect(copy.dsn, application_name="pgwarden rehearse") as conn:
        before = relations(conn)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            list(argv),
            env=copy_env(cluster, copy.database),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        status, output = done.returncode, done.stdout.decode("utf-8", errors="replace")
    except OSError as exc:
        status, output = 127, f"cannot run {argv[0]}: {exc.strerror or exc}\n"
    duration_ms = (time.perf_counter() - start) * 1000
    with connect(copy.dsn, application_name="pgwarden rehearse") as conn:
        after = relations(conn)
    rewritten = tuple(
        r.qualified for r in changed_storage(before, after) if r.relkind in ("table", "matview")
    )
    return CommandRun(
        tuple(redact(a) for a in argv),
        status,
        redact(output[-OUTPUT_LIMIT:]),
        round(duration_ms, 3),
        rewritten,
    )
