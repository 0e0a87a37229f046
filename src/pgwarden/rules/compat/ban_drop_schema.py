"""PW308 ban-drop-schema."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class BanDropSchema(Rule):
    """Dropping or renaming a schema breaks every query that names it.

    Why:
        Everything in the schema (tables, views, functions, types) disappears or changes its
        qualified name at once: running code that uses any of it fails as soon as the
        statement commits. DROP SCHEMA ... CASCADE also deletes every table in it, taking
        ACCESS EXCLUSIVE on each.

    Example:
        ```sql
        DROP SCHEMA reporting CASCADE;
        ```

    Use instead:
        ```sql
        COMMENT ON SCHEMA reporting IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        Move code off the schema first, then drop it with `-- pgwarden: ignore[ban-drop-schema]`.
        A schema created earlier in the same file is not flagged.
    """

    code = "PW308"
    name = "ban-drop-schema"
    causes = ("compat:drop-schema", "compat:rename-schema")
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-schema", "strong_migrations": "rename_schema"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        causes = a.effect.find("compat:drop-schema") + a.effect.find("compat:rename-schema")
        if not causes:
            return
        created = _schemas_created_before(a, ctx)
        for cause in causes:
            schema = cause.relation.schema if cause.relation else "?"
            if schema in created:
                continue
            if cause.code == "compat:drop-schema":
                tables = sum(1 for lk in a.effect.existing_locks() if lk.relation.schema == schema)
                also = (
                    f" and its {tables} known table{'s' if tables != 1 else ''}" if tables else ""
                )
                message = f"dropping schema {schema}{also} breaks running code that uses it"
            else:
                message = (
                    f"renaming schema {schema} to {cause.detail} breaks running code that "
                    "uses the old name"
                )
            yield self.finding(
                a,
                message,
                "move the application off the schema first, then change it in a later release",
            )


def _schemas_created_before(a: Analysed, ctx: FileContext) -> set[str]:
    out: set[str] = set()
    for st in ctx.parsed.statements:
        if st.index >= a.stmt.index:
            break
        if st.kind == "CreateSchemaStmt" and st.node.schemaname:
            out.add(st.node.schemaname)
    return out
