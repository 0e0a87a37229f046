"""PW107 adding-foreign-key-constraint."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.catalog import QualifiedName
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class AddingForeignKeyConstraint(Rule):
    """A validated FOREIGN KEY on an existing table blocks writes to both tables during its scan.

    Why:
        Adding a foreign key locks the referencing table and the referenced table SHARE ROW
        EXCLUSIVE. Without NOT VALID, both stay locked while every existing row of the
        referencing table is looked up in the referenced one: writes to both tables wait, and
        the referenced table (often `users` or `accounts`) is usually the busiest in the
        schema. With NOT VALID both locks last only an instant; VALIDATE CONSTRAINT then takes
        SHARE UPDATE EXCLUSIVE and ROW SHARE, which block neither reads nor writes.

    Schema:
        ```sql
        CREATE TABLE customers (id bigint PRIMARY KEY);
        CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);
        ```

    Example:
        ```sql
        ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
            FOREIGN KEY (customer_id) REFERENCES customers (id);
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE orders ADD CONSTRAINT orders_customer_id_fkey
            FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_id_fkey;
        ```

    Notes:
        Even NOT VALID needs both locks for a moment, so it waits behind long transactions on
        either table: keep a lock_timeout. A foreign key added to a table created in the same
        file is not flagged: it has no rows to check.
    """

    code = "PW107"
    name = "adding-foreign-key-constraint"
    causes = ("validate:foreign-key",)
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {
        "squawk": "adding-foreign-key-constraint",
        "eugene": "E1",
        "strong_migrations": "add_foreign_key",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("validate:foreign-key"):
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            ref = next((r for r in a.effect.locks if str(r.relation) == cause.detail), None)
            ref_name: QualifiedName | str = ref.relation if ref else cause.detail
            if ref is None or ref.relation == lk.relation:
                locked = f"{describe_lock(lk.mode)} on {lk.relation}"
            elif ref.mode == lk.mode:
                locked = f"{describe_lock(lk.mode)} on both {lk.relation} and {ref_name}"
            else:
                locked = (
                    f"{describe_lock(lk.mode)} on {lk.relation} and "
                    f"{describe_lock(ref.mode)} on {ref_name}"
                )
            yield self.finding(
                a,
                f"FOREIGN KEY to {ref_name} takes {locked} until every row of {lk.relation} "
                "has been checked",
                "add it NOT VALID (both locks last an instant), then VALIDATE CONSTRAINT in a "
                "separate transaction",
            )
