"""Parser front-end: SQL sources to located statements, with directives and transaction blocks."""

TYPE_CHECKING = False  # typing's own would import typing (~5 ms) before the helper forks
if TYPE_CHECKING:
    from pgwarden.sql._read import ParseFailure
    from pgwarden.sql.discover import SqlSource, migration_sort_key
    from pgwarden.sql.source import Notice, ParsedFile, Statement, parse_source

# Every name loads on first use: a warm lint run only discovers and reads files, and the
# console script forks its file reader (sql.read_ahead) before importing any of them.
# (`discover` the function is imported from pgwarden.sql.discover: once that module is
# loaded, the package's attribute of that name is the module.)
_HOME = {
    "ParseFailure": "pgwarden.sql._read",
    "SqlSource": "pgwarden.sql.discover",
    "migration_sort_key": "pgwarden.sql.discover",
    "Notice": "pgwarden.sql.source",
    "ParsedFile": "pgwarden.sql.source",
    "Statement": "pgwarden.sql.source",
    "parse_source": "pgwarden.sql.source",
}


def __getattr__(name: str) -> object:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # once: later lookups find it like any module attribute
    return value


__all__ = [
    "Notice",
    "ParseFailure",
    "ParsedFile",
    "SqlSource",
    "Statement",
    "migration_sort_key",
    "parse_source",
]
