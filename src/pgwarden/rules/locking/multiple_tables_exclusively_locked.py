"""PW113 multiple-tables-exclusively-locked."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.catalog import QualifiedName
from pgwarden.locks.effects import RelationLock
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import and_list, hurting, is_partition_copy, transactions


class MultipleTablesExclusivelyLocked(Rule):
    """One transaction ends up blocking the application on more than one existing table.

    Why:
        Each write-blocking lock is held until the transaction ends, so a transaction that
        takes them on several tables, one statement after another, blocks all of them at once
        for its whole length: a wider outage than one table at a time. Taking strong locks in
        sequence is also how deadlocks start, when application transactions lock the same
        tables in the opposite order. Put each table's change in its own transaction.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY);
        CREATE TABLE invoices (id bigint PRIMARY KEY);
        ```

    Example:
        ```sql
        BEGIN;
        ALTER TABLE orders ADD COLUMN note text;
        ALTER TABLE invoices ADD COLUMN note text;
        COMMIT;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;
        ALTER TABLE invoices ADD COLUMN IF NOT EXISTS note text;
        ```

    Notes:
        Only locks taken by different statements count: one statement that locks two tables
        (a foreign key, DROP TABLE ... CASCADE) is left to the rules about that statement.
        Partitions locked through their parent count as the parent; indexes and tables created
        in the same file are ignored.
    """

    code = "PW113"
    name = "multiple-tables-exclusively-locked"
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        for tx in transactions(ctx.session):
            locked: dict[QualifiedName, RelationLock] = {}
            takers: set[int] = set()  # statement indexes that took one of the locks
            for a in tx:
                for lk in a.effect.locks:
                    if not hurting(lk) or lk.relkind == "index" or is_partition_copy(lk):
                        continue
                    prev = locked.get(lk.relation)
                    if prev is None:
                        takers.add(a.stmt.index)
                    if prev is None or lk.mode > prev.mode:
                        locked[lk.relation] = lk
                if len(locked) > 1 and len(takers) > 1:
                    parts = [f"{describe_lock(lk.mode)} on {n}" for n, lk in locked.items()]
                    yield self.finding(
                        a,
                        f"this transaction now holds {and_list(parts)} until it commits: all "
                        "of them stay blocked together, and locking tables one after another "
                        "invites deadlocks",
                        "give each table's change its own transaction",
                    )
                    break
