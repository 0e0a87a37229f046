"""One replay: throwaway server, table, app load, blocker at t=2 s, migration at t=3 s."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pgwarden.replay.blockers import Blocker
from pgwarden.replay.load import AppLoad, QuerySample, prepare_table
from pgwarden.replay.metrics import Summary, summarise
from pgwarden.replay.strategies import MIGRATIONS, STRATEGIES

# Seconds after t0 before anything counts: the clients' first round trips all start at once.
WARMUP = 0.5


@dataclass(frozen=True, slots=True)
class ReplayConfig:
    rows: int = 100_000
    clients: int = 8
    blocker: str = "backup"
    blocker_at: float = 2.0
    blocker_seconds: float = 8.0
    migration: str = "add-column"
    migration_at: float = 3.0
    tail: float = 1.5  # keep measuring after both are done
    max_seconds: float = 60.0
    table: str = "accounts"


@dataclass(slots=True)
class Run:
    strategy: str
    summary: Summary
    samples: list[QuerySample]
    blocker_span: tuple[float, float | None]
    migration_span: tuple[float, float | None]
    blocker_error: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


def replay(strategy: str, dsn: str, pg_dump: Path, cfg: ReplayConfig) -> Run:
    """Run one strategy end to end against a freshly prepared table on `dsn`."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        prepare_table(conn, cfg.table, cfg.rows)
        conn.execute("DROP SCHEMA IF EXISTS pgwarden CASCADE")
        conn.execute("CHECKPOINT")  # not in the middle of the next run
    sql = MIGRATIONS[cfg.migration].format(table=cfg.table)
    load = AppLoad(dsn, cfg.table, cfg.rows, clients=cfg.clients)
    t0 = load.start()  # the clients are connected and running from t0 on

    def clock() -> float:
        return time.monotonic() - t0

    blocker = Blocker(cfg.blocker, dsn, cfg.table, cfg.blocker_seconds, pg_dump=pg_dump)
    try:
        _sleep_until(clock, cfg.blocker_at)
        blocker.start(t0)
        _sleep_until(clock, cfg.migration_at)
        outcome = STRATEGIES[strategy](dsn, sql, clock, cfg.max_seconds)
        blocker.join(timeout=max(0.0, cfg.max_seconds - clock()) + 30)
        end_of_interest = max(outcome.ended or clock(), blocker.ended or clock())
        _sleep_until(clock, end_of_interest + cfg.tail)
    finally:
        stopped = clock()  # the clients stop here: later silence is not a stall
        load.stop()
    failed = [e for e in load.errors if e.startswith("client ")]
    if failed:
        raise RuntimeError(f"application load broke: {failed[0]}")
    summary = summarise(
        strategy,
        [q for q in load.samples if q.start >= WARMUP],
        (outcome.started, outcome.ended if outcome.ended is not None else stopped),
        (WARMUP, stopped),
        outcome.ok,
        outcome.attempts,
        blocker.ended,
        outcome.ended,
        outcome.error,
    )
    return Run(
        strategy,
        summary,
        load.samples,
        (blocker.started if blocker.started is not None else cfg.blocker_at, blocker.ended),
        (outcome.started, outcome.ended),
        blocker.error,
        {"events": outcome.events, "app_errors": load.errors, "released_by": blocker.ended_by},
    )


def _sleep_until(clock: Callable[[], float], t: float) -> None:
    while (left := t - clock()) > 0:
        time.sleep(min(left, 0.05))
