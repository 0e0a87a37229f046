"""PW310 ban-drop-function."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.compat._objects import (
    FUNCTION,
    base_name,
    created_before,
    created_later_in_transaction,
    drop_objects,
    is_cascade,
)
from pgwarden.sql.nodes import enum_name

_KINDS = {
    "OBJECT_FUNCTION": "function",
    "OBJECT_PROCEDURE": "procedure",
    "OBJECT_ROUTINE": "routine",
    "OBJECT_AGGREGATE": "aggregate",
}


class BanDropFunction(Rule):
    """Dropping a function, procedure or aggregate breaks the code that calls it.

    Why:
        Queries, triggers and views of the running application that call the function fail
        with `function ... does not exist` from the moment the drop commits. With CASCADE,
        PostgreSQL also drops what depends on it (triggers, column defaults, views), silently
        changing how writes behave. Functions are matched by their argument types: dropping
        `f(int)` leaves `f(bigint)` in place, so callers may silently switch overloads.

    Example:
        ```sql
        DROP FUNCTION order_total(bigint);
        ```

    Use instead:
        ```sql
        COMMENT ON FUNCTION order_total(bigint) IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        pgwarden does not track which functions exist or who calls them: it reports every drop
        of a function not created earlier in the same file, unless one of the same name is
        created again later in the same transaction (changing a return type needs a drop; its
        callers must still accept the new signature). Stop calling the function in a release
        first, then drop it with `-- pgwarden: ignore[ban-drop-function]`.
    """

    code = "PW310"
    name = "ban-drop-function"
    kinds = frozenset({"DropStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-function"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        what = _KINDS.get(enum_name(a.stmt.node.removeType))
        if what is None:
            return
        skip = created_before(a, ctx, FUNCTION) | created_later_in_transaction(a, ctx, FUNCTION)
        also = " and everything that depends on it (CASCADE)" if is_cascade(a.stmt.node) else ""
        for name, obj in drop_objects(a.stmt.node):
            if base_name(obj) in skip:
                continue
            yield self.finding(
                a,
                f"dropping {what} {name}{also} breaks running code, triggers and views that "
                "call it",
                "stop calling it in a release first, then drop it in a later migration",
            )
