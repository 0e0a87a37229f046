"""PW603 require-table-schema."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import DEFAULT_SCHEMA, cte_names, enum_name, range_vars

# DROP kinds whose objects are relations named by (schema, name) lists.
_DROP_RELATIONS = frozenset(
    {"OBJECT_TABLE", "OBJECT_VIEW", "OBJECT_MATVIEW", "OBJECT_SEQUENCE", "OBJECT_FOREIGN_TABLE"}
)


class RequireTableSchema(Rule):
    """A table named without its schema resolves through `search_path` at run time.

    Why:
        `orders` means whichever `orders` comes first in the session's `search_path`. A
        migration run by a different role, through a connection pooler, or after someone sets
        `search_path` for a tenant schema can create or alter a table in the wrong schema, or
        fail to find it. Qualified names (`public.orders`) mean the same thing everywhere.
        Off by default; enable it with `extend-select = ["require-table-schema"]`.

    Example:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY);
        ```

    Use instead:
        ```sql
        CREATE TABLE public.orders (id bigint PRIMARY KEY);
        ```

    Notes:
        Temporary tables and CTE names are not flagged; index names need no schema (an index
        lives in its table's schema).
    """

    code = "PW603"
    name = "require-table-schema"
    category = "hygiene"
    severity = Severity.WARNING
    opt_in = True
    peers = {"squawk": "require-table-schema"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        node = a.stmt.node
        names: list[str] = []
        if a.stmt.kind == "DropStmt" and enum_name(node.removeType) in _DROP_RELATIONS:
            for obj in node.objects or ():
                parts = [getattr(s, "sval", None) for s in obj]
                if len(parts) == 1 and isinstance(parts[0], str):
                    names.append(parts[0])
        else:
            ctes: set[str] | None = None
            for rv in range_vars(node):
                if rv.schemaname is not None or rv.relpersistence == "t":
                    continue
                if ctes is None:
                    ctes = cte_names(node)
                if rv.relname not in ctes:
                    names.append(rv.relname)
        for name in dict.fromkeys(names):
            yield self.finding(
                a,
                f"{name} is not schema-qualified: it resolves through search_path when the "
                f"migration runs (pgwarden assumes {DEFAULT_SCHEMA}.{name})",
                f"write {DEFAULT_SCHEMA}.{name} (or the schema you mean)",
            )
