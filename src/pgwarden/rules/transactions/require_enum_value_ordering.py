"""PW406 require-enum-value-ordering."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import list_qname


class RequireEnumValueOrdering(Rule):
    """ALTER TYPE ... ADD VALUE without BEFORE or AFTER appends the value at the end.

    Why:
        Enum values sort in declaration order, not alphabetically: `ORDER BY status` and
        comparisons such as `status < 'shipped'` follow it. A value added without BEFORE or
        AFTER goes last, which is right only if it is the latest state. Saying where it goes
        documents the intent and keeps the order stable across environments.

    Schema:
        ```sql
        CREATE TYPE order_status AS ENUM ('new', 'shipped');
        ```

    Example:
        ```sql
        ALTER TYPE order_status ADD VALUE 'paid';
        ```

    Use instead:
        ```sql
        ALTER TYPE order_status ADD VALUE 'paid' AFTER 'new';
        ```

    Notes:
        Opt-in: many enums are unordered labels, for which appending is fine.
    """

    code = "PW406"
    name = "require-enum-value-ordering"
    causes = ("enum-add-value:unordered",)
    category = "transactions"
    severity = Severity.INFO
    since = "0.1.0"
    opt_in = True
    peers = {"squawk": "require-enum-value-ordering"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("enum-add-value:unordered"):
            enum = list_qname(a.stmt.node.typeName)
            yield self.finding(
                a,
                f"'{cause.detail}' is appended after the last value of enum {enum}: sorting and "
                "comparisons follow declaration order",
                f"say where it belongs: ADD VALUE '{cause.detail}' BEFORE/AFTER 'existing value'",
            )
