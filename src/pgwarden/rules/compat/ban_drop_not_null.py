"""PW306 ban-drop-not-null."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class BanDropNotNull(Rule):
    """Dropping NOT NULL lets NULLs appear where running code assumes there are none.

    Why:
        Code written against a NOT NULL column (ORM models with non-optional fields, reports,
        other services reading the table) does not expect NULL. Once new rows carry NULLs,
        those readers can crash or compute wrong results. DROP NOT NULL also takes ACCESS
        EXCLUSIVE on the table.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);
        ```

    Example:
        ```sql
        ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
        ```

    Use instead:
        ```sql
        COMMENT ON COLUMN users.email IS 'becomes nullable in v43: readers must accept NULL';
        ```

    Notes:
        Make every reader handle NULL first, then drop the constraint with
        `-- pgwarden: ignore[ban-drop-not-null]`. A table created in the same file is not
        flagged.
    """

    code = "PW306"
    name = "ban-drop-not-null"
    causes = ("compat:drop-not-null",)
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-not-null"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "compat:drop-not-null"):
            yield self.finding(
                a,
                f"dropping NOT NULL on {column_ref(cause)} lets NULLs reach code that does not "
                f"expect them (takes {describe_lock(lk.mode)} on {lk.relation})",
                "make every reader of the column accept NULL before deploying this",
            )
