"""PW205 ban-table-rewrite-command."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock

# Lock-model causes of ALTER TABLE forms whose whole purpose is to copy the table, and what to
# do instead of each.
_HELP = {
    "rewrite:set-logged": (
        "SET LOGGED writes every row to WAL, SET UNLOGGED copies the table: create the table "
        "with the persistence you want from the start, or run it in a maintenance window"
    ),
    "rewrite:set-tablespace": (
        "move the table online with pg_repack --tablespace, or in a maintenance window"
    ),
    "rewrite:set-access-method": (
        "create a new table with the access method, copy rows in batches and swap, or run it "
        "in a maintenance window"
    ),
    "rewrite:set-expression": (
        "add a new column with the new expression's values, backfilled in batches, and switch "
        "readers to it"
    ),
}


class BanTableRewriteCommand(Rule):
    """SET LOGGED/UNLOGGED, SET TABLESPACE or SET ACCESS METHOD copies an existing table.

    Why:
        These ALTER TABLE forms exist to give the table new storage: PostgreSQL copies every
        row (and, for SET LOGGED, writes it all to WAL) while it holds ACCESS EXCLUSIVE, so
        reads and writes wait for the whole copy. PostgreSQL 17's ALTER COLUMN SET EXPRESSION
        recomputes a stored generated column for every row in the same way.

    Schema:
        ```sql
        CREATE UNLOGGED TABLE events (id bigint PRIMARY KEY, payload text);
        ```

    Example:
        ```sql
        ALTER TABLE events SET LOGGED;
        ```

    Use instead:
        ```sql
        CREATE TABLE events_logged (LIKE events INCLUDING ALL);
        ```

    Notes:
        Copy rows into the new table in batches, then swap the names in one short transaction
        (with a lock_timeout). A table created in the same file is not flagged.
    """

    code = "PW205"
    name = "ban-table-rewrite-command"
    causes = ("rewrite",)
    category = "rewrites"
    severity = Severity.ERROR
    peers = {"eugene": "E10 (trace only)"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause, lk in on_existing(a, "rewrite"):
            help = _HELP.get(cause.code)
            if help is None:
                continue
            yield self.finding(
                a,
                f"{a.effect.kind} rewrites {lk.relation} under {describe_lock(lk.mode)}",
                help,
            )
