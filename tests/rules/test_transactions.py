"""Transaction rules: explicit blocks, runners that wrap files (assume-in-transaction), re-runs
and enum values."""

from __future__ import annotations

from typing import Any

from pgwarden.config import LintConfig
from pgwarden.lint import lint_text

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);"
ENUM = "CREATE TYPE order_status AS ENUM ('new', 'shipped');" + (
    "CREATE TABLE orders (id bigint PRIMARY KEY, status order_status);"
)
CIC = "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_c ON orders (customer_id);"


def found(sql: str, schema: str = "", **config: Any) -> list[tuple[str, int]]:
    result = lint_text(sql, LintConfig(cache=False, **config), schema_sql=schema)
    assert not result.errors, [str(e) for e in result.errors]
    return [(f.rule, f.line) for fo in result.files for f in fo.all_findings()]


def lines(rule: str, sql: str, schema: str = "", **config: Any) -> list[int]:
    return [line for name, line in found(sql, schema, **config) if name == rule]


# --- ban-concurrent-in-transaction ---------------------------------------------------------------


def test_concurrent_statements_in_an_explicit_block() -> None:
    rule = "ban-concurrent-in-transaction"
    schema = ORDERS + "CREATE INDEX orders_old ON orders (customer_id);"
    for stmt in (
        CIC,
        "DROP INDEX CONCURRENTLY orders_old;",
        "REINDEX INDEX CONCURRENTLY orders_old;",
        "VACUUM orders;",
    ):
        assert lines(rule, f"BEGIN;\n{stmt}\nCOMMIT;", schema=schema) == [2], stmt
        assert lines(rule, stmt, schema=schema) == [], stmt


def test_concurrent_with_assume_in_transaction() -> None:
    rule = "ban-concurrent-in-transaction"
    two = "SET lock_timeout = '2s';\n" + CIC
    assert lines(rule, two, schema=ORDERS, assume_in_transaction=True) == [2]
    assert lines(rule, two, schema=ORDERS) == []
    # A file of that one statement: runners run it outside a transaction (squawk's exception).
    assert lines(rule, CIC, schema=ORDERS, assume_in_transaction=True) == []


def test_enum_add_value_is_transactional_since_pg12() -> None:
    sql = "BEGIN;\nALTER TYPE order_status ADD VALUE 'paid';\nCOMMIT;"
    assert lines("ban-concurrent-in-transaction", sql, schema=ENUM, pg_version=12) == []


# --- transaction-nesting -------------------------------------------------------------------------


def test_begin_and_commit_when_the_runner_wraps_the_file() -> None:
    sql = "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;"
    assert lines("transaction-nesting", sql, assume_in_transaction=True) == [1, 3]
    assert lines("transaction-nesting", sql) == []


def test_stray_commit_and_savepoint() -> None:
    assert lines("transaction-nesting", "CREATE TABLE a (id int);\nCOMMIT;") == [2]
    sql = "BEGIN;\nSAVEPOINT s;\nCREATE TABLE a (id int);\nRELEASE SAVEPOINT s;\nCOMMIT;"
    assert lines("transaction-nesting", sql) == []


def test_second_block_after_commit_is_fine() -> None:
    sql = "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\nBEGIN;\nCREATE TABLE b (id int);\nCOMMIT;"
    got = found(sql)
    assert not [r for r, _ in got if r in ("transaction-nesting", "ban-uncommitted-transaction")]


# --- ban-uncommitted-transaction -----------------------------------------------------------------


def test_uncommitted_block_is_reported_at_its_begin() -> None:
    sql = "CREATE TABLE a (id int);\nBEGIN;\nCREATE TABLE b (id int);"
    assert lines("ban-uncommitted-transaction", sql) == [2]
    assert lines("ban-uncommitted-transaction", sql + "\nROLLBACK;") == []
    assert lines("ban-uncommitted-transaction", sql, assume_in_transaction=True) == []


# --- prefer-robust-stmts -------------------------------------------------------------------------


def test_robust_statements_only_matter_outside_transactions() -> None:
    rule = "prefer-robust-stmts"
    sql = "CREATE TABLE a (id int);\nALTER TABLE orders ADD COLUMN note text;"
    assert lines(rule, sql, schema=ORDERS) == [1, 2]
    assert lines(rule, "BEGIN;\n" + sql + "\nCOMMIT;", schema=ORDERS) == []
    assert lines(rule, sql, schema=ORDERS, assume_in_transaction=True) == []
    # One statement (settings do not count) can simply be run again.
    assert lines(rule, "SET lock_timeout = '1s';\nDROP TABLE orders;", schema=ORDERS) == []


def test_robust_forms_pass() -> None:
    sql = (
        "CREATE TABLE IF NOT EXISTS a (id int);\n"
        "ALTER TABLE orders ADD COLUMN IF NOT EXISTS note text;\n"
        "ALTER TABLE orders DROP COLUMN IF EXISTS customer_id;\n"
        "DROP INDEX CONCURRENTLY IF EXISTS orders_c;\n"
        "DROP TYPE IF EXISTS mood;\n"
        "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_note_check;\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_note_check CHECK (note <> '') NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_note_check;"
    )
    assert lines("prefer-robust-stmts", sql, schema=ORDERS) == []


def test_add_constraint_without_prior_drop_and_unnamed_index() -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (id > 0) NOT VALID;\n"
        "CREATE INDEX CONCURRENTLY ON orders (customer_id);"
    )
    result = lint_text(sql, LintConfig(cache=False), schema_sql=ORDERS)
    hits = [f for fo in result.files for f in fo.all_findings() if f.rule == "prefer-robust-stmts"]
    assert [f.line for f in hits] == [1, 2]
    assert "DROP CONSTRAINT IF EXISTS" in hits[0].help
    assert "name the index" in hits[1].help


# --- enum values ---------------------------------------------------------------------------------


def test_new_enum_value_used_in_the_same_transaction() -> None:
    rule = "enum-add-value-pitfalls"
    sql = (
        "ALTER TYPE order_status ADD VALUE 'archived';\n"
        "UPDATE orders SET status = 'archived' WHERE id = 1;"
    )
    assert lines(rule, sql, schema=ENUM) == []
    assert lines(rule, sql, schema=ENUM, assume_in_transaction=True) == [2]
    assert lines(rule, "BEGIN;\n" + sql + "\nCOMMIT;", schema=ENUM) == [3]
    other = sql.replace("'archived' WHERE", "'shipped' WHERE")
    assert lines(rule, "BEGIN;\n" + other + "\nCOMMIT;", schema=ENUM) == []


def test_enum_value_ordering_is_opt_in() -> None:
    rule = "require-enum-value-ordering"
    sql = "ALTER TYPE order_status ADD VALUE 'paid';"
    assert lines(rule, sql, schema=ENUM) == []
    opted = {"extend_select": frozenset({rule})}
    assert lines(rule, sql, schema=ENUM, **opted) == [1]
    ordered = "ALTER TYPE order_status ADD VALUE 'paid' BEFORE 'shipped';"
    assert lines(rule, ordered, schema=ENUM, **opted) == []
