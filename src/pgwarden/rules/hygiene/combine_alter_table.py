"""PW607 combine-alter-table."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.catalog import QualifiedName
from pgwarden.locks.session import Analysed, iter_transactions
from pgwarden.rules._facts import lock_on
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import enum_name, qname


class CombineAlterTable(Rule):
    """Several ALTER TABLE statements on one existing table in a transaction, where one would do.

    Why:
        Each ALTER TABLE statement is a separate pass: PostgreSQL takes the table's lock again,
        runs its own checks, and any subcommand that scans or rewrites the table does so once
        per statement. One ALTER TABLE with several comma-separated subcommands does them all
        in one pass (at most one rewrite, one validation scan), so the table stays locked for
        less time.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, email text);
        ```

    Example:
        ```sql
        BEGIN;
        SET LOCAL lock_timeout = '2s';
        SET LOCAL statement_timeout = '5s';
        ALTER TABLE users ADD COLUMN nickname text;
        ALTER TABLE users ADD COLUMN bio text;
        COMMIT;
        ```

    Use instead:
        ```sql
        BEGIN;
        SET LOCAL lock_timeout = '2s';
        SET LOCAL statement_timeout = '5s';
        ALTER TABLE users ADD COLUMN nickname text, ADD COLUMN bio text;
        COMMIT;
        ```

    Notes:
        Only ALTER TABLE statements with nothing else touching the table between them are
        counted (an UPDATE that backfills a new column must run between its ADD COLUMN and a
        later SET NOT NULL). `VALIDATE CONSTRAINT` is not counted: it cannot share a statement
        with the `ADD CONSTRAINT ... NOT VALID` it follows. Tables created in the same file are
        not flagged.
    """

    code = "PW607"
    name = "combine-alter-table"
    category = "hygiene"
    severity = Severity.INFO
    peers = {"eugene": "W12"}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        for group in iter_transactions(ctx.session):
            if len(group) < 2 or not group[-1].in_transaction:
                continue
            first: dict[QualifiedName, Analysed] = {}
            for a in group:
                table = _altered_table(a)
                if table is None:
                    # Another statement on the table in between (a backfill, a rename) usually
                    # needs the earlier ALTER done and the later one not yet: not combinable.
                    for lk in a.effect.locks:
                        first.pop(lk.relation, None)
                    continue
                earlier = first.setdefault(table, a)
                if earlier is a:
                    continue
                yield self.finding(
                    a,
                    f"{table} is already altered at line {earlier.line} in this transaction: "
                    "each ALTER TABLE statement is another pass over the table",
                    f"combine the subcommands into one ALTER TABLE {table} ..., ...",
                )


def _altered_table(a: Analysed) -> QualifiedName | None:
    """The existing table an ALTER TABLE (other than VALIDATE CONSTRAINT alone) changes."""
    node = a.stmt.node
    if a.stmt.kind != "AlterTableStmt" or enum_name(node.objtype) != "OBJECT_TABLE":
        return None
    subs = {enum_name(c.subtype) for c in node.cmds or ()}
    if not subs or subs == {"AT_ValidateConstraint"}:
        return None
    table = qname(node.relation)
    lk = lock_on(a.effect, table)
    return table if lk is not None and not lk.new else None
