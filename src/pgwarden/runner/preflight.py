"""Pre-flight before the first statement: who would the migration have to wait for?

`preflight()` is the one place the runner asks "is the database ready?". For `migrate` it
runs `pgwarden check` (pgwarden.inspect.check_once: conflicting sessions, backups with their
progress, lock queues, a GO / WAIT / NO-GO verdict); for `pgwarden run`, whose tables are
unknown, and as a fallback, it runs the runner's own scan. It never blocks the run: the waiter
waits out whatever it finds, and the report tells the operator why the run is waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pgwarden.db import load_sql
from pgwarden.runner.events import BlockerInfo
from pgwarden.runner.policy import Policy
from pgwarden.runner.script import Script, Target
from pgwarden.runner.waiter import holders, is_long

if TYPE_CHECKING:
    from pgwarden.inspect.needs import Needs

_Q = "pgwarden.runner.queries"
RUN_MIN_AGE = 1.0  # `run` cannot know the tables: report transactions older than this


@dataclass(frozen=True, slots=True)
class PreflightReport:
    blockers: tuple[BlockerInfo, ...]
    # "inspect" (pgwarden check), "runner" (own scan) or "long-transactions" (`run`: what is
    # open, since the command's tables are unknown; nothing is waited for before it starts)
    source: str = "runner"
    verdict: str = ""  # GO / WAIT / NO-GO from pgwarden check; "" from the own scan
    reasons: tuple[str, ...] = ()  # check's reasons, worst first
    error: str = ""  # why check could not run (the own scan was used instead)

    @property
    def clear(self) -> bool:
        return not self.blockers and self.verdict in ("", "GO")


def preflight(
    conn: Any,
    scripts: Sequence[Script] | None,
    policy: Policy,
    *,
    own_pids: list[int],
    own_prefix: str = "pgwarden",
    lint_config: Any = None,
) -> PreflightReport:
    """Sessions the pending `scripts` would wait for (None: unknown, as for `pgwarden run`).

    `conn` is an autocommit connection to the target database; our own sessions (`own_pids`,
    and application names starting with `own_prefix`) are never reported.
    """
    if scripts is None:
        return _long_transactions(conn, own_prefix)

    def needs() -> Needs:
        from pgwarden.config import LintConfig
        from pgwarden.inspect.needs import needs_for_paths

        paths = [str(s.file.path) for s in scripts]
        major = conn.info.server_version // 10000
        return needs_for_paths(paths, lint_config or LintConfig(), major)

    targets = [t for s in scripts for u in s.units for t in u.targets]
    return preflight_needs(conn, needs, targets, policy, own_pids=own_pids)


def preflight_needs(
    conn: Any,
    needs: Callable[[], Needs],
    targets: Iterable[Target],
    policy: Policy,
    *,
    own_pids: list[int],
) -> PreflightReport:
    """The same check for migrations that are not SQL files (Django's, from its schema editor).

    `needs()` says what the migrations lock (pgwarden.inspect.needs); `targets` are what the
    runner's own pg_locks scan looks for when `pgwarden check` cannot run.
    """
    try:
        return _check(conn, needs(), own_pids)
    except Exception as exc:  # the pre-flight informs; it must not stop a migration
        report = _own_scan(conn, targets, policy, own_pids)
        return PreflightReport(report.blockers, error=f"{type(exc).__name__}: {exc}")


def _check(conn: Any, needs: Needs, own_pids: list[int]) -> PreflightReport:
    from pgwarden.inspect.check import CheckOptions, check_once
    from pgwarden.runner.progress import from_estimate

    report = check_once(conn, needs, CheckOptions(sample=0))
    decision = report.decision
    backups = {b.pid: b for b in report.backups}  # check estimated their progress already
    found: list[BlockerInfo] = []
    for c in decision.conflicts:
        s = c.session
        if c.kind == "traffic" or s.pid in own_pids:
            continue
        found.append(
            BlockerInfo(
                pid=s.pid,
                application_name=s.application,
                backend_type=s.backend_type or "",
                state=s.state or "",
                relation=c.lock.target,
                mode=c.lock.mode,
                granted=c.lock.granted,
                xact_age=s.xact_age,
                query_age=s.query_age,
                query=s.query or "",
                progress=from_estimate(backups[s.pid]) if s.pid in backups else None,
            )
        )
    reasons = tuple(r.message for r in decision.blocking)
    return PreflightReport(tuple(found), "inspect", decision.verdict.value, reasons)


def _own_scan(
    conn: Any, targets: Iterable[Target], policy: Policy, own_pids: list[int]
) -> PreflightReport:
    unique = dict.fromkeys(targets)
    found = [b for b in holders(conn, unique, own_pids) if is_long(b, policy.blocker_min_age)]
    return PreflightReport(tuple(found))


def _long_transactions(conn: Any, own_prefix: str) -> PreflightReport:
    rows = conn.execute(
        load_sql(_Q, "long_transactions.sql"),
        {"min_age": RUN_MIN_AGE, "own_prefix": own_prefix},
    ).fetchall()
    found = [
        BlockerInfo(
            pid=r[0],
            application_name=r[1],
            backend_type=r[2],
            state=r[3],
            xact_age=r[4],
            query_age=r[5],
            query=r[6],
            xact_start=r[7],
        )
        for r in rows
    ]
    return PreflightReport(tuple(found), source="long-transactions")
