"""Find a run's `.sql` files in migration order and read their bytes, importing no more than
os, stat, re and pathlib: the read-ahead helper (sql.read_ahead) runs this right after it
forks from the console script, and dataclasses alone (for SqlSource) would cost it ~6 ms of
imports. `discover` and `read_bytes` are built on it, so both ways give the same result."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from pgwarden.errors import InputError

MAX_BYTES = 64 * 1024 * 1024  # a larger "SQL file" is a device or a data dump, not a migration
_TOO_LARGE = f"larger than {MAX_BYTES >> 20} MiB; not a migration"

_RUN = re.compile(r"(\d+)")
# Flyway: V<version>__name.sql; version parts are separated by "_" or ".".
_FLYWAY = re.compile(r"^([VUR])(\d+(?:[._]\d+)*)__", re.IGNORECASE)
_UPDOWN = re.compile(r"(?:^|[._])(up|down)\.sql$", re.IGNORECASE)

_Key = tuple[tuple[int, object], ...]


def is_down_name(name: str) -> bool:
    """True for `down.sql`, `x.down.sql` and Flyway undo scripts `U2__x.sql`."""
    lower = name.lower()
    if lower == "down.sql" or lower.endswith(".down.sql"):
        return True
    m = _FLYWAY.match(name)
    return bool(m and m.group(1).upper() == "U")


def natural_key(part: str) -> _Key:
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


def part_key(name: str, is_dir: bool) -> tuple[_Key, int]:
    if is_dir:
        return natural_key(name), 0
    m = _UPDOWN.search(name)
    return natural_key(name[: m.start(1)] if m else name), 1 if is_down_name(name) else 0


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
        found.sort(key=lambda f: (part_key(f[0], f[2]), f[0]))
    for _, path, is_dir in found:
        if is_dir:
            _walk(path, out)
        else:
            out.append(path)


def expand(arg: str, must_exist: bool = False) -> list[tuple[str, str | Path]]:
    """What one path argument (not stdin) names, as (display, location): a directory's
    `.sql` files in migration order (plain strings: a Path per file was a sixth of a warm run
    over a large migrations directory), or the path itself. A path that does not exist is
    kept (reading it reports the error) unless `must_exist`, which raises InputError."""
    p = Path(arg)
    if p.is_dir():
        files: list[str] = []
        top = str(p)
        _walk(top, files)
        # Normalised like Path() would (`./x.sql` is shown as `x.sql`); the walk only
        # appends names to `top`, so normalising `top` is enough.
        prefix = "" if top == "." else top.rstrip("/") + "/"
        out: list[tuple[str, str | Path]] = []
        for f in files:
            rel = prefix + f[len(top) :].lstrip("/")
            out.append((rel, rel))
        return out
    if must_exist and not (p.exists() or p.is_symlink()):
        raise InputError(f"{arg}: no such file or directory")
    return [(str(p), p)]


def read_file(location: str | Path) -> bytes | str:
    """The bytes of a file, or why they cannot be read (a message for line 1, column 1)."""
    try:
        # O_NONBLOCK: opening a FIFO nobody writes to must not hang (it reads as empty).
        fd = os.open(location, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)  # of what was opened (one system call fewer than stat first)
            if stat.S_ISDIR(st.st_mode):
                return "is a directory, not a SQL file"
            if not stat.S_ISREG(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
                return "not a regular file"
            if st.st_size > MAX_BYTES:
                return _TOO_LARGE
            regular = stat.S_ISREG(st.st_mode)
            if not regular and hasattr(os, "set_blocking"):
                os.set_blocking(fd, True)  # a writer is attached (or none): wait for its data
            chunks: list[bytes] = []
            size = 0
            want = st.st_size + 1 if regular else 1 << 20
            while chunk := os.read(fd, want):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_BYTES:
                    return _TOO_LARGE
                if regular and len(chunk) < want:
                    break  # a short read of a regular file is its end: no read to confirm it
                want = 1 << 20
            return b"".join(chunks) if len(chunks) != 1 else chunks[0]
        finally:
            os.close(fd)
    except OSError as exc:
        try:  # a socket cannot even be opened: say what it is rather than why
            mode = os.stat(location).st_mode
        except OSError:
            mode = stat.S_IFREG
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISFIFO(mode)):
            return "not a regular file"
        return f"cannot read file: {exc.strerror or exc}"
