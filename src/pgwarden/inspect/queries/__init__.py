"""Catalog queries run by `pgwarden.inspect`, with version-suffixed variants picked in one place."""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_VARIANT = re.compile(r"^(?P<name>[a-z_]+?)(?:_pg(?P<major>\d+))?\.sql$")


@cache
def _variants() -> dict[str, dict[int, str]]:
    """{query name: {minimum major: file name}}; the unsuffixed file is the baseline (major 0)."""
    out: dict[str, dict[int, str]] = {}
    for entry in resources.files(__name__).iterdir():
        m = _VARIANT.match(entry.name)
        if m:
            out.setdefault(m["name"], {})[int(m["major"] or 0)] = entry.name
    return out


def variant_for(name: str, server_version_num: int) -> str:
    """File name of the newest variant of `name` that the server can run.

    `snapshot_pg14.sql` serves PostgreSQL 14 and later, `snapshot.sql` everything older.
    """
    variants = _variants().get(name)
    if not variants:
        raise KeyError(f"no query named {name!r} in {__name__}")
    major = server_version_num // 10000
    usable = [v for v in variants if v <= major]
    if not usable:
        raise KeyError(f"query {name!r} has no variant for PostgreSQL {major}")
    return variants[max(usable)]


@cache
def query_text(file_name: str) -> str:
    return resources.files(__name__).joinpath(file_name).read_text(encoding="utf-8")


def resolve(name: str, server_version_num: int) -> str:
    """Text of the variant of `name` to run against a server of `server_version_num`."""
    return query_text(variant_for(name, server_version_num))
