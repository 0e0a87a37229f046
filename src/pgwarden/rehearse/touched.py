"""The tables the pending migrations touch, from the lock model, found on the source.

A table a migration locks (alters, rewrites, validates, scans, reads or writes) is where a
data migration meets the rows it may fail on, so rehearse copies those tables whole (below
`--whole-under` rows) instead of sampling them. The lock model reads SQL only: statements it
cannot describe (a DO block, a function call) and `-- CMD` migrations touch tables it cannot
name, and those are sampled like any other.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgwarden.config import LintConfig
from pgwarden.db import load_sql

_PKG = __package__ or "pgwarden.rehearse"


@dataclass(frozen=True, slots=True)
class Touch:
    """One table of the source a migration touches, and the statement taking its strongest lock."""

    oid: int
    relation: str  # as the lock model names it: the table, or its partitioned parent
    statement: str  # the statement's kind, e.g. "ALTER TABLE ALTER COLUMN TYPE"
    where: str  # path:line

    @property
    def reason(self) -> str:
        return f"{self.statement} at {self.where}"


@dataclass(frozen=True, slots=True)
class Touched:
    tables: tuple[Touch, ...]
    unknown: tuple[str, ...] = ()  # path:line of statements the lock model cannot describe

    def by_oid(self) -> dict[int, Touch]:
        out: dict[int, Touch] = {}
        for t in self.tables:
            out.setdefault(t.oid, t)
        return out


def touched_tables(
    conn: Any, paths: Sequence[str], config: LintConfig, major: int, schema_sql: str | None = None
) -> Touched:
    """Lint `paths` (offline, with the source's major) and find the locked tables on `conn`.

    `schema_sql` (the source's `pg_dump --schema-only`) lets the lock model see what the SQL
    does not name: the children a cascading foreign key reaches, a view's base tables.
    """
    from pgwarden.inspect.needs import needs_for_paths

    if schema_sql is None:
        needs = needs_for_paths(list(paths), config, major)
    else:
        with tempfile.TemporaryDirectory(prefix="pgwarden-touched-") as tmp:
            schema = Path(tmp) / "source-schema.sql"
            schema.write_text(schema_sql, encoding="utf-8")
            with_schema = dataclasses.replace(config, schema=(*config.schema, str(schema)))
            needs = needs_for_paths(list(paths), with_schema, major)
    wanted = [n for n in needs.needs if n.relkind != "index"]
    rows = []
    if wanted:
        query = load_sql(_PKG, "source_touched.sql")
        rows = conn.execute(query, {"relations": [n.relation for n in wanted]}).fetchall()
    found = []
    for ordinal, oid in rows:
        need = wanted[int(ordinal) - 1]
        found.append(Touch(int(oid), need.relation, need.statement, need.where))
    return Touched(tuple(found), needs.unknown)
