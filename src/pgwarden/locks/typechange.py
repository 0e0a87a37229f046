"""Does ALTER COLUMN ... TYPE rewrite the table? Binary-coercible changes do not.

PostgreSQL skips the rewrite when the old type is binary coercible to the new one and the
typmod change is proven harmless by the type's support function (varchar, numeric, bit
varying, time/timestamp/interval precision); docs: ALTER TABLE, "Notes". Everything else
rewrites the table and rebuilds its indexes under ACCESS EXCLUSIVE.
"""

from __future__ import annotations

# (from, to) pairs that are binary coercible with no length/precision check.
_RELABEL = frozenset(
    {
        ("varchar", "text"),
        ("text", "varchar"),
        ("bpchar", "text"),
        ("bpchar", "varchar"),
        ("cidr", "inet"),
        ("varbit", "bit"),
        ("xml", "text"),
        ("citext", "text"),
        ("text", "citext"),
        ("varchar", "citext"),
        ("oid", "regclass"),
    }
)
# Types whose typmod increase is a no-op (they have a length-coercion support function).
_WIDEN_OK = frozenset(
    {"varchar", "varbit", "numeric", "timestamp", "timestamptz", "time", "timetz", "interval"}
)
# TemporalSimplify: a precision change is a no-op when the new precision is the maximum (6).
_MAX_PRECISION = {"timestamp": 6, "timestamptz": 6, "time": 6, "timetz": 6}
# Zones whose UTC offset is zero at all times (TimestampTimestampTzRequiresRewrite).
_UTC_ZONES = frozenset(
    {
        "utc",
        "uct",
        "gmt",
        "gmt0",
        "gmt+0",
        "gmt-0",
        "zulu",
        "universal",
        "greenwich",
        "etc/utc",
        "etc/uct",
        "etc/gmt",
        "etc/gmt0",
        "etc/gmt+0",
        "etc/gmt-0",
        "etc/zulu",
        "etc/universal",
        "etc/greenwich",
    }
)


def is_utc(timezone: str | None) -> bool:
    return timezone is not None and timezone.strip().strip("'\"").lower() in _UTC_ZONES


def rewrite_reason(
    old: str,
    old_mods: tuple[int, ...],
    new: str,
    new_mods: tuple[int, ...],
    *,
    has_using: bool,
    version: int,
    timezone: str | None = None,
) -> str | None:
    """None when no rewrite is needed, else a short reason. `timezone`: the session TimeZone
    when the migration sets it (None: unknown)."""
    if has_using:
        return "a USING expression is evaluated for every row"
    if old == new:
        if old_mods == new_mods:
            return None
        if old in _WIDEN_OK:
            if not new_mods:
                return None
            if new_mods[0] == _MAX_PRECISION.get(old):
                return None
            if old_mods and _widens(old, old_mods, new_mods):
                return None
            if not old_mods:
                return f"adding a limit to {old} checks and rewrites every row"
        return f"{old} length/precision change from {old_mods or 'none'} to {new_mods or 'none'}"
    if (old, new) in _RELABEL:
        # text -> varchar(n) must check lengths; varchar(n) -> text is a pure relabel.
        if new == "varchar" and new_mods:
            return "text to a length-limited varchar is checked row by row"
        if old == "bpchar" and new in ("text", "varchar"):
            return "char(n) to text strips padding per row"
        return None
    if {old, new} == {"timestamp", "timestamptz"}:
        # PostgreSQL 12+: no rewrite when the session TimeZone is UTC (the values are equal),
        # unless a precision below the maximum must be applied to the converted value.
        if version >= 12 and is_utc(timezone) and (not new_mods or new_mods[0] >= 6):
            return None
        if version >= 12:
            return f"{old} to {new} rewrites unless the session TimeZone is UTC"
        return f"{old} to {new} rewrites before PostgreSQL 12"
    return f"{old} to {new} is not binary coercible"


def _widens(kind: str, old: tuple[int, ...], new: tuple[int, ...]) -> bool:
    if kind == "numeric":
        # numeric(p,s) -> numeric(p2,s) with p2 >= p and the same scale.
        old_scale = old[1] if len(old) > 1 else 0
        new_scale = new[1] if len(new) > 1 else 0
        return new[0] >= old[0] and new_scale == old_scale
    return new[0] >= old[0]
