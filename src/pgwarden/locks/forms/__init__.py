"""Statement forms the lock model is checked on, each with the schema it runs against.

tests/locks/test_live_model.py runs every form on real servers and compares `pg_locks` and
`pg_class.relfilenode` with the model's prediction; docs/lock-model.md is generated from the same
list (`python -m pgwarden.locks.doc`), so the documented table and the verified one are one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pgwarden.catalog import Catalog
    from pgwarden.locks.effects import Effect


@dataclass(frozen=True, slots=True)
class Form:
    """One statement form: `setup` creates the existing objects (committed before `sql` runs)."""

    id: str
    sql: str
    setup: str
    family: str
    min_pg: int = 12
    max_pg: int = 99
    settings: tuple[tuple[str, str], ...] = ()  # session settings, e.g. (("TimeZone", "UTC"),)
    note: str = ""
    planner_reads: bool = False  # its full reads depend on the plan of a query it runs

    def runs_on(self, major: int) -> bool:
        return self.min_pg <= major <= self.max_pg


def all_forms() -> list[Form]:
    """Every verified form, in documentation order; ids are unique."""
    from pgwarden.locks.forms import (
        alter_columns,
        alter_table,
        ddl,
        dependencies,
        dml,
        maintenance,
        objects,
        tree,
    )

    out: list[Form] = []
    for mod in (alter_columns, alter_table, ddl, maintenance, dml, tree, dependencies, objects):
        out.extend(mod.FORMS)
    return out


@cache
def _statements(text: str, display: str) -> tuple[Any, ...]:
    """Parsed once: the analysis only reads the nodes."""
    from pgwarden.sql import ParsedFile, SqlSource, parse_source

    parsed = parse_source(SqlSource(display, None, text))
    if not isinstance(parsed, ParsedFile):
        raise ValueError(str(parsed))
    return tuple(st.node for st in parsed.statements)


def catalog_for(form: Form) -> Catalog:
    """The schema the setup creates, as existing objects (in use by the application)."""
    from pgwarden.catalog import Catalog
    from pgwarden.catalog.apply import apply_statement

    catalog = Catalog()
    for node in _statements(form.setup, f"{form.id}:setup"):
        apply_statement(node, catalog, False)
    catalog.mark_all_existing()
    return catalog


def statement(form: Form) -> Any:
    """The form's statement as a pglast node."""
    (node,) = _statements(form.sql, form.id)
    return node


def predict(form: Form, version: int, catalog: Catalog | None = None) -> Effect:
    """What the lock model says the statement does on `version`, given the setup's schema."""
    from pgwarden.catalog.search_path import qualify
    from pgwarden.locks.analyze import analyze
    from pgwarden.locks.context import Context

    settings = {k.lower(): v for k, v in form.settings}
    cat = catalog or catalog_for(form)
    if "search_path" in settings:
        cat.search_path = tuple(s.strip() for s in settings["search_path"].split(","))
    node = statement(form)
    qualify(node, cat)
    ctx = Context(cat, version=version, settings=settings)
    return analyze(node, ctx)
