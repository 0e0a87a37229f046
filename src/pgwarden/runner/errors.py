"""Why a run stopped, as errors the CLI turns into a message and an exit code."""

from __future__ import annotations

import signal

from pgwarden.errors import PgwardenError
from pgwarden.runner.events import BlockerInfo


class MigrationError(PgwardenError):
    """A migration failed (SQL error, lost connection, gave up waiting); it was rolled back."""

    exit_code = 1


class ConnectionLost(MigrationError):
    """The server closed the migration's connection (pg_terminate_backend, restart, network)."""


class LockWaitExceeded(MigrationError):
    """max_wait passed while other sessions kept holding locks the migration needs."""

    def __init__(self, message: str, blockers: tuple[BlockerInfo, ...] = ()) -> None:
        super().__init__(message)
        self.blockers = blockers


class ChecksumMismatch(PgwardenError):
    """An applied migration file changed on disk."""

    exit_code = 2


class UnsupportedServer(PgwardenError):
    """The server is older than the lock model covers; nothing was run."""

    exit_code = 2


class RunnerBusy(PgwardenError):
    """Another runner holds this database's migration lock and --no-wait was given."""

    exit_code = 3


class RunAborted(PgwardenError):
    """SIGINT/SIGTERM: the work in flight was cancelled and rolled back; exit 128 + signal."""

    def __init__(self, signum: int, message: str) -> None:
        super().__init__(message)
        self.signum = signum
        self.exit_code = 128 + signum

    @property
    def signal_name(self) -> str:
        return signal.Signals(self.signum).name
