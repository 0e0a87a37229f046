"""PW402 transaction-nesting."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity

_OPEN = frozenset({"BEGIN", "START"})
_CLOSE = frozenset({"COMMIT", "ROLLBACK"})


class TransactionNesting(Rule):
    """BEGIN inside a transaction, or BEGIN/COMMIT in a file the runner already wraps.

    Why:
        PostgreSQL has no nested transactions: a second BEGIN only warns, and the first COMMIT
        ends the whole transaction, so the statements after it run outside any transaction
        and are not rolled back if the migration fails later. When the runner wraps each file
        in a transaction (`--assume-in-transaction`), an explicit COMMIT commits the runner's
        transaction halfway through. A COMMIT with no open transaction block is a leftover too.

    Example:
        ```sql
        BEGIN;
        CREATE TABLE audit_log (id bigint PRIMARY KEY);
        BEGIN;
        CREATE TABLE audit_entry (id bigint PRIMARY KEY);
        COMMIT;
        ```

    Use instead:
        ```sql
        BEGIN;
        CREATE TABLE audit_log (id bigint PRIMARY KEY);
        CREATE TABLE audit_entry (id bigint PRIMARY KEY);
        COMMIT;
        ```

    Notes:
        Use SAVEPOINT for a nested unit of work. With `--assume-in-transaction`, leave
        transaction control to the runner.
    """

    code = "PW402"
    name = "transaction-nesting"
    kinds = frozenset({"TransactionStmt"})
    category = "transactions"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {"squawk": "transaction-nesting"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind != "TransactionStmt":
            return
        kind = a.effect.kind
        if kind not in _OPEN | _CLOSE:
            return
        if ctx.assume_in_transaction:
            yield self.finding(
                a,
                f"{kind} in a file the runner already runs in a transaction "
                "(assume-in-transaction): "
                + (
                    "it only warns, and the first COMMIT ends the runner's transaction"
                    if kind in _OPEN
                    else "it ends the runner's transaction early; later statements run outside it"
                ),
                "remove explicit transaction control and let the runner commit",
            )
        elif kind in _OPEN and a.tx_depth_error:
            yield self.finding(
                a,
                "BEGIN inside an open transaction block does not nest: the next COMMIT ends the "
                "outer transaction too",
                "remove the inner BEGIN (use SAVEPOINT for a nested unit of work)",
            )
        elif kind in _CLOSE and not a.explicit_block:
            yield self.finding(
                a,
                f"{kind} with no open transaction block: it only warns, and nothing is "
                "committed or rolled back",
                f"remove the {kind}, or add the BEGIN it belongs to",
            )
