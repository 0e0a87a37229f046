"""Durations (`30m`, `5s`, `1h30m`, `500ms`) and byte sizes (`1GB`) for options and output."""

from __future__ import annotations

import re

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|min|s|m|h|d)?", re.IGNORECASE)
_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0, "d": 86400.0}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?i?b?)?\s*$", re.IGNORECASE)
_BYTES = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_duration(text: str) -> float:
    """Seconds in `text`: a number with a unit (ms, s, m, h, d), parts may be chained (`1h30m`).

    A bare number means seconds. Raises ValueError with the accepted forms.
    """
    s = text.strip()
    pos, total, parts = 0, 0.0, 0
    while pos < len(s):
        m = _DURATION_PART.match(s, pos)
        if m is None or m.end() == pos:
            break
        total += float(m.group(1)) * _SECONDS[(m.group(2) or "s").lower()]
        pos, parts = m.end(), parts + 1
        while pos < len(s) and s[pos] == " ":
            pos += 1
    if parts == 0 or pos != len(s):
        raise ValueError(f"invalid duration {text!r}: use e.g. 500ms, 5s, 30m, 1h or 1h30m")
    return total


def parse_size(text: str) -> int:
    """Bytes in `text`, e.g. `512MB`, `1GB`, `2G` (powers of 1024, as Postgres does)."""
    m = _SIZE.match(text)
    if m is None:
        raise ValueError(f"invalid size {text!r}: use e.g. 512MB, 1GB or 10GB")
    unit = (m.group(2) or "").lower().rstrip("b").rstrip("i")
    return int(float(m.group(1)) * _BYTES[unit])


def format_duration(seconds: float | None) -> str:
    """`450ms`, `12s`, `5m12s`, `2h05m`, `3d04h`; `?` when unknown."""
    if seconds is None:
        return "?"
    if seconds < 0:
        seconds = 0.0
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.1f}s".replace(".0s", "s")
    s = round(seconds)
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{(s % 3600) // 60:02d}m"
    return f"{s // 86400}d{(s % 86400) // 3600:02d}h"


def format_bytes(n: float | None) -> str:
    """`512 B`, `3.4 MB`, `1.2 GB` (powers of 1024)."""
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "kB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"  # pragma: no cover - loop always returns
