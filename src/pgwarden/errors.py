"""One root error for everything pgwarden expects to go wrong; the CLI maps them to exit codes."""

from __future__ import annotations


class PgwardenError(Exception):
    """An expected failure with a message a person can act on (no traceback shown)."""

    exit_code: int = 2


class UsageError(PgwardenError):
    """Bad command-line options or arguments."""


class ConfigError(PgwardenError):
    """An invalid `[tool.pgwarden]` section or `pgwarden.toml`."""


class InputError(PgwardenError):
    """A path that cannot be read as SQL."""


class ClusterError(PgwardenError):
    """A throwaway cluster could not be started or stopped."""
