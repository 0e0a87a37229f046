"""Durations and sizes as options and output, and the query-variant resolver."""

from __future__ import annotations

import pytest

from pgwarden.inspect.queries import variant_for
from pgwarden.inspect.units import format_duration, parse_duration, parse_size


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30m", 1800.0),
        ("5s", 5.0),
        ("1h", 3600.0),
        ("500ms", 0.5),
        ("1h30m", 5400.0),
        ("90", 90.0),
        ("1.5s", 1.5),
        ("2d", 172800.0),
        (" 10 min ", 600.0),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "5x", "abc", "5m later", "-1s"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(text)


def test_parse_size() -> None:
    assert parse_size("1GB") == 1 << 30
    assert parse_size("512MB") == 512 << 20
    assert parse_size("2g") == 2 << 30
    assert parse_size("100") == 100
    with pytest.raises(ValueError, match="invalid size"):
        parse_size("lots")


def test_format_duration() -> None:
    assert format_duration(None) == "?"
    assert format_duration(0.25) == "250ms"
    assert format_duration(3) == "3s"
    assert format_duration(2.5) == "2.5s"
    assert format_duration(312) == "5m12s"
    assert format_duration(7500) == "2h05m"
    assert format_duration(90000) == "1d01h"


def test_resolver_picks_the_newest_usable_variant() -> None:
    assert variant_for("snapshot", 120005) == "snapshot.sql"
    assert variant_for("snapshot", 130010) == "snapshot.sql"
    assert variant_for("snapshot", 140000) == "snapshot_pg14.sql"
    assert variant_for("snapshot", 180001) == "snapshot_pg14.sql"
    assert variant_for("table_stats", 180001) == "table_stats.sql"
    with pytest.raises(KeyError):
        variant_for("no_such_query", 180000)
