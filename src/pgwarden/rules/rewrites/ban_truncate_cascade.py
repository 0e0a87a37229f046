"""PW207 ban-truncate-cascade."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import lock_on, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.sql.nodes import enum_name


class BanTruncateCascade(Rule):
    """TRUNCATE ... CASCADE also empties every table that references the truncated one.

    Why:
        CASCADE follows foreign keys: every table with a foreign key to the truncated table is
        emptied too, and those tables reference others in turn. The list is decided by the
        schema at run time, not by what the migration names, so one statement can delete far
        more data than its author meant, each table under ACCESS EXCLUSIVE.

    Schema:
        ```sql
        CREATE TABLE orders (id bigint PRIMARY KEY);
        CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders);
        ```

    Example:
        ```sql
        TRUNCATE orders CASCADE;
        ```

    Use instead:
        ```sql
        DELETE FROM order_items WHERE order_id < 10000;
        DELETE FROM orders WHERE id < 10000;
        ```

    Notes:
        If you really mean to empty several tables, name each of them in the TRUNCATE so a
        reviewer sees the list. Tables created in the same file are not flagged.
    """

    code = "PW207"
    name = "ban-truncate-cascade"
    kinds = frozenset({"TruncateStmt"})
    category = "rewrites"
    severity = Severity.ERROR
    peers = {"squawk": "ban-truncate-cascade"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        node = a.stmt.node
        if a.stmt.kind != "TruncateStmt" or enum_name(node.behavior) != "DROP_CASCADE":
            return
        emptied = list(on_existing(a, "truncate:cascade"))
        for cause, lk in emptied:
            yield self.finding(
                a,
                f"TRUNCATE {cause.detail} CASCADE also empties {lk.relation} (it references "
                f"{cause.detail}) under {describe_lock(lk.mode)}",
                "name every table you mean to empty, or delete the rows in batches",
            )
        if emptied:
            return
        # No referencing table known (no --schema, or none yet): CASCADE is still a trap.
        for cause in a.effect.find("truncate"):
            target = lock_on(a.effect, cause.relation)
            if cause.code == "truncate" and target is not None and not target.new:
                yield self.finding(
                    a,
                    f"TRUNCATE {target.relation} CASCADE also empties every table that references "
                    f"it (none known to pgwarden; pass --schema to list them)",
                    "name every table you mean to empty, or delete the rows in batches",
                )
