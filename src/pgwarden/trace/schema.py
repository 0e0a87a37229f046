"""Which files are traced and which are applied first as schema, and applying the latter.

`--schema` files come first, then, when `--since FILE` or `--last N` narrows the traced set,
the earlier migrations in migration order. Down migrations in a directory are never run (they
would undo the up migrations before them); a down file named explicitly is traced.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgwarden.errors import UsageError
from pgwarden.sql import ParsedFile, ParseFailure, SqlSource, Statement, parse_source
from pgwarden.sql.discover import discover
from pgwarden.sql.nodes import enum_name
from pgwarden.trace.model import ServerError


class ParseErrors(UsageError):
    """Files that do not parse: nothing is run."""

    def __init__(self, failures: list[ParseFailure]) -> None:
        super().__init__("\n".join(str(f) for f in failures))
        self.failures = failures


@dataclass(frozen=True, slots=True)
class Plan:
    setup: tuple[ParsedFile, ...]  # applied before tracing, not observed
    traced: tuple[ParsedFile, ...]
    skipped: tuple[str, ...]  # down migrations found in directories


def _matches(src: SqlSource, wanted: str) -> bool:
    if src.path is None:
        return False
    w = Path(wanted)
    try:
        if src.path.resolve() == w.resolve():
            return True
    except OSError:
        pass
    return src.path.name == w.name and len(w.parts) == 1


def select_traced(
    sources: list[SqlSource], since: str | None, last: int | None
) -> tuple[list[SqlSource], list[SqlSource]]:
    """Split migrations (in order) into (applied first, traced)."""
    if since is not None and last is not None:
        raise UsageError("give either --since or --last, not both")
    if last is not None:
        if last < 1:
            raise UsageError(f"--last {last}: expected a positive number of files")
        cut = max(len(sources) - last, 0)
        return sources[:cut], sources[cut:]
    if since is not None:
        for i, src in enumerate(sources):
            if _matches(src, since):
                return sources[:i], sources[i:]
        raise UsageError(f"--since {since}: not among the migration files given")
    return [], sources


def plan(
    paths: list[str],
    schema: list[str] | None = None,
    *,
    since: str | None = None,
    last: int | None = None,
) -> Plan:
    """Discover and parse everything up front: a file that does not parse stops the run."""
    explicit = {str(Path(p)) for p in paths if not Path(p).is_dir()}
    migrations: list[SqlSource] = []
    skipped: list[str] = []
    for src in discover(paths):
        if src.is_down and src.display not in explicit:
            skipped.append(src.display)
        else:
            migrations.append(src)
    if not migrations:
        raise UsageError("no SQL files to trace in " + ", ".join(paths))
    earlier, traced = select_traced(migrations, since, last)
    setup_sources = [*discover(list(schema or [])), *earlier]
    failures: list[ParseFailure] = []
    parsed: list[ParsedFile] = []
    for src in [*setup_sources, *traced]:
        result = parse_source(src)
        if isinstance(result, ParseFailure):
            failures.append(result)
        else:
            parsed.append(result)
    if failures:
        raise ParseErrors(failures)
    n = len(setup_sources)
    return Plan(tuple(parsed[:n]), tuple(parsed[n:]), tuple(skipped))


def tx_kind(stmt: Statement) -> str | None:
    """BEGIN, COMMIT or ROLLBACK for transaction control statements, else None."""
    if stmt.kind != "TransactionStmt":
        return None
    k = enum_name(stmt.node.kind)
    if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
        return "BEGIN"
    if k in ("TRANS_STMT_COMMIT", "TRANS_STMT_PREPARE"):
        return "COMMIT"
    if k == "TRANS_STMT_ROLLBACK":
        return "ROLLBACK"
    return "OTHER"  # SAVEPOINT and friends run as written


# In one shared, rolled-back transaction (--dsn without --commit) a file's own transaction
# becomes a savepoint, so its ROLLBACK still undoes just its work and nothing commits.
SHARED_TX = {
    "BEGIN": "SAVEPOINT pgwarden_file",
    "COMMIT": "RELEASE SAVEPOINT pgwarden_file",
    "ROLLBACK": "ROLLBACK TO SAVEPOINT pgwarden_file",
}


def executable(stmt: Statement, shared: bool) -> str:
    kind = tx_kind(stmt)
    if shared and kind in SHARED_TX:
        return SHARED_TX[kind]
    return stmt.text


def statements(files: tuple[ParsedFile, ...]) -> Iterator[tuple[ParsedFile, Statement]]:
    for f in files:
        for st in f.statements:
            yield f, st


def apply_setup(conn: Any, files: tuple[ParsedFile, ...], *, shared: bool) -> ServerError | None:
    """Run schema files and earlier migrations statement by statement, unobserved.

    Committed mode: a dedicated autocommit session (pg_dump output changes search_path for the
    session; the traced session must not inherit that). Shared mode: inside the one transaction.
    """
    import psycopg

    from pgwarden.trace.failure import server_error

    for f, st in statements(files):
        try:
            conn.execute(executable(st, shared))
        except psycopg.Error as exc:
            return server_error(exc, st, f.display)
    return None
