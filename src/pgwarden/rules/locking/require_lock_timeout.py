"""PW114 require-lock-timeout."""

from __future__ import annotations

from pgwarden.locks.modes import is_dangerous
from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class RequireLockTimeout(Rule):
    """A statement that needs a write-blocking lock runs with no lock_timeout.

    Why:
        While a statement waits for a lock, every later query on that table queues behind it,
        even queries that would not conflict with the current holder. If a backup or a long
        read holds the table, a migration with no lock_timeout stalls the application for as
        long as that holder runs. A short lock_timeout turns the stall into a quick failure
        that can be retried.

    Schema:
        ```sql
        CREATE TABLE accounts (id bigint PRIMARY KEY, note text);
        ```

    Example:
        ```sql
        ALTER TABLE accounts DROP COLUMN note;
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        SET statement_timeout = '5s';
        ALTER TABLE accounts DROP COLUMN note;
        ```

    Notes:
        Off when the file will run under `pgwarden migrate` or `pgwarden run`, which set the
        timeouts themselves (`runner-timeouts = true`).
    """

    code = "PW114"
    name = "require-lock-timeout"
    category = "locking"
    severity = Severity.WARNING
    peers = {"squawk": "require-lock-timeout", "eugene": "E9"}

    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:  # see unknown-statement
        if a.lock_timeout or ctx.runner_timeouts:
            return []
        lk = a.effect.strongest_existing()
        if lk is None or not is_dangerous(lk.mode) or lk.relation in a.held_before:
            return []
        return [
            self.finding(
                a,
                f"waits for {describe_lock(lk.mode)} on {lk.relation} with no lock_timeout: "
                "queries queue behind it for as long as it waits",
                "SET lock_timeout = '2s' (or SET LOCAL in the transaction) and retry on "
                "failure, or run it with `pgwarden migrate`",
            )
        ]
