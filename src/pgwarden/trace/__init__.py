"""Run migrations on a throwaway (or scratch) Postgres and report the locks they really took."""

from pgwarden.trace.api import TraceOptions, trace_paths
from pgwarden.trace.model import (
    EXIT_DISAGREE,
    EXIT_FAILED,
    Comparison,
    FileTrace,
    ObservedLock,
    ServerError,
    StatementTrace,
    TraceResult,
)

__all__ = [
    "EXIT_DISAGREE",
    "EXIT_FAILED",
    "Comparison",
    "FileTrace",
    "ObservedLock",
    "ServerError",
    "StatementTrace",
    "TraceOptions",
    "TraceResult",
    "trace_paths",
]
