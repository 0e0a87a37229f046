"""Files that cannot run in a transaction (CONCURRENTLY, VACUUM, ...): statement by statement.

Each statement (or BEGIN ... COMMIT block) commits on its own, so the history row records
progress after each one and a re-run resumes where the last run stopped, as long as the
statements already done are unchanged. A failed CREATE INDEX CONCURRENTLY leaves an INVALID
index behind (and a re-run would fail with "already exists"), so before every attempt of a
named concurrent index build an INVALID index of that name is dropped
(DROP INDEX CONCURRENTLY IF EXISTS); REINDEX CONCURRENTLY leftovers (`_ccnew`) likewise.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from pgwarden.db import load_sql
from pgwarden.runner.attempt import Executor
from pgwarden.runner.events import Notice
from pgwarden.runner.script import IndexBuild, Script, Step

_Q = "pgwarden.runner.queries"


def invalid_leftovers(conn: Any, build: IndexBuild) -> list[str]:
    """INVALID indexes an earlier failed attempt of `build` left, to drop before the next one.

    `conn` is any psycopg connection to the database (the migration's or a control one).
    """
    if build.reindex:
        rows = conn.execute(load_sql(_Q, "reindex_leftovers.sql"), {"table": build.table})
        return [r[0] for r in rows.fetchall()]
    if build.index is None:
        return []
    row = conn.execute(load_sql(_Q, "index_valid.sql"), {"index": build.index})
    found = row.fetchone()
    return [build.index] if found is not None and not found[0] else []


def cleanup_hook(
    ex: Executor, version: str, step: Step, deadline_of: Callable[[], float]
) -> Callable[[int], None] | None:
    """A before-attempt hook dropping what an earlier failed attempt of `step` left behind."""
    build = step.index_build
    if build is None:
        return None
    if build.index is None and not build.reindex:
        ex.emit(
            Notice(
                f"line {step.line}: this concurrent index has no name, so an INVALID index left "
                "by a failed attempt cannot be found and dropped; name the index",
                version,
            )
        )
        return None

    def before(attempt: int) -> None:
        for name in invalid_leftovers(ex.conn, build):
            ex.emit(Notice(f"dropping INVALID index {name} left by an earlier attempt", version))
            drop = replace(
                step,
                text=f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                kind="DROP INDEX CONCURRENTLY",
                targets=(),
                lock_timeout=0.0,
                index_build=None,
            )
            ex.statement(version, drop, local=False, deadline=deadline_of())

    return before


def run_script(
    ex: Executor,
    script: Script,
    *,
    resume_at: int,
    progress: Callable[[int], None],
    deadline_of: Callable[[], float],
) -> None:
    """Run units from `resume_at`; `progress(units_done)` after each one commits."""
    version = script.file.version
    for k in range(resume_at, len(script.units)):
        unit = script.units[k]
        first = unit.steps[0]
        hook = cleanup_hook(ex, version, first, deadline_of) if len(unit.steps) == 1 else None
        ex.run_unit(version, unit, before_attempt=hook)
        progress(k + 1)


def aborted_summary(conn: Any, script: Script, done: int) -> str:
    """What an aborted non-transactional file left: committed units, and any INVALID index.

    Its earlier statements committed one by one and stay; the statement in flight was
    cancelled, and a cancelled concurrent index build leaves its INVALID index behind, which
    the next run drops (cleanup_hook) before building it again. `conn` is the control
    connection (the migration's may be unusable after the cancel).
    """
    f = script.file
    n = len(script.units)
    text = f"{f.display} stopped after {done} of {n} statement(s) (recorded as aborted)"
    if done >= n:
        return f"{text}; a re-run records it as applied"
    unit = script.units[done]
    step = unit.steps[0]
    if len(unit.steps) > 1:
        text += f"; the BEGIN ... COMMIT block at line {step.line} was rolled back"
    else:
        text += f"; the statement at line {step.line} was cancelled"
    left: list[str] = []
    build = step.index_build
    if build is not None:
        with contextlib.suppress(Exception):  # best effort: the message must not fail the abort
            left = invalid_leftovers(conn, build)
    if left:
        text += (
            f" and left INVALID index {', '.join(left)}, which the next pgwarden migrate "
            "drops and rebuilds"
        )
    return f"{text}; a re-run resumes at that statement"
