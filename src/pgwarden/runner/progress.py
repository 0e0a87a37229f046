"""Backup progress on the waiting line: read for backups only, at most about once a second."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from pgwarden.runner.events import BackupProgress, BlockerInfo

if TYPE_CHECKING:
    from pgwarden.inspect.backups import Progress
    from pgwarden.inspect.progress import ProgressReader

READ_EVERY = 1.0  # seconds between two reads of pg_stat_progress_copy


def from_estimate(p: Progress) -> BackupProgress:
    """The event's view of `check`'s estimate: the dump's fraction when known, else the table's."""
    if p.dump_fraction is not None:
        fraction, scope = p.dump_fraction, "dump"
    elif p.table_fraction is not None:
        fraction, scope = p.table_fraction, "table"
    else:
        fraction, scope = None, ""
    eta = p.eta if scope and p.eta_scope == scope else None
    return BackupProgress(fraction, scope, eta, p.copying or "", p.tuples_done)


class ProgressTracker:
    """Adds backup progress to blockers, reading it again once READ_EVERY has passed."""

    def __init__(self, conn: Any, every: float = READ_EVERY) -> None:
        self.conn = conn
        self.every = every
        self._reader: ProgressReader | None = None
        self._next = 0.0
        self._known: dict[tuple[int, str], BackupProgress] = {}

    def attach(self, blockers: Iterable[BlockerInfo]) -> tuple[BlockerInfo, ...]:
        """`blockers`, each backup with its progress (unchanged when none is a backup)."""
        blockers = tuple(blockers)
        backups: dict[int, BlockerInfo] = {}
        for b in blockers:
            if b.pid and b.backup:
                backups.setdefault(b.pid, b)
        if not backups:
            return blockers
        now = time.monotonic()
        keys = {(b.pid, b.xact_start) for b in backups.values()}
        # A backup seen for the first time is read at once: the first waiting line shows it.
        if now >= self._next or not keys <= self._known.keys():
            read = self._read(backups.values())
            self._known = {
                (pid, backups[pid].xact_start): from_estimate(p) for pid, p in read.items()
            }
            self._next = now + self.every
        return tuple(
            dataclasses.replace(b, progress=self._known.get((b.pid, b.xact_start)))
            if b.pid in backups
            else b
            for b in blockers
        )

    def _read(self, sessions: Iterable[BlockerInfo]) -> dict[int, Progress]:
        if self._reader is None:
            from pgwarden.inspect.progress import ProgressReader

            self._reader = ProgressReader(self.conn)
        return self._reader.read(sessions)
