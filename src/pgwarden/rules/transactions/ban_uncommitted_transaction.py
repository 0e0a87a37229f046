"""PW403 ban-uncommitted-transaction."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class BanUncommittedTransaction(Rule):
    """A BEGIN with no COMMIT: the migration looks applied but is rolled back.

    Why:
        A file that opens a transaction and never commits it runs every statement, then the
        session ends and PostgreSQL rolls all of it back. psql and most runners report success,
        so the missing change is found later, in production.

    Example:
        ```sql
        BEGIN;
        CREATE TABLE audit_log (id bigint PRIMARY KEY);
        ```

    Use instead:
        ```sql
        BEGIN;
        CREATE TABLE audit_log (id bigint PRIMARY KEY);
        COMMIT;
        ```

    Notes:
        Not reported with `--assume-in-transaction`: the runner's COMMIT ends the open block
        (transaction-nesting reports the stray BEGIN instead).
    """

    code = "PW403"
    name = "ban-uncommitted-transaction"
    category = "transactions"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {"squawk": "ban-uncommitted-transaction"}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        begin = ctx.session.unterminated_begin
        if begin is None or ctx.assume_in_transaction:
            return
        yield self.finding(
            (begin.line, begin.column),
            "this BEGIN is never committed: everything after it is rolled back when the session "
            "ends",
            "add COMMIT at the end of the file",
        )
