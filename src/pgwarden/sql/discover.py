"""Find SQL sources (files, directories, stdin) and order them the way migration tools do."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from pgwarden.sql._files import expand, is_down_name, part_key


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class SqlSource:
    """One unit of SQL input: a path on disk, or stdin / given text shown under a display name."""

    display: str
    location: str | Path | None  # where to read it; None for stdin and given text
    text: str | None = None  # preloaded text
    data: bytes | None = None  # preloaded bytes (stdin), decoded like a file

    @property
    def path(self) -> Path | None:
        """The file as a Path. Discovery keeps plain strings: a Path per file was a sixth of
        a warm run over a large migrations directory."""
        loc = self.location
        return loc if loc is None or isinstance(loc, Path) else Path(loc)

    @property
    def is_down(self) -> bool:
        """Down/undo migrations revert earlier ones, so their effects must not feed the catalog."""
        return is_down_name(self.display.replace("\\", "/").rsplit("/", 1)[-1])


def migration_sort_key(relpath: str) -> tuple[object, ...]:
    """Natural migration order: `0002` < `0010`, `V2__` < `V10__`, timestamps, up before down.

    Each path part compares as a whole, so a file beside directories sorts by its name among
    them; `x.up.sql` / `x.down.sql` and Diesel's `x/up.sql` / `x/down.sql` keep a migration's
    up right before its down. The path itself breaks ties (`01` and `1`).
    """
    *dirs, name = relpath.replace("\\", "/").split("/")
    key = [(*part_key(d, True), d) for d in dirs]
    key.append((*part_key(name, False), name))
    return tuple(key)


def discover(args: list[str], must_exist: bool = False) -> list[SqlSource]:
    """Expand CLI path arguments; directories yield their `.sql` files in migration order.

    A path that does not exist or cannot be read still yields a source: reading it reports
    `path:1:1: ...` as an error for that path while the other paths are linted. With
    `must_exist` (schema files: linting without them would be wrong) a missing path raises
    InputError instead.
    """
    out: list[SqlSource] = []
    for arg in args:
        if arg == "-":
            out.append(SqlSource("<stdin>", None, None, _read_stdin()))
            continue
        for display, location in expand(arg, must_exist):
            out.append(SqlSource(display, location))
    return out


def _read_stdin() -> bytes:
    try:
        return sys.stdin.buffer.read() if sys.stdin is not None else b""
    except (AttributeError, OSError, ValueError):  # no stdin, or a text-only replacement
        try:
            return sys.stdin.read().encode("utf-8", "surrogateescape") if sys.stdin else b""
        except (OSError, ValueError):
            return b""
