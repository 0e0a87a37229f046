"""PW103 require-concurrent-reindex."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on

_HELP = "use REINDEX ... CONCURRENTLY (PostgreSQL 12+, outside a transaction block)"


class RequireConcurrentReindex(Rule):
    """REINDEX without CONCURRENTLY blocks writes to the table while every index is rebuilt.

    Why:
        A plain REINDEX locks the table SHARE (no INSERT, UPDATE or DELETE) and each index
        ACCESS EXCLUSIVE (queries that would use it wait too) for the whole rebuild.
        REINDEX CONCURRENTLY builds a new copy of each index under SHARE UPDATE EXCLUSIVE and
        swaps it in, so the application keeps reading and writing.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        CREATE INDEX orders_customer_id_idx ON orders (customer_id);
        ```

    Example:
        ```sql
        REINDEX INDEX orders_customer_id_idx;
        ```

    Use instead:
        ```sql
        REINDEX INDEX CONCURRENTLY orders_customer_id_idx;
        ```

    Notes:
        REINDEX CONCURRENTLY cannot run inside a transaction block or on system catalogs. If it
        fails it leaves an invalid `_ccnew` index behind that must be dropped. REINDEX SCHEMA,
        DATABASE and SYSTEM without CONCURRENTLY lock every table in turn and are flagged too.
    """

    code = "PW103"
    name = "require-concurrent-reindex"
    causes = ("reindex:blocking",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {"squawk": "require-concurrent-reindex"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("reindex:blocking"):
            if cause.relation is None and not a.effect.locks:
                scope = cause.detail or "schema"
                yield self.finding(
                    a,
                    f"REINDEX {scope.upper()} rebuilds every index in the {scope}, locking each "
                    "table against writes while its indexes are rebuilt",
                    _HELP,
                )
                continue
            table = lock_on(a, cause.relation) if cause.relation is not None else None
            locks = [table] if table is not None else list(a.effect.locks)
            hurt = [lk for lk in locks if hurting(lk)]
            if not hurt:
                continue
            lk = hurt[0]
            what = "index" if lk.relkind == "index" else "table"
            also = (
                " (and ACCESS EXCLUSIVE on each index: queries that use it wait too)"
                if what == "table" and any(x.relkind == "index" for x in a.effect.locks)
                else ""
            )
            yield self.finding(
                a,
                f"REINDEX takes {describe_lock(lk.mode)} on {what} {lk.relation}{also} while it "
                f"rebuilds {cause.detail or 'its indexes'}",
                _HELP,
            )
