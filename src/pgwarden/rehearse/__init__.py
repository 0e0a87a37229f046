"""Rehearse migrations on a throwaway copy of a production database before running them there."""

from pgwarden.rehearse.api import RehearseOptions, rehearse
from pgwarden.rehearse.errors import RehearseError
from pgwarden.rehearse.model import (
    EXIT_FAILED,
    EXIT_OVER_BUDGET,
    CommandRun,
    CopiedTable,
    CopyInfo,
    Estimate,
    KeyNote,
    LockWindow,
    Offending,
    RehearseResult,
    Sampling,
    SourceInfo,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OVER_BUDGET",
    "CommandRun",
    "CopiedTable",
    "CopyInfo",
    "Estimate",
    "KeyNote",
    "LockWindow",
    "Offending",
    "RehearseError",
    "RehearseOptions",
    "RehearseResult",
    "Sampling",
    "SourceInfo",
    "rehearse",
]
