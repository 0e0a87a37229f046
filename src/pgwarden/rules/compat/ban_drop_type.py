"""PW311 ban-drop-type."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.compat._objects import drop_type_findings
from pgwarden.sql.nodes import enum_name


class BanDropType(Rule):
    """Dropping a type breaks the code that uses it; with CASCADE it drops columns too.

    Why:
        Queries and functions of the running application that cast to the type or take it as
        an argument fail once the drop commits. Without CASCADE the drop fails while any
        column still has the type; with CASCADE, PostgreSQL drops those columns and their data
        (and the functions that use the type) without saying which.

    Schema:
        ```sql
        CREATE TYPE order_status AS ENUM ('new', 'shipped');
        ```

    Example:
        ```sql
        DROP TYPE order_status CASCADE;
        ```

    Use instead:
        ```sql
        COMMENT ON TYPE order_status IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        A type created earlier in the same file is not flagged; pgwarden does not track which
        columns use a type. Move columns and code off the type first, then drop it with
        `-- pgwarden: ignore[ban-drop-type]`. Domains have their own rule, ban-drop-domain.
    """

    code = "PW311"
    name = "ban-drop-type"
    kinds = frozenset({"DropStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-type"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        if enum_name(a.stmt.node.removeType) != "OBJECT_TYPE":
            return
        yield from drop_type_findings(self, a, ctx, "type")
