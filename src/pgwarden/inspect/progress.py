"""Progress of a few known backup sessions, cheap enough to read every second while waiting.

`pgwarden check` estimates progress from its one-pass snapshot of every session; the runner,
waiting out a backup, needs it for that backup alone, again and again. The tables a backup
holds are read once per backup transaction (pg_dump locks them all up front and keeps them;
reading pg_locks copies the shared lock table), pg_stat_progress_copy at every call. Both feed
the same estimate as `check` (backups.estimate).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from pgwarden.inspect.backups import Progress, estimate
from pgwarden.inspect.queries import resolve
from pgwarden.inspect.snapshot import CopyProgress, row_estimate


@dataclass(frozen=True, slots=True)
class TableSize:
    rows: float | None  # snapshot.row_estimate
    relpages: int


def _idle(state: str | None) -> bool:
    """Not running a query: the COPY its pg_stat_activity.query names has finished."""
    return state is not None and state != "" and state != "active"


class Watched(Protocol):
    """A backup session as the caller last saw it in pg_stat_activity (runner's BlockerInfo)."""

    @property
    def pid(self) -> int: ...

    @property
    def xact_start(self) -> str: ...  # identifies its transaction

    @property
    def xact_age(self) -> float | None: ...

    @property
    def state(self) -> str: ...  # pg_stat_activity.state

    @property
    def query_age(self) -> float | None: ...

    @property
    def query(self) -> str: ...


def _size(reltuples: Any, relpages: Any, live: Any) -> TableSize:
    pages = int(relpages or 0)
    return TableSize(row_estimate(float(reltuples or 0), pages, int(live or 0)), pages)


class ProgressReader:
    """Reads backup progress on one connection; remembers each backup transaction's tables."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._held: dict[tuple[int, str], dict[str, TableSize]] = {}

    def read(self, sessions: Iterable[Watched]) -> dict[int, Progress]:
        """Progress by pid of these sessions (one per pid)."""
        by_pid = {s.pid: s for s in sessions}
        if not by_pid:
            return {}
        keys = {(pid, s.xact_start) for pid, s in by_pid.items()}
        # Forget transactions that ended; a new one (pg_dump run again) reads its tables anew.
        self._held = {k: v for k, v in self._held.items() if k in keys}
        new = [pid for pid, xs in keys if (pid, xs) not in self._held]
        if new:
            self._read_held(new, by_pid)
        rows = self.conn.execute(
            resolve("copy_progress", self.conn.info.server_version),
            {"pids": list(by_pid)},
            prepare=False,
        ).fetchall()
        copies = {int(r[0]): r for r in rows}
        out: dict[int, Progress] = {}
        for pid, s in by_pid.items():
            held = self._held[(pid, s.xact_start)]
            sizes, copy, name = held, None, None
            r = copies.get(pid)
            if r is not None:
                copy = CopyProgress(pid, None, *r[5:])
                name = r[1]
                if name is not None:
                    sizes = {**held, name: _size(r[2], r[3], r[4])}
            age = s.xact_age if s.xact_age is not None else s.query_age
            out[pid] = estimate(
                sizes, tuple(held), copy, name, s.query, age, s.query_age, finished=_idle(s.state)
            )
        return out

    def _read_held(self, pids: list[int], by_pid: dict[int, Watched]) -> None:
        rows = self.conn.execute(
            resolve("backup_tables", self.conn.info.server_version),
            {"pids": pids},
            prepare=False,
        ).fetchall()
        held: dict[int, dict[str, TableSize]] = {pid: {} for pid in pids}
        for pid, name, reltuples, relpages, live in rows:
            held[int(pid)][name] = _size(reltuples, relpages, live)
        for pid, sizes in held.items():
            self._held[(pid, by_pid[pid].xact_start)] = sizes
