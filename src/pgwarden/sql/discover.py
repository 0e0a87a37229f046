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


def is_down_name(name: str) -> bool:
    """True for `down.sql`, `x.down.sql` and Flyway undo scripts `U2__x.sql`."""
    lower = name.lower()
    if lower == "down.sql" or lower.endswith(".down.sql"):
        return True
    m = _FLYWAY.match(name)
    return bool(m and m.group(1).upper() == "U")


_Key = tuple[tuple[int, object], ...]


def _natural(part: str) -> _Key:
    """`0002` < `0010`: digit runs compare as numbers, the rest case-insensitively."""
    m = _FLYWAY.match(part)
    if m:
        # V1__ < V1_1__ < V2__ < V10__: the version compares as a tuple of numbers.
        version = tuple(int(n) for n in re.split(r"[._]", m.group(2)))
        kind = {"V": 0, "U": 1, "R": 2}[m.group(1).upper()]
        return ((0, kind), (0, version), (1, part[m.end() :].lower()))
    key: list[tuple[int, object]] = []
    for i, chunk in enumerate(_RUN.split(part)):
        if chunk:
            key.append((0, int(chunk)) if i % 2 else (1, chunk.lower()))
    return tuple(key)


_UPDOWN = re.compile(r"(?:^|[._])(up|down)\.sql$", re.IGNORECASE)


def _part_key(name: str, is_dir: bool) -> tuple[_Key, int]:
    if is_dir:
        return _natural(name), 0
    m = _UPDOWN.search(name)
    return _natural(name[: m.start(1)] if m else name), 1 if is_down_name(name) else 0


def migration_sort_key(relpath: str) -> tuple[object, ...]:
    """Natural migration order: `0002` < `0010`, `V2__` < `V10__`, timestamps, up before down.

    Each path part compares as a whole, so a file beside directories sorts by its name among
    them; `x.up.sql` / `x.down.sql` and Diesel's `x/up.sql` / `x/down.sql` keep a migration's
    up right before its down. The path itself breaks ties (`01` and `1`).
    """
    *dirs, name = relpath.replace("\\", "/").split("/")
    key = [(*_part_key(d, True), d) for d in dirs]
    key.append((*_part_key(name, False), name))
    return tuple(key)


def _walk(top: str, out: list[str]) -> None:
    """Append the `.sql` files under `top` to `out` in migration order (each directory level
    sorted on its own, which gives the order of migration_sort_key without one large sort)."""
    try:
        with os.scandir(top) as it:
            entries = list(it)
    except OSError:
        return
    found: list[tuple[str, str, bool]] = []
    for e in entries:
        try:
            is_dir = e.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            if not e.name.startswith("."):
                found.append((e.name, e.path, True))
        elif e.name.lower().endswith(".sql"):
            try:
                if e.is_dir():  # a symlink to a directory named *.sql: not followed
                    continue
            except OSError:
                pass
            found.append((e.name, e.path, False))
    if len(found) > 1:  # most migration directories hold one or two files
        found.sort(key=lambda f: (_part_key(f[0], f[2]), f[0]))
    for _, path, is_dir in found:
        if is_dir:
            _walk(path, out)
        else:
            out.append(path)


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
        p = Path(arg)
        if p.is_dir():
            files: list[str] = []
            top = str(p)
            _walk(top, files)
            # Normalised like Path() would (`./x.sql` is shown as `x.sql`); the walk only
            # appends names to `top`, so normalising `top` is enough.
            prefix = "" if str(p) == "." else str(p).rstrip("/") + "/"
            for f in files:
                rel = prefix + f[len(top) :].lstrip("/")
                out.append(SqlSource(rel, rel))
        else:
            if must_exist and not (p.exists() or p.is_symlink()):
                raise InputError(f"{arg}: no such file or directory")
            out.append(SqlSource(str(p), p))
    return out


def _read_stdin() -> bytes:
    try:
        return sys.stdin.buffer.read() if sys.stdin is not None else b""
    except (AttributeError, OSError, ValueError):  # no stdin, or a text-only replacement
        try:
            return sys.stdin.read().encode("utf-8", "surrogateescape") if sys.stdin else b""
        except (OSError, ValueError):
            return b""
