"""PW116 create-trigger-blocks-writes."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class CreateTriggerBlocksWrites(Rule):
    """CREATE TRIGGER on an existing table blocks writes and can wait without a lock_timeout.

    Why:
        CREATE TRIGGER takes SHARE ROW EXCLUSIVE on the table. It is quick once granted, but it
        must first wait for every open transaction that wrote to the table, and all writes
        arriving meanwhile queue behind it. With no lock_timeout, one long transaction turns a
        trigger creation into a write outage. There is no weaker lock for creating a trigger:
        bound the wait and retry.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY, updated_at timestamptz);
        CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
        ```

    Example:
        ```sql
        CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
            FOR EACH ROW EXECUTE FUNCTION touch();
        ```

    Use instead:
        ```sql
        SET lock_timeout = '2s';
        CREATE TRIGGER orders_touch BEFORE UPDATE ON orders
            FOR EACH ROW EXECUTE FUNCTION touch();
        ```

    Notes:
        Off when a lock_timeout is in force, when the table already holds as strong a lock from
        an earlier statement of the transaction, for tables created in the same file, and when
        the file runs under pgwarden's runner (`runner-timeouts = true`). eugene has a
        similar hint proposed (E16, PR #128) for write-blocking locks other than ACCESS
        EXCLUSIVE.
    """

    code = "PW116"
    name = "create-trigger-blocks-writes"
    causes = ("create-trigger",)
    category = "locking"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.lock_timeout or ctx.runner_timeouts:
            return
        for cause in a.effect.find("create-trigger"):
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            held = a.held_before.get(lk.relation)
            if held is not None and held.mode >= lk.mode:
                continue
            yield self.finding(
                a,
                f"CREATE TRIGGER takes {describe_lock(lk.mode)} on {lk.relation}: it waits for "
                "every open transaction that wrote to it, and writes queue behind it",
                "SET lock_timeout = '2s' first and retry on failure, or run it with "
                "`pgwarden migrate`",
            )
