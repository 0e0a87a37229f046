"""Rewrite rules: what the lock model says rewrites, for existing tables only."""

from __future__ import annotations

import pytest
from _lint_snippets import of

from pgwarden.rules.base import Severity

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, total integer, note varchar(10));"


def test_int_to_bigint_is_an_error_naming_table_and_lock() -> None:
    (f,) = of("changing-column-type", "ALTER TABLE orders ALTER COLUMN total TYPE bigint;", ORDERS)
    assert f.severity is Severity.ERROR
    assert "rewrites public.orders" in f.message
    assert "ACCESS EXCLUSIVE (blocks reads and writes)" in f.message
    assert "not binary coercible" in f.message


def test_varchar_widening_is_a_warning_not_an_error() -> None:
    sql = "ALTER TABLE orders ALTER COLUMN note TYPE varchar(20);"
    (f,) = of("changing-column-type", sql, ORDERS)
    assert f.severity is Severity.WARNING
    assert "needs no rewrite" in f.message


def test_varchar_narrowing_rewrites() -> None:
    sql = "ALTER TABLE orders ALTER COLUMN note TYPE varchar(5);"
    (f,) = of("changing-column-type", sql, ORDERS)
    assert f.severity is Severity.ERROR


def test_using_expression_rewrites_even_for_the_same_type_family() -> None:
    sql = "ALTER TABLE orders ALTER COLUMN note TYPE text USING upper(note);"
    (f,) = of("changing-column-type", sql, ORDERS)
    assert f.severity is Severity.ERROR and "USING" in f.message


def test_type_change_of_a_table_created_in_the_same_file_is_not_flagged() -> None:
    sql = ORDERS + "\nALTER TABLE orders ALTER COLUMN total TYPE bigint;"
    assert of("changing-column-type", sql) == []


def test_type_change_of_an_unknown_table_is_assumed_to_rewrite() -> None:
    (f,) = of("changing-column-type", "ALTER TABLE elsewhere ALTER COLUMN x TYPE bigint;")
    assert f.severity is Severity.ERROR and "public.elsewhere" in f.message


@pytest.mark.parametrize("default", ["now()", "CURRENT_TIMESTAMP", "0", "'x'", "lower('A')"])
def test_stable_or_constant_default_does_not_rewrite(default: str) -> None:
    sql = f"ALTER TABLE orders ADD COLUMN extra text DEFAULT {default};"
    assert of("adding-field-with-volatile-default", sql, ORDERS) == []


@pytest.mark.parametrize("default", ["random()", "clock_timestamp()", "gen_random_uuid()"])
def test_volatile_default_rewrites(default: str) -> None:
    sql = f"ALTER TABLE orders ADD COLUMN extra text DEFAULT {default};"
    (f,) = of("adding-field-with-volatile-default", sql, ORDERS)
    assert f.severity is Severity.ERROR
    assert "public.orders.extra" in f.message and default.rstrip("()") in f.message


def test_volatile_default_on_a_new_table_is_fine() -> None:
    sql = "CREATE TABLE t (id bigint);\nALTER TABLE t ADD COLUMN u uuid DEFAULT gen_random_uuid();"
    assert of("adding-field-with-volatile-default", sql) == []


@pytest.mark.parametrize(
    "column",
    ["seq bigserial", "seq serial", "seq bigint GENERATED ALWAYS AS IDENTITY"],
)
def test_serial_and_identity_columns_rewrite_existing_tables(column: str) -> None:
    (f,) = of(
        "adding-serial-or-identity-column", f"ALTER TABLE orders ADD COLUMN {column};", ORDERS
    )
    assert "rewrites public.orders" in f.message


def test_serial_column_on_a_new_table_is_fine() -> None:
    sql = "CREATE TABLE t (a text);\nALTER TABLE t ADD COLUMN id bigserial;"
    assert of("adding-serial-or-identity-column", sql) == []


def test_stored_generated_column_help_depends_on_version() -> None:
    sql = "ALTER TABLE orders ADD COLUMN t2 bigint GENERATED ALWAYS AS (total * 2) STORED;"
    (old,) = of("adding-stored-generated-column", sql, ORDERS, pg_version=17)
    (new,) = of("adding-stored-generated-column", sql, ORDERS, pg_version=18)
    assert "trigger" in old.help and "VIRTUAL" in new.help


@pytest.mark.parametrize(
    "sub",
    ["SET LOGGED", "SET UNLOGGED", "SET TABLESPACE fast_ssd", "SET ACCESS METHOD heap2"],
)
def test_table_rewrite_commands(sub: str) -> None:
    # SET LOGGED on a table that is already logged is a no-op (no rewrite, verified live).
    schema = ORDERS.replace("TABLE", "UNLOGGED TABLE") if sub == "SET LOGGED" else ORDERS
    (f,) = of("ban-table-rewrite-command", f"ALTER TABLE orders {sub};", schema)
    assert f.severity is Severity.ERROR and "rewrites public.orders" in f.message


def test_storage_parameters_are_not_a_rewrite_command() -> None:
    sql = "ALTER TABLE orders SET (fillfactor = 70);"
    assert of("ban-table-rewrite-command", sql, ORDERS) == []


def test_truncate_of_new_table_is_fine_existing_is_flagged() -> None:
    assert of("ban-truncate", "CREATE TABLE t (id bigint);\nTRUNCATE t;") == []
    (f,) = of("ban-truncate", "TRUNCATE orders;", ORDERS)
    assert f.severity is Severity.WARNING and "public.orders" in f.message


REFS = ORDERS + "\nCREATE TABLE items (id bigint PRIMARY KEY, order_id bigint REFERENCES orders);"


def test_truncate_cascade_names_the_tables_it_empties() -> None:
    (f,) = of("ban-truncate-cascade", "TRUNCATE orders CASCADE;", REFS)
    assert f.severity is Severity.ERROR and "public.items" in f.message


def test_truncate_cascade_without_known_references_is_still_flagged() -> None:
    (f,) = of("ban-truncate-cascade", "TRUNCATE orders CASCADE;", ORDERS)
    assert "none known" in f.message


def test_truncate_without_cascade_is_not_a_cascade() -> None:
    assert of("ban-truncate-cascade", "TRUNCATE items, orders;", REFS) == []


@pytest.mark.parametrize("sql", ["UPDATE orders SET total = 0;", "DELETE FROM orders;"])
def test_whole_table_dml_is_flagged(sql: str) -> None:
    (f,) = of("require-batched-backfill", sql, ORDERS)
    assert "every row of public.orders" in f.message and "batches" in f.help


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE orders SET total = 0 WHERE id < 1000;",
        "DELETE FROM orders WHERE id < 1000;",
        "CREATE TABLE t (id bigint);\nUPDATE t SET id = 1;",
    ],
)
def test_batched_or_new_table_dml_is_fine(sql: str) -> None:
    assert of("require-batched-backfill", sql, ORDERS) == []


def test_whole_table_dml_in_a_transaction_holds_rows_until_commit() -> None:
    (f,) = of("require-batched-backfill", "BEGIN;\nUPDATE orders SET total = 0;\nCOMMIT;", ORDERS)
    assert "until the transaction commits" in f.message
