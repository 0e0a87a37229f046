"""PW208 require-batched-backfill."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class RequireBatchedBackfill(Rule):
    """UPDATE or DELETE of a whole existing table in one statement.

    Why:
        An UPDATE or DELETE without WHERE locks every row it touches until its transaction
        commits: application writes to any of those rows wait for the whole statement, which
        on a large table takes minutes. It also writes a new row version (or a dead one) for
        every row at once, bloating the table and its indexes, flooding WAL and replicas, and
        if it fails near the end all the work is rolled back.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, active boolean);
        ```

    Example:
        ```sql
        UPDATE users SET active = true;
        ```

    Use instead:
        ```sql
        UPDATE users SET active = true WHERE id >= 1 AND id < 10001 AND active IS NULL;
        ```

    Notes:
        Run one such batch per primary-key range, committing between batches (outside a
        transaction block, or from a script), until no rows are left. UPDATE ... FROM and
        DELETE ... USING are not flagged (their join decides the rows), nor is a table created
        in the same file.
    """

    code = "PW208"
    name = "require-batched-backfill"
    causes = ("dml:whole-table",)
    category = "rewrites"
    severity = Severity.WARNING
    peers = {"strong_migrations": "backfilling data (README guidance, not a check)"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "dml:whole-table"):
            verb = cause.detail or a.effect.kind
            until = "the transaction commits" if a.in_transaction else "the statement ends"
            yield self.finding(
                a,
                f"{verb} without WHERE touches every row of {lk.relation}: each row stays "
                f"locked until {until}, so application writes to it wait",
                f"{verb.lower()} in batches by primary-key range (WHERE id >= $1 AND id < $1 + "
                "10000), committing between batches",
            )
