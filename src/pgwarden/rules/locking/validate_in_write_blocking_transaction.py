"""PW117 validate-in-write-blocking-transaction."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import and_list, hurting


class ValidateInWriteBlockingTransaction(Rule):
    """VALIDATE CONSTRAINT runs while the transaction already blocks writes to the table.

    Why:
        The point of NOT VALID is that VALIDATE CONSTRAINT scans the table under SHARE UPDATE
        EXCLUSIVE, which lets the application keep reading and writing. If the same transaction
        already holds a stronger lock on the table (or on the table a foreign key references),
        usually taken by the ADD CONSTRAINT ... NOT VALID just before it, that lock stays held
        for the whole validation scan, and the application is blocked exactly as if NOT VALID
        had not been used.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
        ```

    Example:
        ```sql
        BEGIN;
        SET LOCAL lock_timeout = '2s';
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
        COMMIT;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
        ```

    Notes:
        Also reported when VALIDATE CONSTRAINT shares an ALTER TABLE with a subcommand that
        takes a stronger lock. With `--assume-in-transaction`, put the VALIDATE in a migration
        of its own.
    """

    code = "PW117"
    name = "validate-in-write-blocking-transaction"
    causes = ("validate",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {"strong_migrations": "validate_check_constraint, validate_foreign_key"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        validated = [c.detail for c in a.effect.causes if c.code == "validate"]
        if not validated:
            return
        blocked = []
        for lk in a.effect.locks:
            held = a.held_before.get(lk.relation)
            if held is not None and hurting(held):
                blocked.append(f"{describe_lock(held.mode)} on {held.relation}")
            elif hurting(lk):
                blocked.append(f"{describe_lock(lk.mode)} on {lk.relation}")
        if not blocked:
            return
        yield self.finding(
            a,
            f"VALIDATE CONSTRAINT {', '.join(filter(None, validated))} scans while the "
            f"transaction holds "
            f"{and_list(blocked)}: the application is blocked for the whole validation",
            "validate in a separate transaction, after the one that added the constraint commits",
        )
