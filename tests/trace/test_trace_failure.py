"""A failing migration: the server's error, located in the file, and nothing left behind."""

from __future__ import annotations

from typing import Any

import pytest
from trace_support import Trace, Write, tables

from pgwarden.sql import SqlSource, parse_source
from pgwarden.trace import EXIT_FAILED
from pgwarden.trace.failure import locate

FAILING = """
CREATE TABLE audit (id int);
ALTER TABLE orders
  ADD COLUMN state nosuchtype;
CREATE TABLE never (id int);
"""


@pytest.mark.parametrize("commit", [True, False], ids=["commit", "rolled-back"])
def test_failure_is_located_and_rolled_back(
    trace: Trace, write: Write, db: Any, commit: bool
) -> None:
    schema = write("schema.sql", "CREATE TABLE orders (id int);\n")
    mig = write("0002_bad.sql", FAILING)
    later = write("0003_later.sql", "CREATE TABLE later (id int);\n")
    result = trace(mig, later, schema=[schema], commit=commit)
    assert result.exit_code == EXIT_FAILED
    (f,) = result.files
    err = f.error
    assert err is not None
    assert err.sqlstate == "42704"
    assert err.message == 'type "nosuchtype" does not exist'
    # The server points at `nosuchtype`: line 3, column 20 of the file.
    assert (err.line, err.column) == (3, 20)
    assert err.statement.startswith("ALTER TABLE orders") and err.statement_line == 2
    assert [s.line for s in f.statements] == [1]  # CREATE TABLE audit ran
    assert f.not_run == 1
    assert result.not_run == (str(later),)
    # The file's transaction was rolled back; without --commit the schema is gone too.
    expected = {"public.orders"} if commit else set()
    assert tables(db) == expected


def test_error_without_position_points_at_the_statement(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", "CREATE TABLE t (id int);\n")
    mig = write("bad.sql", "SELECT 1;\n  ALTER TABLE t ADD CONSTRAINT c CHECK (nope > 0);\n")
    err = trace(mig, schema=[schema]).files[0].error
    assert err is not None and (err.line, err.column) == (2, 3)
    assert err.sqlstate == "42703"


def test_schema_failure_is_reported_as_setup(trace: Trace, write: Write, db: Any) -> None:
    schema = write("schema.sql", "CREATE TABLE a (id int);\nCREATE TABLE a (id int);\n")
    mig = write("m.sql", "ALTER TABLE a ADD COLUMN b int;\n")
    result = trace(mig, schema=[schema], commit=False)
    assert result.exit_code == EXIT_FAILED
    assert result.files == ()
    assert result.setup_error is not None
    assert (result.setup_error.path, result.setup_error.line) == (str(schema), 2)
    assert tables(db) == set()


def test_locate_counts_lines_within_the_statement() -> None:
    parsed = parse_source(SqlSource("x.sql", None, "SELECT 1;\n\n   SELECT\n  a,\n  bb;\n"))
    assert not isinstance(parsed, type(None))
    stmt = parsed.statements[1]  # type: ignore[union-attr]
    assert (stmt.line, stmt.column) == (3, 4)
    assert locate(stmt, 1) == (3, 4)
    assert locate(stmt, 4) == (3, 7)
    assert locate(stmt, stmt.text.index("bb") + 1) == (5, 3)
    assert locate(stmt, None) == (3, 4)
