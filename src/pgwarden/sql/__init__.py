"""Parser front-end: SQL sources to located statements, with directives and transaction blocks."""

from pgwarden.sql.discover import SqlSource, discover, migration_sort_key
from pgwarden.sql.source import Notice, ParsedFile, ParseFailure, Statement, parse_source

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
