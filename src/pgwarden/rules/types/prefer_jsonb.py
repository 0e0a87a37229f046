"""PW507 prefer-jsonb."""

from __future__ import annotations

from pgwarden.rules.base import Severity
from pgwarden.rules.types._columns import ColumnType, ColumnTypeRule


class PreferJsonb(ColumnTypeRule):
    """A `json` column has no equality operator and is re-parsed on every access.

    Why:
        `json` stores the input text verbatim: every operator re-parses it, it cannot be
        indexed with GIN, and it has no equality operator, so `SELECT DISTINCT`, `UNION`,
        `GROUP BY` and some ORMs' change tracking fail on tables with a `json` column. `jsonb`
        stores a parsed binary form with all of those.

    Example:
        ```sql
        CREATE TABLE webhooks (id bigint PRIMARY KEY, body json NOT NULL);
        ```

    Use instead:
        ```sql
        CREATE TABLE webhooks (id bigint PRIMARY KEY, body jsonb NOT NULL);
        ```

    Notes:
        Keep `json` only when the exact input text (key order, duplicate keys, whitespace)
        must be preserved.
    """

    code = "PW507"
    name = "prefer-jsonb"
    category = "types"
    severity = Severity.WARNING
    peers = {"eugene": "E3", "strong_migrations": "add_column_json"}

    type_names = frozenset({"json"})

    def matches(self, ct: ColumnType) -> bool:
        return ct.type_name == "json"

    def problem(self, ct: ColumnType) -> str:
        return "json has no equality operator (DISTINCT, UNION, GROUP BY fail) and no GIN index"

    def advice(self, ct: ColumnType) -> str:
        return "use jsonb"
