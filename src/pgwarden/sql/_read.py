"""Read a source's bytes, and the failure type every front-end step reports; kept light, so
that a warm run (which only reads and hashes its files) does not import the parser."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass

from pgwarden.sql.discover import SqlSource

MAX_BYTES = 64 * 1024 * 1024  # a larger "SQL file" is a device or a data dump, not a migration


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A source that could not be parsed, with the first problem located."""

    source: SqlSource
    line: int
    column: int
    message: str

    @property
    def display(self) -> str:
        return self.source.display

    def __str__(self) -> str:
        return f"{self.source.display}:{self.line}:{self.column}: {self.message}"


def read_bytes(source: SqlSource) -> bytes | ParseFailure:
    """The raw bytes of a source; every failure becomes a ParseFailure, never an exception."""
    if source.data is not None:
        return source.data
    if source.text is not None:
        return source.text.encode("utf-8", "surrogatepass")
    location = source.location
    if location is None:
        return b""
    try:
        # O_NONBLOCK: opening a FIFO nobody writes to must not hang (it reads as empty).
        fd = os.open(location, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        try:
            st = os.fstat(fd)  # of what was opened (one system call fewer than stat first)
            if stat.S_ISDIR(st.st_mode):
                return ParseFailure(source, 1, 1, "is a directory, not a SQL file")
            if not stat.S_ISREG(st.st_mode) and not stat.S_ISFIFO(st.st_mode):
                return ParseFailure(source, 1, 1, "not a regular file")
            if st.st_size > MAX_BYTES:
                return ParseFailure(
                    source, 1, 1, f"larger than {MAX_BYTES >> 20} MiB; not a migration"
                )
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
                    return ParseFailure(
                        source, 1, 1, f"larger than {MAX_BYTES >> 20} MiB; not a migration"
                    )
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
            return ParseFailure(source, 1, 1, "not a regular file")
        return ParseFailure(source, 1, 1, f"cannot read file: {exc.strerror or exc}")
