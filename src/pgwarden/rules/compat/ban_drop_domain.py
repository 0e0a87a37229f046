"""PW313 ban-drop-domain."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.compat._objects import drop_type_findings
from pgwarden.sql.nodes import enum_name


class BanDropDomain(Rule):
    """Dropping a domain breaks the code that uses it; with CASCADE it drops columns too.

    Why:
        A domain is a type: queries and functions that cast to it fail once the drop commits.
        Without CASCADE the drop fails while a column still uses the domain; with CASCADE,
        PostgreSQL drops those columns and their data.

    Schema:
        ```sql
        CREATE DOMAIN email_address AS text CHECK (VALUE LIKE '%@%');
        ```

    Example:
        ```sql
        DROP DOMAIN email_address CASCADE;
        ```

    Use instead:
        ```sql
        COMMENT ON DOMAIN email_address IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        A domain created earlier in the same file is not flagged; pgwarden does not track which
        columns use a domain. To keep a column but lose the domain's checks, change the
        column's type to the base type (binary compatible, no rewrite) before dropping it.
    """

    code = "PW313"
    name = "ban-drop-domain"
    kinds = frozenset({"DropStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-domain"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        if enum_name(a.stmt.node.removeType) != "OBJECT_DOMAIN":
            return
        yield from drop_type_findings(self, a, ctx, "domain")
