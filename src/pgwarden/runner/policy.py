"""The lock acquisition policy: every timeout and retry knob of the runner, with defaults."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

from pgwarden.errors import UsageError

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "min": 60.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(us|ms|s|min|m|h|d)?\s*$", re.IGNORECASE)


def parse_duration(text: str) -> float:
    """`50ms`, `2s`, `30m`, `1h`, `0` -> seconds; a bare number means seconds."""
    m = _DURATION.match(text)
    if m is None:
        raise UsageError(f"invalid duration {text!r}: use e.g. 50ms, 2s, 30m, 1h or 0")
    return float(m.group(1)) * _UNITS[(m.group(2) or "s").lower()]


def pg_duration(seconds: float) -> str:
    """A duration as a Postgres GUC value in whole milliseconds (`0` disables a timeout)."""
    ms = round(seconds * 1000)
    if seconds > 0 and ms == 0:
        ms = 1  # 0 would mean "no timeout", the opposite of a tiny one
    return f"{ms}ms" if ms else "0"


def human(seconds: float) -> str:
    """`0.05` -> `50 ms`, `612` -> `10 m 12 s`."""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    m, s = divmod(int(seconds), 60)
    if m < 60:
        return f"{m} m {s} s"
    h, m = divmod(m, 60)
    return f"{h} h {m} m"


@dataclass(frozen=True, slots=True)
class Policy:
    """How the runner takes locks. Times are in seconds; docs/runner.md says why each default."""

    # Each attempt to take a lock that blocks application traffic waits at most this long, so
    # the queries queued behind it wait at most this long too.
    lock_timeout: float = 0.050
    # Give up (with a report of every blocker seen) after waiting this long for locks.
    max_wait: float = 1800.0
    # The watchdog cancels our statement when it waits for a lock while other sessions queue
    # behind it for longer than this, whatever lock_timeout says.
    max_queue: float = 0.050
    # Full-jitter exponential backoff between attempts that timed out on short-lived holders.
    backoff_base: float = 0.050
    backoff_cap: float = 2.0
    # statement_timeout for ordinary statements; None leaves the server/role setting alone.
    statement_timeout: float | None = None
    # statement_timeout for long work that does not block traffic (CREATE INDEX CONCURRENTLY,
    # VALIDATE CONSTRAINT, VACUUM); 0 means no limit.
    long_statement_timeout: float | None = 0.0
    # A runner that dies inside a transaction cannot hold its locks longer than this.
    idle_in_transaction_timeout: float = 10.0
    # How often the waiter and the watchdog look at pg_stat_activity / pg_locks.
    poll_interval: float = 0.015

    def __post_init__(self) -> None:
        for name in ("lock_timeout", "max_queue", "poll_interval"):
            if getattr(self, name) <= 0:
                raise UsageError(f"{name.replace('_', '-')} must be greater than 0")
        for name in ("max_wait", "backoff_base", "backoff_cap", "idle_in_transaction_timeout"):
            if getattr(self, name) < 0:
                raise UsageError(f"{name.replace('_', '-')} must not be negative")
        for name in ("statement_timeout", "long_statement_timeout"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise UsageError(f"{name.replace('_', '-')} must not be negative")

    @property
    def blocker_min_age(self) -> float:
        """A conflicting holder whose transaction is older than this is waited out, not raced.

        Short application transactions finish within an attempt's lock_timeout; anything
        already older (a backup, a long report, an idle-in-transaction session) will not.
        """
        return max(self.lock_timeout, self.poll_interval)

    def backoff(self, retry: int, rng: random.Random | None = None) -> float:
        """Sleep before retry number `retry` (1-based): uniform in [0, min(cap, base * 2^n)]."""
        ceiling = min(self.backoff_cap, self.backoff_base * (2 ** max(retry - 1, 0)))
        return (rng or random).uniform(0, ceiling)

    def pgoptions(self) -> str:
        """`-c name=value` options for libpq's PGOPTIONS, as `pgwarden run` passes them."""
        opts = [f"-c lock_timeout={pg_duration(self.lock_timeout)}"]
        if self.statement_timeout is not None:
            opts.append(f"-c statement_timeout={pg_duration(self.statement_timeout)}")
        opts.append(
            "-c idle_in_transaction_session_timeout="
            f"{pg_duration(self.idle_in_transaction_timeout)}"
        )
        return " ".join(opts)
