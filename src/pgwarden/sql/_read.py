"""Read a source's bytes, and the failure type every front-end step reports; kept light, so
that a warm run (which only reads and hashes its files) does not import the parser."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.sql._files import MAX_BYTES as MAX_BYTES
from pgwarden.sql._files import read_file
from pgwarden.sql.discover import SqlSource


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
    got = read_file(location)
    return got if isinstance(got, bytes) else ParseFailure(source, 1, 1, got)
