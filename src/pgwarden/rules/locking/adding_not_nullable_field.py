"""PW110 adding-not-nullable-field."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class AddingNotNullableField(Rule):
    """SET NOT NULL on an existing column scans the whole table under ACCESS EXCLUSIVE.

    Why:
        To make a column NOT NULL, PostgreSQL reads every row looking for NULLs while holding
        ACCESS EXCLUSIVE: no reads and no writes until the scan ends. Since PostgreSQL 12 the
        scan is skipped when a valid `CHECK (col IS NOT NULL)` constraint already proves it.
        That check can be added NOT VALID and validated under SHARE UPDATE EXCLUSIVE, which
        lets the application keep working. `ADD PRIMARY KEY USING INDEX` on nullable columns
        sets them NOT NULL the same way.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users ALTER COLUMN email SET NOT NULL;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        ALTER TABLE users ADD CONSTRAINT users_email_not_null
            CHECK (email IS NOT NULL) NOT VALID;
        ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null;
        ALTER TABLE users ALTER COLUMN email SET NOT NULL;
        ALTER TABLE users DROP CONSTRAINT users_email_not_null;
        ```

    Notes:
        Each statement of the safe pattern must run in its own transaction. On PostgreSQL 18,
        `ADD CONSTRAINT ... NOT NULL email NOT VALID` followed by VALIDATE CONSTRAINT does the
        same in two steps. Columns of tables created in the same file are not flagged.
    """

    code = "PW110"
    name = "adding-not-nullable-field"
    causes = ("scan:set-not-null",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {
        "squawk": "adding-not-nullable-field",
        "eugene": "E2, W14",
        "strong_migrations": "change_column_null",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        # A new PRIMARY KEY builds its index under the same lock: disallowed-unique-constraint
        # reports that, and the NOT NULL check adds nothing to it.
        building = {c.relation for c in a.effect.find("index-build:constraint")}
        for cause in a.effect.find("scan:set-not-null"):
            if cause.relation in building:
                continue
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            column = f"column {cause.column} of " if cause.column else "columns of "
            using = "USING INDEX" in cause.detail
            what = "ADD PRIMARY KEY USING INDEX sets NOT NULL" if using else "SET NOT NULL"
            yield self.finding(
                a,
                f"{what} on {column}{lk.relation}: every row is checked for NULLs while "
                f"holding {describe_lock(lk.mode)}",
                "first ADD CONSTRAINT ... CHECK (col IS NOT NULL) NOT VALID and VALIDATE it in a "
                "separate transaction; SET NOT NULL then skips the scan",
            )
