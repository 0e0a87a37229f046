"""PW318 renaming-object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.compat._objects import (
    FUNCTION,
    TYPE,
    created_before,
    dotted,
    existing_lock,
    object_name,
)
from pgwarden.sql.nodes import enum_name, qname

# What a rename breaks, by object kind. Column defaults, triggers and indexes refer to other
# objects by OID and keep working; what breaks is SQL text that names the object.
_RELATIONS = {
    "OBJECT_INDEX": ("index", "breaks code and scripts that name it (hints, REINDEX, DROP)"),
    "OBJECT_SEQUENCE": ("sequence", "breaks code that calls nextval() or setval() by name"),
    "OBJECT_MATVIEW": ("materialized view", "breaks the queries and REFRESH jobs that name it"),
    "OBJECT_FOREIGN_TABLE": ("foreign table", "breaks the queries that name it"),
}
_ON_TABLE = {
    "OBJECT_TABCONSTRAINT": (
        "constraint",
        "breaks `ON CONFLICT ON CONSTRAINT` and code that matches constraint names in errors",
    ),
    "OBJECT_TRIGGER": ("trigger", "breaks code and scripts that enable or disable it by name"),
}
_NOT_TRACKED = {
    "OBJECT_FUNCTION": ("function", FUNCTION, "breaks running code and SQL bodies that call it"),
    "OBJECT_PROCEDURE": ("procedure", FUNCTION, "breaks running code that calls it"),
    "OBJECT_ROUTINE": ("routine", FUNCTION, "breaks running code that calls it"),
    "OBJECT_AGGREGATE": ("aggregate", FUNCTION, "breaks running queries that call it"),
    "OBJECT_TYPE": ("type", TYPE, "breaks casts and code that name it"),
    "OBJECT_DOMAIN": ("domain", TYPE, "breaks casts and code that name it"),
}


class RenamingObject(Rule):
    """Renaming an index, sequence, function, type, enum value or constraint breaks code that
    names it.

    Why:
        A rename commits instantly, but the application version still running during the
        deploy keeps using the old name: `nextval('orders_id_seq')`, calls to a function,
        casts to a type, `ON CONFLICT ON CONSTRAINT`, enum labels it writes or compares. Those
        fail from the moment the rename commits. Renaming an enum value is the worst case:
        old code writing the old label gets `invalid input value for enum`. Objects that
        reference each other by OID (column defaults, indexes, triggers) keep working.

    Schema:
        ```sql
        CREATE TYPE order_status AS ENUM ('new', 'shipped');
        ```

    Example:
        ```sql
        ALTER TYPE order_status RENAME VALUE 'shipped' TO 'sent';
        ```

    Use instead:
        ```sql
        ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'sent';
        ```

    Notes:
        Tables and views (renaming-table), columns (renaming-column) and schemas
        (ban-drop-schema) have their own rules. Objects created earlier in the same file are
        not flagged: pgwarden knows indexes, sequences, materialized views and tables from the
        schema, and functions and types from the file's own CREATE statements. For an enum,
        add the new value, move code and rows to it, and stop using the old one.
    """

    code = "PW318"
    name = "renaming-object"
    kinds = frozenset({"RenameStmt", "AlterEnumStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "renaming-object"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        node = a.stmt.node
        if a.stmt.kind == "AlterEnumStmt":
            if node.oldVal and dotted(node.typeName) not in created_before(a, ctx, TYPE):
                yield self.finding(
                    a,
                    f"renaming value '{node.oldVal}' of enum {dotted(node.typeName)} to "
                    f"'{node.newVal}' breaks running code that writes or compares the old label",
                    "add the new value, move rows and code to it, and stop using the old one",
                )
            return
        found = _describe(node, a, ctx)
        if found is not None:
            yield self.finding(
                a,
                found,
                "create the new name alongside the old one (or keep the old name) until no "
                "running code uses it",
            )


def _describe(node: Any, a: Analysed, ctx: FileContext) -> str | None:
    rt = enum_name(node.renameType)
    new = node.newname
    if rt in _RELATIONS or rt in _ON_TABLE:
        lk = existing_lock(a)
        if lk is None:
            return None
        took = f" (takes {describe_lock(lk.mode)})"
        if rt in _RELATIONS:
            kind, breaks = _RELATIONS[rt]
            return f"renaming {kind} {lk.relation} to {new} {breaks}{took}"
        kind, breaks = _ON_TABLE[rt]
        return f"renaming {kind} {node.subname} of {lk.relation} to {new} {breaks}{took}"
    if rt == "OBJECT_ATTRIBUTE":
        typ = str(qname(node.relation))
        if typ in created_before(a, ctx, TYPE):
            return None
        return (
            f"renaming attribute {node.subname} of type {typ} to {new} breaks running code "
            "that reads it by the old name"
        )
    if rt in _NOT_TRACKED:
        kind, cls, breaks = _NOT_TRACKED[rt]
        obj = node.object
        base = dotted(obj.objname) if type(obj).__name__ == "ObjectWithArgs" else dotted(obj)
        if base in created_before(a, ctx, cls):
            return None
        return f"renaming {kind} {object_name(obj)} to {new} {breaks}"
    return None
