"""Guarded execution of migrations: lock policy, waiter, watchdog, history, clean abort."""

from pgwarden.runner.migrate import (
    DryRunResult,
    RunResult,
    StatusResult,
    dry_run,
    migrate,
    status,
)
from pgwarden.runner.policy import Policy
from pgwarden.runner.signals import Abort

__all__ = [
    "Abort",
    "DryRunResult",
    "Policy",
    "RunResult",
    "StatusResult",
    "dry_run",
    "migrate",
    "status",
]
