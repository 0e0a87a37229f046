"""PW108 disallowed-unique-constraint."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class DisallowedUniqueConstraint(Rule):
    """ADD UNIQUE or PRIMARY KEY on an existing table builds its index under ACCESS EXCLUSIVE.

    Why:
        A UNIQUE or PRIMARY KEY constraint needs a unique index, and ALTER TABLE builds it
        while holding ACCESS EXCLUSIVE: no reads and no writes for the whole build. Build the
        index first with CREATE UNIQUE INDEX CONCURRENTLY (the application keeps working),
        then attach it with `ADD CONSTRAINT ... UNIQUE USING INDEX`, which only needs the lock
        for an instant. The same holds for `ADD COLUMN ... UNIQUE` or `... PRIMARY KEY`.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
        ```

    Use instead:
        ```sql
        CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS users_email_key ON users (email);
        SET lock_timeout = '2s';
        ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;
        ```

    Notes:
        For a PRIMARY KEY, `ADD PRIMARY KEY USING INDEX` also sets its columns NOT NULL, which
        scans the table unless they already are (adding-not-nullable-field). A constraint
        added to a table created in the same file is not flagged.
    """

    code = "PW108"
    name = "disallowed-unique-constraint"
    causes = ("index-build:constraint",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {
        "squawk": "disallowed-unique-constraint",
        "eugene": "E7",
        "strong_migrations": "add_unique_constraint",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("index-build:constraint"):
            if cause.detail not in ("UNIQUE", "PRIMARY KEY"):
                continue
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            what = cause.detail
            where = f"ADD COLUMN {cause.column} ... {what}" if cause.column else f"ADD {what}"
            yield self.finding(
                a,
                f"{where} builds a unique index on {lk.relation} while holding "
                f"{describe_lock(lk.mode)}",
                "CREATE UNIQUE INDEX CONCURRENTLY first, then ALTER TABLE ... ADD CONSTRAINT "
                f"... {what} USING INDEX"
                + (" (add the column in its own statement)" if cause.column else ""),
            )
