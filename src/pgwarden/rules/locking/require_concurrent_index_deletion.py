"""PW102 require-concurrent-index-deletion."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class RequireConcurrentIndexDeletion(Rule):
    """DROP INDEX without CONCURRENTLY takes ACCESS EXCLUSIVE on the index's table.

    Why:
        A plain DROP INDEX locks the table ACCESS EXCLUSIVE: while it waits for running
        queries to finish, every new read and write on the table queues behind it. DROP INDEX
        CONCURRENTLY takes SHARE UPDATE EXCLUSIVE instead and waits for conflicting
        transactions without blocking the application.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        CREATE INDEX orders_customer_id_idx ON orders (customer_id);
        ```

    Example:
        ```sql
        DROP INDEX orders_customer_id_idx;
        ```

    Use instead:
        ```sql
        DROP INDEX CONCURRENTLY IF EXISTS orders_customer_id_idx;
        ```

    Notes:
        CONCURRENTLY cannot run inside a transaction block, drops one index per statement, and
        cannot drop the index of a partitioned table (drop it on each partition, then on the
        parent). An index pgwarden does not know is assumed to belong to an existing table.
        Indexes on tables created in the same file are not flagged.
    """

    code = "PW102"
    name = "require-concurrent-index-deletion"
    causes = ("drop-index",)
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {
        "squawk": "require-concurrent-index-deletion",
        "strong_migrations": "remove_index",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("drop-index"):
            # The cause names the index's table, or the index itself when its table is unknown.
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            where = (
                f"on index {lk.relation} and its table"
                if lk.relkind == "index"
                else f"on {lk.relation} (dropping {cause.detail})"
            )
            yield self.finding(
                a,
                f"DROP INDEX takes {describe_lock(lk.mode)} {where}: queries queue behind it "
                "while it waits for running transactions",
                "use DROP INDEX CONCURRENTLY IF EXISTS (outside a transaction block)",
            )
