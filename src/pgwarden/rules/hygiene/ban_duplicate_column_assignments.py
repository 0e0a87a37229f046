"""PW602 ban-duplicate-column-assignments."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import enum_name, qname

# Statement kinds that can contain a SET list or an INSERT column list (possibly in a CTE).
_KINDS = frozenset({"UpdateStmt", "InsertStmt", "MergeStmt", "SelectStmt", "RuleStmt"})


class BanDuplicateColumnAssignments(Rule):
    """A column assigned twice in one UPDATE SET list or INSERT column list.

    Why:
        PostgreSQL rejects `UPDATE ... SET a = 1, a = 2` ("multiple assignments to same
        column") and `INSERT INTO t (a, a)` ("column specified more than once") when the
        statement runs, not when the migration is written: the migration fails in the middle,
        and outside a transaction the statements before it stay applied. It is always a typo,
        usually a copy-pasted line whose column name was not changed.

    Schema:
        ```sql
        CREATE TABLE users (id bigint PRIMARY KEY, first_name text, last_name text);
        ```

    Example:
        ```sql
        UPDATE users SET first_name = 'Ada', first_name = 'Lovelace' WHERE id = 1;
        ```

    Use instead:
        ```sql
        UPDATE users SET first_name = 'Ada', last_name = 'Lovelace' WHERE id = 1;
        ```

    Notes:
        Assigning different elements or fields of one column (`SET a[1] = 0, a[2] = 0`) is
        allowed by PostgreSQL and not flagged. ON CONFLICT DO UPDATE and MERGE lists are
        checked too.
    """

    code = "PW602"
    name = "ban-duplicate-column-assignments"
    kinds = _KINDS
    category = "hygiene"
    severity = Severity.ERROR
    peers = {"squawk": "ban-duplicate-column-assignments"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in _KINDS:
            return
        for what, table, targets in _target_lists(a.stmt.node):
            for name in _duplicates(targets):
                yield self.finding(
                    a,
                    f"column {name} of {table} is assigned more than once in {what}: "
                    "PostgreSQL rejects the statement",
                    f"assign {name} once (was another column meant?)",
                )


def _target_lists(node: Any) -> Iterator[tuple[str, str, Any]]:
    """(clause, table, ResTarget list) for every SET list and INSERT column list of node.

    Only where PostgreSQL allows a data-modifying statement: the statement itself, the
    top-level WITH clause's CTEs (recursively) and a rule's actions. Walking every node
    instead cost ~35 us a statement, mostly inside large SELECTs.
    """
    from pglast import ast

    stack: list[Any] = [node]
    while stack:
        cur = stack.pop()
        if isinstance(cur, ast.RuleStmt):
            stack.extend(reversed(cur.actions or ()))
            continue
        with_clause = getattr(cur, "withClause", None)
        if with_clause is not None:
            stack.extend(reversed([c.ctequery for c in with_clause.ctes or ()]))
        if not isinstance(cur, ast.UpdateStmt | ast.InsertStmt | ast.MergeStmt):
            continue
        table = str(qname(cur.relation)) if cur.relation is not None else "?"
        if isinstance(cur, ast.UpdateStmt):
            yield "UPDATE ... SET", table, cur.targetList
        elif isinstance(cur, ast.InsertStmt):
            yield "the INSERT column list", table, cur.cols
            conflict = cur.onConflictClause
            if conflict is not None and conflict.targetList:
                yield "ON CONFLICT DO UPDATE SET", table, conflict.targetList
        else:
            for clause in cur.mergeWhenClauses or ():
                insert = enum_name(clause.commandType) == "CMD_INSERT"
                what = "MERGE ... INSERT" if insert else "MERGE ... UPDATE SET"
                yield what, table, clause.targetList


def _duplicates(targets: Any) -> list[str]:
    """Names assigned twice where at least one assignment is to the whole column."""
    whole: dict[str, int] = {}
    parts: dict[str, int] = {}
    for t in targets or ():
        name = getattr(t, "name", None)
        if not isinstance(name, str):
            continue
        bucket = parts if getattr(t, "indirection", None) else whole
        bucket[name] = bucket.get(name, 0) + 1
    return sorted(n for n, k in whole.items() if k > 1 or parts.get(n))
