"""Parser front-end: SQL sources to located statements, with directives and transaction blocks."""

from typing import TYPE_CHECKING

from pgwarden.sql._read import ParseFailure
from pgwarden.sql.discover import SqlSource, discover, migration_sort_key

if TYPE_CHECKING:
    from pgwarden.sql.source import Notice, ParsedFile, Statement, parse_source

# The parser-side names load on first use: a warm lint run only discovers and reads files.
_LAZY = frozenset({"Notice", "ParsedFile", "Statement", "parse_source"})


def __getattr__(name: str) -> object:
    if name in _LAZY:
        from pgwarden.sql import source

        return getattr(source, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Notice",
    "ParseFailure",
    "ParsedFile",
    "SqlSource",
    "Statement",
    "discover",
    "migration_sort_key",
    "parse_source",
]
