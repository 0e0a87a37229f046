"""PW112 lock-held-across-statements."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.catalog import QualifiedName
from pgwarden.locks.effects import RelationLock
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import (
    and_list,
    hurting,
    is_control,
    is_partition_copy,
    transactions,
)


class LockHeldAcrossStatements(Rule):
    """A statement runs while its transaction already holds a lock that blocks the application.

    Why:
        Locks are held until the transaction ends. Once a statement has taken a lock that
        blocks writes (or reads) on a table in use, every later statement in the same
        transaction extends the outage: the table stays blocked while they run, and while they
        wait for locks of their own. Commit right after the statement that takes the strong
        lock, or move it to the end of the transaction.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
        ```

    Example:
        ```sql
        BEGIN;
        ALTER TABLE orders ADD COLUMN status text;
        UPDATE orders SET status = 'new' WHERE id < 1000;
        COMMIT;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE orders ADD COLUMN IF NOT EXISTS status text;
        UPDATE orders SET status = 'new' WHERE id < 1000;
        ```

    Notes:
        A statement is reported when it prolongs the hold: it waits for a lock the transaction
        does not hold yet, reads or writes rows, or cannot be modelled. Quick changes to a table
        whose lock is already held (a second ADD COLUMN, a COMMENT), settings and transaction
        control are not reported, nor are locks on tables created in the same file. The finding
        names where the held lock was taken.
    """

    code = "PW112"
    name = "lock-held-across-statements"
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {"eugene": "E4"}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        for tx in transactions(ctx.session):
            taken: dict[QualifiedName, int] = {}  # relation -> line where the held mode was taken
            for a in tx:
                # _prolongs first: a transaction that drops views with CASCADE holds hundreds.
                if a.held_before and _prolongs(a):
                    held = [lk for lk in a.held_before.values() if hurting(lk)]
                    if held:
                        yield self._report(a.line, a.column, held, taken)
                for lk in a.effect.locks:
                    prev = a.held_before.get(lk.relation)
                    if prev is None or lk.mode > prev.mode:
                        taken[lk.relation] = a.stmt.line  # (a.line: a property call)

    def _report(
        self, line: int, col: int, held: list[RelationLock], taken: dict[QualifiedName, int]
    ) -> Finding:
        # Partitions locked through their parent, and indexes, are named through their table.
        held = [lk for lk in held if not is_partition_copy(lk) and lk.relkind != "index"] or held
        held.sort(key=lambda lk: (-lk.mode, str(lk.relation)))
        parts = [
            f"{describe_lock(lk.mode)} on {lk.relation}"
            + (f" (taken at line {taken[lk.relation]})" if lk.relation in taken else "")
            for lk in held[:3]
        ]
        if len(held) > 3:
            parts.append(f"{len(held) - 3} more")
        return self.finding(
            (line, col),
            f"runs while this transaction holds {and_list(parts)}: the application stays "
            "blocked until the transaction commits",
            "commit right after the statement that takes the lock (or run this statement "
            "before it)",
        )


def _prolongs(a: Analysed) -> bool:
    """Whether the statement keeps the held locks for more than an instant: it waits for a lock
    the transaction does not hold yet, works through rows, or cannot be modelled."""
    if is_control(a):
        return False
    if a.effect.unknown or a.effect.find("dml"):
        return True
    for lk in a.effect.locks:
        if lk.new:
            continue
        held = a.held_before.get(lk.relation)
        if held is None or held.mode < lk.mode:
            return True
    new = {lk.relation for lk in a.effect.locks if lk.new}
    work = (*a.effect.scans, *a.effect.rewrites, *a.effect.index_rebuilds)
    return any(r not in new for r in work)
