"""What the lock model says about one statement a framework is about to send, as the runner
would run it: what to wait for, and its lock_timeout and statement_timeout."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from pgwarden.runner.plan import MigrationFile
from pgwarden.runner.policy import Policy
from pgwarden.runner.script import IndexBuild, Target, Unit, build_script


@dataclass(frozen=True, slots=True)
class StatementPlan:
    """What the lock model says about one statement the framework is about to send."""

    targets: tuple[Target, ...]  # existing relations locked in a traffic-blocking mode
    lock_timeout: float
    statement_timeout: float | None
    index_build: IndexBuild | None = None


@lru_cache(maxsize=4096)
def plan_statement(sql: str, server_version: int, policy: Policy) -> StatementPlan | None:
    """The runner's plan for `sql` (runner/script.py decides); None when it cannot be parsed.

    Frameworks send bound parameters as placeholders (`%s`, `%(name)s`) the parser rejects:
    those statements (ORM queries of data migrations) get the policy's defaults.
    """
    f = MigrationFile("statement", "statement", Path("<statement>"), "")
    try:
        script = build_script(f, server_version, policy, text=sql)
    except Exception:  # modelling must never break a migration: unmodelled it is
        return None
    steps = [s for u in script.units for s in u.steps]
    if not steps:
        return None
    timeouts = {s.statement_timeout for s in steps}
    return StatementPlan(
        Unit(tuple(steps), True).targets,
        policy.lock_timeout if any(s.lock_timeout for s in steps) else 0.0,
        timeouts.pop() if len(timeouts) == 1 else policy.statement_timeout,
        steps[0].index_build if len(steps) == 1 else None,
    )
