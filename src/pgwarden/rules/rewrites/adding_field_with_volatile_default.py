"""PW202 adding-field-with-volatile-default."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class AddingFieldWithVolatileDefault(Rule):
    """ADD COLUMN with a volatile default rewrites the whole table under ACCESS EXCLUSIVE.

    Why:
        Since PostgreSQL 11 a constant or STABLE default (`0`, `'new'`, `now()`) is stored once
        in the catalog and existing rows read it from there: adding the column is instant. A
        volatile default (`random()`, `clock_timestamp()`, `gen_random_uuid()`, `nextval()`)
        must give every row its own value, so PostgreSQL rewrites the table while holding
        ACCESS EXCLUSIVE: reads and writes stop for the whole copy. A function pgwarden does
        not know is treated as volatile until proven otherwise.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
        ```

    Example:
        ```sql
        ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE users ADD COLUMN token uuid;
        ALTER TABLE users ALTER COLUMN token SET DEFAULT gen_random_uuid();
        ```

    Notes:
        SET DEFAULT only applies to rows inserted afterwards; fill the existing rows with a
        batched UPDATE (by primary-key range, committing between batches). A column added to
        a table created in the same file is not flagged.
    """

    code = "PW202"
    name = "adding-field-with-volatile-default"
    causes = ("rewrite:volatile-default",)
    category = "rewrites"
    severity = Severity.ERROR
    aliases = ("adding-field-with-default",)
    peers = {
        "squawk": "adding-field-with-default",
        "eugene": "E10 (trace only)",
        "strong_migrations": "add_column_default",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "rewrite:volatile-default"):
            yield self.finding(
                a,
                f"adding {column_ref(cause)} rewrites {lk.relation} under "
                f"{describe_lock(lk.mode)}: {cause.detail}",
                "add the column without a default, then ALTER COLUMN ... SET DEFAULT for new "
                "rows and backfill existing rows in batches",
            )
