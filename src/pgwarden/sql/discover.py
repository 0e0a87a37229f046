"""Find SQL sources (files, directories, stdin) and order them the way migration tools do."""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pgwarden.errors import InputError

_RUN = re.compile(r"(\d+)")
# Flyway: V<version>__name.sql; version parts are separated by "_" or ".".
_FLYWAY = re.compile(r"^([VUR])(\d+(?:[._]\d+)*)__", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class SqlSource:
    """One unit of SQL input: a path on disk, or stdin shown under a display name."""

    display: str
    path: Path | None  # None for stdin
    text: str | None = None  # preloaded text (stdin)

    @property
    def is_down(self) -> bool:
        """Down/undo migrations revert earlier ones, so their effects must not feed the catalog."""
        return is_down_name(self.display.replace("\\", "/").rsplit("/", 1)[-1])


def is_down_name(name: str) -> bool:
    """True for `down.sql`, `x.down.sql` and Flyway undo scripts `U2__x.sql`."""
    lower = name.lower()
    if lower == "down.sql" or lower.endswith(".down.sql"):
        return True
    m = _FLYWAY.match(name)
    return bool(m and m.group(1).upper() == "U")


def _natural(part: str) -> tuple[tuple[int, int | str], ...]:
    m = _FLYWAY.match(part)
    if m:
        nums = re.split(r"[._]", m.group(2))
        kind = {"V": 0, "U": 1, "R": 2}[m.group(1).upper()]
        return ((0, kind), *((0, int(n)) for n in nums), (1, part[m.end() :].lower()))
    key: list[tuple[int, int | str]] = []
    for i, chunk in enumerate(_RUN.split(part)):
        if not chunk:
            continue
        key.append((0, int(chunk)) if i % 2 else (1, chunk.lower()))
    return tuple(key)


def migration_sort_key(relpath: str) -> tuple[object, ...]:
    """Natural migration order: `0002` < `0010`, `V2__` < `V10__`, timestamps, up before down."""
    parts = relpath.replace("\\", "/").split("/")
    *dirs, name = parts
    updown = 1 if is_down_name(name) else 0
    return (*(_natural(d) for d in dirs), updown, _natural(name))


def discover(args: list[str]) -> list[SqlSource]:
    """Expand CLI path arguments; directories yield their `.sql` files in migration order."""
    out: list[SqlSource] = []
    for arg in args:
        if arg == "-":
            out.append(SqlSource("<stdin>", None, sys.stdin.read()))
            continue
        p = Path(arg)
        if p.is_dir():
            found: list[tuple[tuple[object, ...], Path]] = []
            for root, dirnames, files in os.walk(p):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                for f in files:
                    fp = Path(root) / f
                    if f.lower().endswith(".sql") and not fp.is_dir():
                        found.append((migration_sort_key(str(fp.relative_to(p))), fp))
            found.sort(key=lambda kv: kv[0])
            out.extend(SqlSource(str(fp), fp) for _, fp in found)
        elif p.exists() or p.is_symlink():
            out.append(SqlSource(str(p), p))
        else:
            raise InputError(f"{arg}: no such file or directory")
    return out
