"""Unqualified names under `SET search_path`: qualified before a statement is analysed.

The lock model and the catalog read a name without a schema as `public.name`, which is what
PostgreSQL does with its default search path. After `SET search_path TO app, public`, the
server looks the name up in `app` first, and creates new relations there. So, while such a
setting is in force, each statement's unqualified relation names are given the schema they
resolve to (the first schema of the path holding a relation of that name; for a relation the
statement creates, the first schema of the path that exists), in place, before anything
reads them. Names in DROP statements are lists, not relation references: they are
rewritten the same way.
"""

from __future__ import annotations

from typing import Any

from pgwarden.catalog.model import Catalog, QualifiedName

DEFAULT = ("public",)
# Statements that create the relation they name, and where that name is.
_CREATES = {
    "CreateStmt": ("relation",),
    "ViewStmt": ("view",),
    "CreateSeqStmt": ("sequence",),
    "CreateTableAsStmt": ("into", "rel"),
}
_DROPPED = {"OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_INDEX"}


def set_search_path(node: Any, cat: Catalog) -> None:
    """Apply `SET search_path ...` / `RESET search_path` to the catalog."""
    from pgwarden.sql.nodes import enum_name

    kind = enum_name(node.kind)
    if kind != "VAR_SET_VALUE":
        cat.search_path = DEFAULT
        return
    schemas = []
    for a in node.args or ():
        name = getattr(getattr(a, "val", None), "sval", None)
        if isinstance(name, str) and name and not name.startswith("$"):
            schemas.append(name)
    cat.search_path = tuple(schemas) or DEFAULT


def qualify(node: Any, cat: Catalog) -> None:
    """Give the statement's unqualified relation names the schema they resolve to."""
    path = cat.search_path
    if path == DEFAULT or not any(s != "public" and s in cat.schemas for s in path):
        return  # no schema but public to find or create anything in (`public, pg_catalog`)
    from pglast import ast

    from pgwarden.sql.nodes import cte_names, enum_name, find_nodes

    ctes = cte_names(node)
    for rv in find_nodes(node, ast.RangeVar):
        if rv.schemaname is None and rv.relname not in ctes:
            schema = _found_in(cat, path, rv.relname)
            if schema is not None and schema != "public":
                rv.schemaname = schema
    where = _CREATES.get(type(node).__name__)
    if where is not None:
        target = node
        for attr in where:
            target = getattr(target, attr, None)
        if target is not None and target.schemaname is None:
            schema = next((s for s in path if s in cat.schemas), "public")
            if schema != "public":
                target.schemaname = schema
    if type(node).__name__ == "DropStmt" and enum_name(node.removeType) in _DROPPED:
        node.objects = tuple(_qualified_list(cat, path, obj) for obj in node.objects or ())


def _found_in(cat: Catalog, path: tuple[str, ...], name: str) -> str | None:
    for schema in path:
        q = QualifiedName(schema, name)
        if q in cat.tables or q in cat.indexes:
            return schema
    return None


def _qualified_list(cat: Catalog, path: tuple[str, ...], obj: Any) -> Any:
    from pglast import ast

    parts = tuple(obj) if isinstance(obj, list | tuple) else ()
    if len(parts) != 1 or not hasattr(parts[0], "sval"):
        return obj
    schema = _found_in(cat, path, parts[0].sval)
    if schema is None or schema == "public":
        return obj
    return (ast.String(sval=schema), parts[0])
