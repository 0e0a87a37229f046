"""PW319 ban-set-schema."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.compat._objects import (
    EXTENSION,
    FUNCTION,
    TYPE,
    base_name,
    created_before,
    existing_lock,
    object_name,
)
from pgwarden.sql.nodes import enum_name

_UNTRACKED = {
    "OBJECT_FUNCTION": FUNCTION,
    "OBJECT_PROCEDURE": FUNCTION,
    "OBJECT_ROUTINE": FUNCTION,
    "OBJECT_AGGREGATE": FUNCTION,
    "OBJECT_TYPE": TYPE,
    "OBJECT_DOMAIN": TYPE,
    "OBJECT_EXTENSION": EXTENSION,
}


class BanSetSchema(Rule):
    """Moving a table, function or type to another schema breaks code that finds it by name.

    Why:
        `SET SCHEMA` changes the object's qualified name at once. Running code that names it
        with the old schema fails, and so does unqualified code when the new schema is not on
        its `search_path`: `relation "orders" does not exist`. Moving a table also moves its
        indexes and owned sequences and takes ACCESS EXCLUSIVE on it. Moving an extension
        moves all its functions and types.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users SET SCHEMA archive;
        ```

    Use instead:
        ```sql
        CREATE SCHEMA IF NOT EXISTS archive;
        CREATE VIEW archive.users AS SELECT * FROM public.users;
        ```

    Notes:
        A view in the new schema lets code move first; move the table in a later release.
        Objects created earlier in the same file are not flagged: tables, views and sequences
        from the schema pgwarden knows, functions, types and extensions from the file's own
        CREATE statements.
    """

    code = "PW319"
    name = "ban-set-schema"
    kinds = frozenset({"AlterObjectSchemaStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-set-schema"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        node = a.stmt.node
        ot = enum_name(node.objectType)
        kind = ot.removeprefix("OBJECT_").lower().replace("_", " ")
        if node.relation is not None:
            lk = existing_lock(a)
            if lk is None:
                return
            what = f"moving {lk.relation} to schema {node.newschema}"
            took = f" (takes {describe_lock(lk.mode)})"
        else:
            cls = _UNTRACKED.get(ot)
            if cls is not None and base_name(node.object) in created_before(a, ctx, cls):
                return
            what = f"moving {kind} {object_name(node.object)} to schema {node.newschema}"
            took = ""
        yield self.finding(
            a,
            f"{what} breaks running code that names it by its old schema or does not have "
            f"{node.newschema} on its search_path{took}",
            "make the object reachable under both names first (a view, a wrapper function), "
            "then move it in a later release",
        )
