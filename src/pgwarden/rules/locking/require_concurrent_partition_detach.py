"""PW104 require-concurrent-partition-detach."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import and_list, hurting, lock_on

# The lock model's cause for a table whose foreign key's copy for the partition is dropped.
_REFERENCING = "foreign-key-copy-dropped"


class RequireConcurrentPartitionDetach(Rule):
    """DETACH PARTITION without CONCURRENTLY locks the whole partitioned table ACCESS EXCLUSIVE.

    Why:
        A plain DETACH PARTITION takes ACCESS EXCLUSIVE on the parent: every query on any
        partition waits while it waits for running transactions. Since PostgreSQL 14,
        DETACH PARTITION ... CONCURRENTLY takes only SHARE UPDATE EXCLUSIVE on the parent and
        finishes in two transactions without blocking the application.

    Schema:
        ```sql
        CREATE TABLE measurements (taken_on date NOT NULL, value numeric)
            PARTITION BY RANGE (taken_on);
        CREATE TABLE measurements_2023 PARTITION OF measurements
            FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
        ```

    Example:
        ```sql
        ALTER TABLE measurements DETACH PARTITION measurements_2023;
        ```

    Use instead:
        ```sql
        ALTER TABLE measurements DETACH PARTITION measurements_2023 CONCURRENTLY;
        ```

    Notes:
        Not reported before PostgreSQL 14, which has no concurrent form. CONCURRENTLY cannot
        run inside a transaction block, nor when the table has a default partition; if it is
        interrupted, finish it with `ALTER TABLE ... DETACH PARTITION ... FINALIZE`. Tables
        whose foreign keys reference the partitioned table are locked ACCESS EXCLUSIVE by the
        detach, CONCURRENTLY too (in its second transaction, and by FINALIZE): queries on them
        wait briefly as well.
    """

    code = "PW104"
    name = "require-concurrent-partition-detach"
    causes = ("detach-partition",)
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {"squawk": "require-concurrent-partition-detach"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if ctx.version < 14:
            return
        referencing = list(dict.fromkeys(str(c.relation) for c in a.effect.find(_REFERENCING)))
        also = f", and on {and_list(referencing)} (foreign keys to it)" if referencing else ""
        for cause in a.effect.find("detach-partition"):
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            yield self.finding(
                a,
                f"DETACH PARTITION takes {describe_lock(lk.mode)} on {lk.relation}{also}: every "
                f"query through the partitioned table waits while {cause.detail} is detached",
                "use ALTER TABLE ... DETACH PARTITION ... CONCURRENTLY (outside a transaction "
                "block)",
            )
