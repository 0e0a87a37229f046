"""PW312 ban-drop-sequence."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.compat._objects import is_cascade


class BanDropSequence(Rule):
    """Dropping a sequence breaks the inserts and code that draw values from it.

    Why:
        A sequence usually sits behind a column default (`serial`, `DEFAULT nextval(...)`).
        Without CASCADE the drop fails while a default uses it; with CASCADE, PostgreSQL drops
        the default, and from then on every insert that leaves the column out stores NULL or
        fails on NOT NULL. Code that calls `nextval('orders_id_seq')` itself fails at once.

    Schema:
        ```sql
        CREATE SEQUENCE invoice_numbers;
        ```

    Example:
        ```sql
        DROP SEQUENCE invoice_numbers;
        ```

    Use instead:
        ```sql
        COMMENT ON SEQUENCE invoice_numbers IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        A sequence created earlier in the same file is not flagged. Drop a column's default
        (and stop calling `nextval`) in a release first, then drop the sequence with
        `-- pgwarden: ignore[ban-drop-sequence]`.
    """

    code = "PW312"
    name = "ban-drop-sequence"
    causes = ("compat:drop-sequence",)
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-sequence"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        cascade = is_cascade(a.stmt.node)
        for _cause, lk in on_existing(a, "compat:drop-sequence"):
            effect = (
                "drops the column defaults that use it (CASCADE): inserts that rely on them break"
                if cascade
                else "breaks running code that draws values from it"
            )
            yield self.finding(
                a,
                f"dropping sequence {lk.relation} {effect}",
                "drop the column default and stop calling nextval() in a release first, then "
                "drop the sequence",
            )
