"""PW201 changing-column-type."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class ChangingColumnType(Rule):
    """ALTER COLUMN TYPE on an existing table rewrites it, or at least changes what clients read.

    Why:
        Unless the old type is binary coercible to the new one (`varchar(10)` to `varchar(20)`,
        `varchar` to `text`, a wider `numeric` precision), PostgreSQL copies every row into new
        storage and rebuilds every index of the table while it holds ACCESS EXCLUSIVE: no reads
        and no writes for as long as the copy takes, minutes to hours on a large table. Which
        changes are binary coercible depends on the PostgreSQL version (`--pg-version`); the
        lock model knows the list, so a rewriting change is an error. A change that needs no
        rewrite still takes ACCESS EXCLUSIVE briefly and can break application code, ORMs and
        prepared statements that expect the old type, so it is reported as a warning.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, total integer NOT NULL);
        ```

    Example:
        ```sql
        ALTER TABLE orders ALTER COLUMN total TYPE bigint;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE orders ADD COLUMN total_v2 bigint;
        ```

    Notes:
        The safe route is expand/contract: add a column of the new type, keep it in sync (a
        trigger or the application writes both), backfill existing rows in batches, switch
        readers to the new column, then drop the old one in a later release. A column of a
        table created in the same file is not flagged: nobody uses that table yet.
    """

    code = "PW201"
    name = "changing-column-type"
    causes = ("compat:type-change",)
    category = "rewrites"
    severity = Severity.ERROR
    peers = {
        "squawk": "changing-column-type",
        "eugene": "E5",
        "strong_migrations": "change_column",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        rewrites = {(c.relation, c.column): c for c, _ in on_existing(a, "rewrite:type-change")}
        for cause, lk in on_existing(a, "compat:type-change"):
            where = column_ref(cause)
            rewrite = rewrites.get((cause.relation, cause.column))
            if rewrite is not None:
                n = len(a.effect.index_rebuilds)
                indexes = f" and rebuilds its {n} index{'es' if n != 1 else ''}" if n else ""
                yield self.finding(
                    a,
                    f"changing the type of {where} rewrites {lk.relation}{indexes} under "
                    f"{describe_lock(lk.mode)}: {_reason(rewrite.detail)}",
                    "add a column of the new type, backfill it in batches and keep it in sync, "
                    "switch the application to it, then drop the old column later",
                )
            else:
                f = self.finding(
                    a,
                    f"changing the type of {where} to {cause.detail} needs no rewrite but takes "
                    f"{describe_lock(lk.mode)} on {lk.relation}, and clients that expect the "
                    "old type may break",
                    "check that the application, its ORM and prepared statements accept the "
                    "new type before deploying",
                )
                yield dataclasses.replace(f, severity=Severity.WARNING)


def _reason(detail: str) -> str:
    """`int4 -> int8: int4 to int8 is not binary coercible` -> `int4 -> int8 is not ...`."""
    change, _, why = detail.partition(": ")
    if why.endswith(" is not binary coercible"):
        return f"{change} is not binary coercible"
    return detail
