"""PW106 constraint-missing-not-valid."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class ConstraintMissingNotValid(Rule):
    """A CHECK or FOREIGN KEY added to an existing table checks every row while holding its lock.

    Why:
        Adding a CHECK constraint takes ACCESS EXCLUSIVE (no reads, no writes), adding a
        foreign key SHARE ROW EXCLUSIVE (no writes) on both tables, and both hold that lock
        while every existing row is checked. With NOT VALID the constraint is added without
        the check (it still applies to new rows), and `VALIDATE CONSTRAINT` later checks the
        old rows under SHARE UPDATE EXCLUSIVE, which lets the application read and write.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, total numeric);
        ```

    Example:
        ```sql
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0);
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE orders ADD CONSTRAINT orders_total_check CHECK (total >= 0) NOT VALID;
        ALTER TABLE orders VALIDATE CONSTRAINT orders_total_check;
        ```

    Notes:
        Run VALIDATE CONSTRAINT in a separate transaction: in the same one, the lock taken by
        ADD CONSTRAINT is still held and the validation blocks the application anyway
        (validate-in-write-blocking-transaction). A column constraint (`ADD COLUMN ... CHECK`
        or `REFERENCES`) cannot be NOT VALID: add the column, then the constraint. Tables
        created in the same file are not flagged.
    """

    code = "PW106"
    name = "constraint-missing-not-valid"
    causes = ("validate",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {
        "squawk": "constraint-missing-not-valid",
        "eugene": "E1",
        "strong_migrations": "add_check_constraint",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("validate"):
            if cause.code not in ("validate:check", "validate:foreign-key"):
                continue
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            if cause.code == "validate:check":
                what, kw, also = "CHECK constraint", "CHECK", ""
            else:
                what, kw, also = "FOREIGN KEY", "FOREIGN KEY", f" and on {cause.detail}"
            if cause.column is not None:
                yield self.finding(
                    a,
                    f"ADD COLUMN {cause.column} with a {what} takes {describe_lock(lk.mode)} on "
                    f"{lk.relation}{also} and checks every existing row while holding it",
                    f"add the column first, then ADD CONSTRAINT ... {kw} ... "
                    "NOT VALID and VALIDATE CONSTRAINT in a separate transaction",
                )
                continue
            yield self.finding(
                a,
                f"adding a {what} takes {describe_lock(lk.mode)} on {lk.relation}{also} and "
                "checks every existing row while holding it",
                "add it NOT VALID, then VALIDATE CONSTRAINT in a separate transaction",
            )
