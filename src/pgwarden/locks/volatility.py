"""Is a column default evaluated once (no rewrite) or per row (rewrite)?

Since PostgreSQL 11, ADD COLUMN with a non-volatile default stores the value in the catalog
instead of rewriting the table (docs: ALTER TABLE, "Notes"). Volatile functions such as
random(), clock_timestamp() or gen_random_uuid() are evaluated per row and force a rewrite;
now()/CURRENT_TIMESTAMP are STABLE and evaluated once.
"""

from __future__ import annotations

from typing import Any

VOLATILE = frozenset(
    {
        "random",
        "random_normal",
        "clock_timestamp",
        "timeofday",
        "gen_random_uuid",
        "uuidv4",
        "uuidv7",
        "uuid_generate_v1",
        "uuid_generate_v1mc",
        "uuid_generate_v4",
        "nextval",
        "setval",
        "txid_current",
        "pg_current_xact_id",
        "gen_random_bytes",
        "random_string",
    }
)
# Built-ins known to be IMMUTABLE or STABLE: evaluated once for ADD COLUMN.
NON_VOLATILE = frozenset(
    {
        "now",
        "current_timestamp",
        "transaction_timestamp",
        "statement_timestamp",
        "current_date",
        "localtimestamp",
        "lower",
        "upper",
        "coalesce",
        "concat",
        "to_jsonb",
        "jsonb_build_object",
        "json_build_object",
        "jsonb_build_array",
        "array",
        "make_interval",
        "interval",
        "to_timestamp",
        "md5",
        "length",
        "abs",
        "round",
        "greatest",
        "least",
        "timezone",
        "current_setting",
        "format",
        "replace",
        "substring",
        "trim",
        "date_trunc",
    }
)


def default_volatility(expr: Any) -> tuple[str, str]:
    """('volatile'|'unknown'|'stable', function name) for a default expression."""
    from pglast import ast

    worst = ("stable", "")
    stack: list[Any] = [expr]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple | list):
            stack.extend(cur)
            continue
        if not isinstance(cur, ast.Node):
            continue
        if isinstance(cur, ast.FuncCall):
            name = cur.funcname[-1].sval.lower() if cur.funcname else ""
            if name in VOLATILE:
                return ("volatile", name)
            if name not in NON_VOLATILE and worst[0] == "stable":
                worst = ("unknown", name)
        if isinstance(cur, ast.SubLink):
            worst = ("unknown", "subquery")
        for attr in getattr(cur, "__slots__", ()):
            child = getattr(cur, attr, None)
            if isinstance(child, ast.Node | tuple | list):
                stack.append(child)
    return worst
