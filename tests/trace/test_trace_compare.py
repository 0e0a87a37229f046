"""--compare: lint's prediction beside the observation; a wrong model makes the exit non-zero."""

from __future__ import annotations

from typing import Any

import pytest
from trace_support import Trace, Write

from pgwarden.locks import context
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode
from pgwarden.trace import EXIT_DISAGREE

SCHEMA = "CREATE TABLE t (id int PRIMARY KEY, a int);\nINSERT INTO t VALUES (1, 1);\n"
MIGRATION = """
ALTER TABLE t ADD COLUMN b text;
CREATE INDEX t_a ON t (a);
ALTER TABLE t ALTER COLUMN a TYPE bigint;
"""


def test_compare_agrees_on_a_normal_migration(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", SCHEMA)
    result = trace(write("m.sql", MIGRATION), schema=[schema], compare=True)
    statuses = [s.comparison.status for s in result.statements() if s.comparison]
    assert statuses == ["agree", "agree", "agree"]
    assert result.exit_code == 0
    # The type change: AccessExclusiveLock was already held; the rewrite matches.
    retype = result.statements()[2]
    assert retype.rewrites == ("public.t",)
    assert retype.comparison is not None and retype.comparison.notes


def test_compare_catches_a_wrong_prediction(
    trace: Trace, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = context.handler_for("IndexStmt")
    assert real is not None

    def too_weak(node: Any, ctx: context.Context) -> Effect:
        eff = real(node, ctx)
        for i, lk in enumerate(eff.locks):
            if lk.mode is LockMode.ShareLock:
                eff.locks[i] = type(lk)(lk.relation, LockMode.RowExclusiveLock, lk.relkind)
        return eff

    monkeypatch.setitem(context._HANDLERS, "IndexStmt", too_weak)
    schema = write("schema.sql", SCHEMA)
    result = trace(write("m.sql", MIGRATION), schema=[schema], compare=True)
    assert result.exit_code == EXIT_DISAGREE
    (bad,) = result.disagreements()
    assert bad.line == 2
    assert bad.comparison is not None
    (d,) = bad.comparison.differences
    assert (d.relation, d.what, d.predicted, d.observed) == (
        "public.t",
        "lock",
        "RowExclusiveLock",
        "ShareLock",
    )


def test_compare_catches_a_missed_rewrite(
    trace: Trace, write: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = context.handler_for("AlterTableStmt")
    assert real is not None

    def no_rewrites(node: Any, ctx: context.Context) -> Effect:
        eff = real(node, ctx)
        eff.rewrites.clear()
        return eff

    monkeypatch.setitem(context._HANDLERS, "AlterTableStmt", no_rewrites)
    schema = write("schema.sql", SCHEMA)
    result = trace(write("m.sql", MIGRATION), schema=[schema], compare=True)
    (bad,) = result.disagreements()
    assert bad.comparison is not None
    assert [str(d) for d in bad.comparison.differences] == [
        "public.t: predicted no rewrite, observed rewrite"
    ]


FK_SCHEMA = """
CREATE TABLE acct (id int PRIMARY KEY);
CREATE TABLE orders (id int, acct_id int REFERENCES acct);
INSERT INTO acct VALUES (1), (2);
INSERT INTO orders VALUES (10, 1);
"""


def test_per_row_locks_are_set_aside_when_no_row_is_written(trace: Trace, write: Write) -> None:
    """Foreign-key triggers lock the referencing table only for rows actually deleted."""
    schema = write("schema.sql", FK_SCHEMA)
    none = write("none.sql", "DELETE FROM acct WHERE id > 100;\n")
    result = trace(none, schema=[schema], compare=True, commit=False)
    (s,) = result.statements()
    assert s.rows == 0 and s.comparison is not None
    assert s.comparison.status == "agree" and result.exit_code == 0
    assert any("public.orders: RowShareLock is taken for each row" in n for n in s.comparison.notes)
    # A row deleted: the trigger's lock is taken, observed and compared as usual.
    some = write("some.sql", "DELETE FROM acct WHERE id = 2;\n")
    result = trace(some, schema=[schema], compare=True)
    (s,) = result.statements()
    assert s.rows == 1 and s.comparison is not None and s.comparison.status == "agree"
    assert not any("each row" in n for n in s.comparison.notes)
    assert any(lk.relation == "public.orders" for lk in s.locks)
