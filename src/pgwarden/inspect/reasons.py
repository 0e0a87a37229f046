"""The verdict values: GO / WAIT / NO-GO, the thresholds behind them, and one reason."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from pgwarden.inspect.snapshot import Lock, Session, runner_label


class Verdict(enum.Enum):
    GO = "GO"
    WAIT = "WAIT"
    NO_GO = "NO-GO"

    @property
    def exit_code(self) -> int:
        return EXIT[self]


EXIT = {Verdict.GO: 0, Verdict.WAIT: 3, Verdict.NO_GO: 4}
RANK = {Verdict.NO_GO: 0, Verdict.WAIT: 1, Verdict.GO: 2}


@dataclass(frozen=True, slots=True)
class Thresholds:
    long_query: float = 300.0  # a conflicting transaction older than this: NO-GO
    idle_in_tx: float = 60.0  # idle in transaction longer than this while conflicting: NO-GO
    max_slot_lag: int = 1 << 30  # WAL retained by a replication slot
    # Conflicting transactions younger than this are ordinary traffic (reported as such), not
    # blockers: on a busy table some short transaction always holds a lock.
    traffic_age: float = 2.0


@dataclass(frozen=True, slots=True)
class Reason:
    verdict: Verdict  # GO: a note that does not change the verdict
    code: str
    message: str
    pid: int | None = None
    relation: str | None = None
    eta: float | None = None  # seconds until it should end (WAIT)
    action: str = ""  # what a person can do about it


def who(s: Session) -> str:
    """`pid 123 (psql alice)`; a pgwarden runner session says so."""
    app = f" {s.application}" if s.application else ""
    user = f" {s.user}" if s.user else ""
    text = f"pid {s.pid} ({(app + user).strip() or 'no application_name'})"
    runner = runner_label(s.application)
    if runner is not None:
        text += f" [{runner}: left over if that run has ended]"
    return text


def lock_text(lk: Lock) -> str:
    mode = lk.lock_mode
    name = mode.sql_name if mode else lk.mode
    verb = "holds" if lk.granted else "waits for"
    return f"{verb} {name} on {lk.target}"
