"""PW405 enum-add-value-pitfalls."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.locking._common import transactions
from pgwarden.sql.nodes import list_qname


class EnumAddValuePitfalls(Rule):
    """A value added to an enum is used in the same transaction: the statement fails.

    Why:
        Since PostgreSQL 12, ALTER TYPE ... ADD VALUE may run inside a transaction block, but
        the new value cannot be used until that transaction commits: `ERROR: unsafe use of new
        value "archived" of enum type order_status`. A migration that adds a value and then
        backfills rows with it in one transaction (or in a file the runner wraps in one)
        fails at deploy time. Before PostgreSQL 12, ADD VALUE cannot run in a transaction
        block at all (ban-concurrent-in-transaction reports that).

    Schema:
        ```sql
        CREATE TYPE order_status AS ENUM ('new', 'shipped');
        CREATE TABLE orders (id bigint PRIMARY KEY, status order_status);
        ```

    Example:
        ```sql
        BEGIN;
        ALTER TYPE order_status ADD VALUE 'archived';
        UPDATE orders SET status = 'archived' WHERE id < 1000;
        COMMIT;
        ```

    Use instead:
        ```sql
        ALTER TYPE order_status ADD VALUE IF NOT EXISTS 'archived';
        UPDATE orders SET status = 'archived' WHERE id < 1000;
        ```

    Notes:
        A later statement is matched by a string literal equal to the new value, so a same-named
        literal of another type is reported too. Commit between adding the value and using it,
        or put the use in the next migration.
    """

    code = "PW405"
    name = "enum-add-value-pitfalls"
    category = "transactions"
    severity = Severity.WARNING
    since = "0.1.0"
    peers = {}

    def check_file(self, ctx: FileContext) -> Iterator[Finding]:
        for tx in transactions(ctx.session):
            added: dict[str, str] = {}  # new value -> enum type
            for a in tx:
                # Walking a statement's tree for its literals only pays once a value was added.
                found = _literals(a.stmt.node) & added.keys() if added else ()
                for value in sorted(found):
                    yield self.finding(
                        a,
                        f"uses '{value}', added to enum {added[value]} earlier in this "
                        "transaction: PostgreSQL rejects a new enum value until the "
                        "transaction that added it commits",
                        "commit after ALTER TYPE ... ADD VALUE, then use the value (or use it "
                        "in the next migration)",
                    )
                for cause in a.effect.causes:
                    if cause.code == "enum-add-value" and cause.detail:
                        added[cause.detail] = str(list_qname(a.stmt.node.typeName))


def _literals(node: Any) -> set[str]:
    """Every string constant in a statement's parse tree."""
    from pglast import ast

    out: set[str] = set()
    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, tuple | list):
            stack.extend(cur)
            continue
        if not isinstance(cur, ast.Node):
            continue
        if isinstance(cur, ast.A_Const) and isinstance(cur.val, ast.String):
            if cur.val.sval is not None:
                out.add(cur.val.sval)
            continue
        for attr in getattr(cur, "__slots__", ()):
            child = getattr(cur, attr, None)
            if isinstance(child, ast.Node | tuple | list):
                stack.append(child)
    return out
