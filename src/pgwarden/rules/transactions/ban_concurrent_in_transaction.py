"""PW401 ban-concurrent-in-transaction."""

from __future__ import annotations

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class BanConcurrentInTransaction(Rule):
    """A statement that cannot run inside a transaction block is inside one: it fails at runtime.

    Why:
        CREATE INDEX CONCURRENTLY, DROP INDEX CONCURRENTLY, REINDEX CONCURRENTLY, DETACH
        PARTITION CONCURRENTLY, VACUUM and a few others manage their own transactions, so
        PostgreSQL refuses them inside BEGIN ... COMMIT (`ERROR: ... cannot run inside a
        transaction block`). The migration fails when it is deployed, not when it is written.
        The same happens when the migration runner wraps each file in a transaction.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        ```

    Example:
        ```sql
        BEGIN;
        CREATE INDEX CONCURRENTLY orders_customer_id_idx ON orders (customer_id);
        COMMIT;
        ```

    Use instead:
        ```sql
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
        ```

    Notes:
        With `--assume-in-transaction` (the runner wraps every file), a file made of that one
        statement alone is not reported: runners commonly run a lone statement outside a
        transaction, and squawk makes the same exception. Otherwise, move the statement to a
        migration the runner does not wrap (e.g. `disable_ddl_transaction!`, `atomic = False`).
    """

    code = "PW401"
    name = "ban-concurrent-in-transaction"
    category = "transactions"
    severity = Severity.ERROR
    since = "0.1.0"
    aliases = ("ban-concurrent-index-creation-in-transaction",)
    peers = {"squawk": "ban-concurrent-index-creation-in-transaction"}

    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:  # see unknown-statement
        if a.effect.transactional or not a.in_transaction:
            return []
        if a.explicit_block:
            where = "inside BEGIN ... COMMIT"
        elif len(ctx.session.statements) == 1:
            return []
        else:
            where = "in the transaction the runner wraps around the file (assume-in-transaction)"
        return [
            self.finding(
                a,
                f"{a.effect.kind} cannot run inside a transaction block, and this one runs "
                f"{where}: the migration fails when deployed",
                "run it outside any transaction: its own migration, with the runner's "
                "transaction turned off",
            )
        ]
