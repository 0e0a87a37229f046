"""Policy values: durations, backoff bounds, the PGOPTIONS handed to `run`'s command."""

from __future__ import annotations

import random

import pytest

from pgwarden.errors import UsageError
from pgwarden.runner.policy import Policy, human, parse_duration, pg_duration
from pgwarden.runner.wrap import LOCK_TIMEOUT_OUTPUT, child_env


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("50ms", 0.05), ("2s", 2.0), ("30m", 1800.0), ("1h", 3600.0), ("0", 0.0), ("1.5", 1.5)],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["", "fast", "-1s", "5 parsecs"])
def test_bad_duration(text: str) -> None:
    with pytest.raises(UsageError, match="invalid duration"):
        parse_duration(text)


def test_pg_duration_never_turns_a_tiny_timeout_into_none() -> None:
    assert pg_duration(0.05) == "50ms"
    assert pg_duration(0) == "0"
    assert pg_duration(0.0001) == "1ms"


def test_human() -> None:
    assert human(0.05) == "50 ms"
    assert human(612) == "10 m 12 s"


def test_defaults() -> None:
    p = Policy()
    assert (p.lock_timeout, p.max_wait, p.max_queue) == (0.05, 1800.0, 0.05)
    assert (p.backoff_base, p.backoff_cap, p.idle_in_transaction_timeout) == (0.05, 2.0, 10.0)
    assert 0.01 <= p.poll_interval <= 0.02


def test_full_jitter_backoff_stays_under_the_exponential_ceiling() -> None:
    p = Policy()
    rng = random.Random(7)
    for retry in range(1, 12):
        ceiling = min(p.backoff_cap, p.backoff_base * 2 ** (retry - 1))
        samples = [p.backoff(retry, rng) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling / 2  # full jitter spreads over the whole range


@pytest.mark.parametrize("field", ["lock_timeout", "max_queue", "poll_interval"])
def test_zero_is_refused_where_it_would_disable_the_guard(field: str) -> None:
    with pytest.raises(UsageError, match="greater than 0"):
        Policy(**{field: 0})


def test_child_env_appends_to_pgoptions() -> None:
    env = child_env({"PGOPTIONS": "-c work_mem=7MB", "X": "1"}, Policy(), "pgwarden-run/ab")
    assert env["PGOPTIONS"].startswith("-c work_mem=7MB -c lock_timeout=50ms")
    assert "idle_in_transaction_session_timeout=10000ms" in env["PGOPTIONS"]
    assert "statement_timeout" not in env["PGOPTIONS"]  # left to the server unless given
    assert env["PGAPPNAME"] == "pgwarden-run/ab"
    assert env["X"] == "1"
    with_st = child_env({}, Policy(statement_timeout=5), "a")
    assert "-c statement_timeout=5000ms" in with_st["PGOPTIONS"]


@pytest.mark.parametrize(
    ("line", "match"),
    [
        (b"ERROR:  canceling statement due to lock timeout", True),
        (b"psycopg.errors.LockNotAvailable: canceling statement", True),
        (b"PG::LockNotAvailable: ERROR", True),
        (b'ERROR:  could not obtain lock on relation "t"', True),
        (b"SQLSTATE 55P03", True),
        (b"Applying app.0002_add_lock_timeout_field... OK", False),
        (b"ERROR:  canceling statement due to statement timeout", False),
    ],
)
def test_lock_timeout_output(line: bytes, match: bool) -> None:
    assert bool(LOCK_TIMEOUT_OUTPUT.search(line)) is match
