"""PW101 require-concurrent-index-creation."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.modes import LockMode
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class RequireConcurrentIndexCreation(Rule):
    """CREATE INDEX on an existing table without CONCURRENTLY blocks writes for the whole build.

    Why:
        A plain CREATE INDEX holds a SHARE lock on the table until it has read every row and
        written the index: INSERT, UPDATE and DELETE wait for the whole build, which takes
        minutes on a large table. CREATE INDEX CONCURRENTLY takes SHARE UPDATE EXCLUSIVE
        instead, so the application keeps writing while the index builds.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        ```

    Example:
        ```sql
        CREATE INDEX orders_customer_id_idx ON orders (customer_id);
        ```

    Use instead:
        ```sql
        CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx ON orders (customer_id);
        ```

    Notes:
        CONCURRENTLY cannot run inside a transaction block; a failed build leaves an INVALID
        index that must be dropped before retrying (pgwarden's runner does this). An index on a
        table created in the same file is not flagged: nobody uses that table yet.
    """

    code = "PW101"
    name = "require-concurrent-index-creation"
    causes = ("index-build",)
    category = "locking"
    severity = Severity.ERROR
    peers = {
        "squawk": "require-concurrent-index-creation",
        "eugene": "E6",
        "strong_migrations": "add_index",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("index-build"):
            if cause.code != "index-build" or cause.relation is None:
                continue
            lk = next((x for x in a.effect.existing_locks() if x.relation == cause.relation), None)
            if lk is None or lk.mode < LockMode.ShareLock:
                continue
            yield self.finding(
                a,
                f"CREATE INDEX takes {describe_lock(lk.mode)} on {lk.relation} "
                "while the index builds",
                "use CREATE INDEX CONCURRENTLY (outside a transaction block)",
            )
