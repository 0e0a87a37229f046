"""PW309 ban-drop-view."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.compat._objects import RELATION, created_later_in_transaction


class BanDropView(Rule):
    """Dropping an existing view or materialized view breaks the queries that read it.

    Why:
        Application code, reports and other views that select from the view fail with
        `relation does not exist` from the moment the drop commits. Dropping a materialized
        view also throws away its contents: recreating it means running its query again in
        full. The drop takes ACCESS EXCLUSIVE on the view, so it also waits for every running
        query on it and blocks the ones that arrive meanwhile.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
        CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 1000;
        ```

    Example:
        ```sql
        DROP VIEW big_orders;
        ```

    Use instead:
        ```sql
        BEGIN;
        DROP VIEW big_orders;
        CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 1000;
        COMMIT;
        ```

    Notes:
        A view dropped and created again under the same name in the same transaction is not
        flagged (other sessions never see it missing; `CREATE OR REPLACE VIEW` is simpler when
        only columns are added). A view created earlier in the same file is not flagged.
        Otherwise stop using the view in a release first, then drop it with
        `-- pgwarden: ignore[ban-drop-view]`.
    """

    code = "PW309"
    name = "ban-drop-view"
    causes = ("compat:drop-view", "compat:drop-matview")
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-view"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        recreated: set[str] | None = None
        for prefix, what in (
            ("compat:drop-view", "view"),
            ("compat:drop-matview", "materialized view"),
        ):
            for _cause, lk in on_existing(a, prefix):
                if recreated is None:
                    recreated = created_later_in_transaction(a, ctx, RELATION)
                if str(lk.relation) in recreated:
                    continue
                yield self.finding(
                    a,
                    f"dropping {what} {lk.relation} breaks running code and views that read it "
                    f"(takes {describe_lock(lk.mode)})",
                    "move readers off the view in a release first, then drop it in a later "
                    "migration (or recreate it in the same transaction)",
                )
