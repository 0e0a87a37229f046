"""Locking rules on the cases their docstring examples do not cover: new tables, versions,
locks held across statements, runner settings."""

from __future__ import annotations

from typing import Any

import pytest

from pgwarden.config import LintConfig
from pgwarden.lint import lint_text

ORDERS = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total numeric);"
CUSTOMERS = "CREATE TABLE customers (id bigint PRIMARY KEY);"
USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text);"


def found(sql: str, schema: str = "", **config: Any) -> list[tuple[str, int]]:
    """(rule name, line) of every finding, in order."""
    result = lint_text(sql, LintConfig(cache=False, **config), schema_sql=schema)
    assert not result.errors, [str(e) for e in result.errors]
    return [(f.rule, f.line) for fo in result.files for f in fo.all_findings()]


def lines_of(rule: str, sql: str, schema: str = "", **config: Any) -> list[int]:
    return [line for name, line in found(sql, schema, **config) if name == rule]


def rules(sql: str, schema: str = "", **config: Any) -> set[str]:
    return {name for name, _ in found(sql, schema, **config)}


def messages(sql: str, rule: str, schema: str = "", **config: Any) -> list[str]:
    result = lint_text(sql, LintConfig(cache=False, **config), schema_sql=schema)
    return [f.message for fo in result.files for f in fo.all_findings() if f.rule == rule]


# --- objects created in the same file are not flagged ------------------------------------------


@pytest.mark.parametrize(
    ("rule", "sql"),
    [
        ("require-concurrent-index-deletion", "CREATE INDEX t_a_idx ON t (a); DROP INDEX t_a_idx;"),
        ("require-concurrent-reindex", "CREATE INDEX t_a_idx ON t (a); REINDEX TABLE t;"),
        ("constraint-missing-not-valid", "ALTER TABLE t ADD CONSTRAINT t_a CHECK (a > 0);"),
        ("disallowed-unique-constraint", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);"),
        ("ban-exclusion-constraint", "ALTER TABLE t ADD EXCLUDE USING gist (r WITH &&);"),
        ("adding-not-nullable-field", "ALTER TABLE t ALTER COLUMN a SET NOT NULL;"),
        ("prefer-repack", "VACUUM FULL t;"),
        (
            "create-trigger-blocks-writes",
            "CREATE TRIGGER t_x BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION f();",
        ),
    ],
)
def test_table_created_in_the_same_file_is_not_flagged(rule: str, sql: str) -> None:
    create = "CREATE TABLE t (id bigint PRIMARY KEY, a int, r tsrange);\n"
    assert rule not in rules(create + sql)
    # The same statement on a table that already exists is flagged.
    assert rule in rules(sql, schema=create)


def test_matview_created_in_the_same_file_is_not_flagged() -> None:
    sql = "CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;\nREFRESH MATERIALIZED VIEW m;"
    assert "require-concurrent-matview-refresh" not in rules(sql)
    assert "require-concurrent-matview-refresh" in rules(
        "REFRESH MATERIALIZED VIEW m;", schema="CREATE MATERIALIZED VIEW m AS SELECT 1 AS x;"
    )


def test_unknown_table_is_assumed_to_exist() -> None:
    assert "adding-not-nullable-field" in rules("ALTER TABLE ghost ALTER COLUMN a SET NOT NULL;")
    assert "require-concurrent-index-deletion" in rules("DROP INDEX ghost_idx;")


# --- constraints -------------------------------------------------------------------------------


def test_not_valid_constraints_are_not_flagged() -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (customer_id) "
        "REFERENCES customers (id) NOT VALID;"
    )
    got = rules(sql, schema=ORDERS + CUSTOMERS)
    assert not got & {"constraint-missing-not-valid", "adding-foreign-key-constraint"}


def test_validated_foreign_key_names_both_tables() -> None:
    sql = "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id);"
    msgs = messages(sql, "adding-foreign-key-constraint", schema=ORDERS + CUSTOMERS)
    assert len(msgs) == 1
    assert "public.orders" in msgs[0] and "public.customers" in msgs[0]
    assert "constraint-missing-not-valid" in rules(sql, schema=ORDERS + CUSTOMERS)


def test_foreign_key_from_a_new_table_is_not_flagged() -> None:
    sql = (
        "CREATE TABLE notes (id bigint PRIMARY KEY, customer_id bigint);\n"
        "ALTER TABLE notes ADD FOREIGN KEY (customer_id) REFERENCES customers (id);"
    )
    got = rules(sql, schema=CUSTOMERS)
    assert not got & {"adding-foreign-key-constraint", "constraint-missing-not-valid"}


def test_column_check_constraint_is_flagged_with_column_advice() -> None:
    sql = "ALTER TABLE orders ADD COLUMN qty int CHECK (qty > 0);"
    msgs = messages(sql, "constraint-missing-not-valid", schema=ORDERS)
    assert len(msgs) == 1 and msgs[0].startswith("ADD COLUMN qty")


def test_add_column_unique_and_primary_key() -> None:
    assert "disallowed-unique-constraint" in rules(
        "ALTER TABLE orders ADD COLUMN code text UNIQUE;", schema=ORDERS
    )
    # A new PRIMARY KEY builds an index: reported once, as the index build.
    got = rules(
        "ALTER TABLE users ADD PRIMARY KEY (email);", schema="CREATE TABLE users (email text);"
    )
    assert "disallowed-unique-constraint" in got
    assert "adding-not-nullable-field" not in got


def test_unique_using_index_is_not_flagged() -> None:
    sql = "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_key;"
    schema = USERS + "CREATE UNIQUE INDEX users_email_key ON users (email);"
    assert "disallowed-unique-constraint" not in rules(sql, schema=schema)


def test_primary_key_using_index_on_nullable_column_scans() -> None:
    schema = "CREATE TABLE users (email text);CREATE UNIQUE INDEX users_email_key ON users (email);"
    sql = "ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_email_key;"
    msgs = messages(sql, "adding-not-nullable-field", schema=schema)
    assert len(msgs) == 1 and "USING INDEX" in msgs[0]
    not_null = schema.replace("email text", "email text NOT NULL")
    assert "adding-not-nullable-field" not in rules(sql, schema=not_null)


# --- SET NOT NULL and versions -------------------------------------------------------------------


def test_set_not_null_proven_by_valid_check() -> None:
    sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    valid = USERS + "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL);"
    assert "adding-not-nullable-field" not in rules(sql, schema=valid)
    not_valid = USERS + "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;"
    assert "adding-not-nullable-field" in rules(sql, schema=not_valid)


def test_check_validated_earlier_in_the_file_proves_not_null() -> None:
    sql = (
        "ALTER TABLE users ADD CONSTRAINT nn CHECK (email IS NOT NULL) NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT nn;\n"
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    )
    assert "adding-not-nullable-field" not in rules(sql, schema=USERS)


def test_not_null_constraint_not_valid_on_pg18() -> None:
    sql = "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email NOT VALID;"
    assert "adding-not-nullable-field" not in rules(sql, schema=USERS, pg_version=18)
    assert "adding-not-nullable-field" in rules(
        "ALTER TABLE users ADD CONSTRAINT users_email_nn NOT NULL email;", schema=USERS
    )


def test_detach_concurrently_is_only_suggested_from_pg14() -> None:
    schema = (
        "CREATE TABLE m (d date) PARTITION BY RANGE (d);"
        "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
    )
    sql = "ALTER TABLE m DETACH PARTITION m1;"
    assert "require-concurrent-partition-detach" in rules(sql, schema=schema, pg_version=14)
    assert "require-concurrent-partition-detach" not in rules(sql, schema=schema, pg_version=13)
    concurrent = "ALTER TABLE m DETACH PARTITION m1 CONCURRENTLY;"
    assert "require-concurrent-partition-detach" not in rules(concurrent, schema=schema)


def test_reindex_forms() -> None:
    schema = ORDERS + "CREATE INDEX orders_c ON orders (customer_id);"
    assert "require-concurrent-reindex" in rules("REINDEX TABLE orders;", schema=schema)
    assert "require-concurrent-reindex" in rules("REINDEX SCHEMA public;", schema=schema)
    for sql in ("REINDEX TABLE CONCURRENTLY orders;", "REINDEX SCHEMA CONCURRENTLY public;"):
        assert "require-concurrent-reindex" not in rules(sql, schema=schema)


def test_cluster_and_database_wide_vacuum_full() -> None:
    schema = ORDERS + "CREATE INDEX orders_c ON orders (customer_id);"
    assert "prefer-repack" in rules("CLUSTER orders USING orders_c;", schema=schema)
    assert "prefer-repack" in rules("VACUUM FULL;")
    assert "prefer-repack" not in rules("VACUUM orders;", schema=schema)


# --- locks held across statements ----------------------------------------------------------------


def test_held_lock_needs_a_transaction() -> None:
    sql = "ALTER TABLE orders ADD COLUMN a int;\nUPDATE orders SET a = 1 WHERE id = 1;"
    assert "lock-held-across-statements" not in rules(sql, schema=ORDERS)
    assert ("lock-held-across-statements", 2) in found(
        sql, schema=ORDERS, assume_in_transaction=True
    )


def test_held_lock_names_table_mode_and_line() -> None:
    sql = "BEGIN;\nSET LOCAL lock_timeout = '1s';\nALTER TABLE orders ADD COLUMN a int;\n" + (
        "SELECT count(*) FROM customers;\nCOMMIT;"
    )
    msgs = messages(sql, "lock-held-across-statements", schema=ORDERS + CUSTOMERS)
    assert len(msgs) == 1  # SET, COMMIT and the ALTER itself are not reported
    assert "ACCESS EXCLUSIVE" in msgs[0] and "public.orders" in msgs[0]
    assert "line 3" in msgs[0]


def test_quick_change_to_an_already_locked_table_is_not_reported() -> None:
    sql = (
        "BEGIN;\nALTER TABLE orders ADD COLUMN a int;\nALTER TABLE orders ADD COLUMN b int;\n"
        "COMMENT ON COLUMN orders.a IS 'x';\nCREATE INDEX orders_a ON orders (a);\nCOMMIT;"
    )
    # Only the index build (it reads every row while the table stays locked) prolongs the hold.
    assert lines_of("lock-held-across-statements", sql, schema=ORDERS) == [5]


def test_lock_on_new_table_is_not_held_against_the_file() -> None:
    sql = (
        "BEGIN;\nCREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a int;\n"
        "INSERT INTO t VALUES (1);\nCOMMIT;"
    )
    got = rules(sql)
    assert "lock-held-across-statements" not in got
    assert "multiple-tables-exclusively-locked" not in got


def test_reads_only_locks_are_not_held_against_the_file() -> None:
    sql = "BEGIN;\nSELECT * FROM orders;\nUPDATE customers SET id = id WHERE id = 1;\nCOMMIT;"
    assert "lock-held-across-statements" not in rules(sql, schema=ORDERS + CUSTOMERS)


def test_multiple_tables_reported_once_per_transaction() -> None:
    sql = (
        "ALTER TABLE orders ADD COLUMN a int;\n"
        "ALTER TABLE customers ADD COLUMN a int;\n"
        "ALTER TABLE users ADD COLUMN a int;"
    )
    schema = ORDERS + CUSTOMERS + USERS
    assert "multiple-tables-exclusively-locked" not in rules(sql, schema=schema)
    hits = [f for f in found(sql, schema=schema, assume_in_transaction=True)]
    assert [line for r, line in hits if r == "multiple-tables-exclusively-locked"] == [2]


def test_one_statement_locking_two_tables_is_not_multiple_tables() -> None:
    sql = "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;"
    got = rules(sql, schema=ORDERS + CUSTOMERS, assume_in_transaction=True)
    assert "multiple-tables-exclusively-locked" not in got


def test_partitions_count_as_their_parent() -> None:
    schema = (
        "CREATE TABLE m (d date) PARTITION BY RANGE (d);"
        "CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
    )
    sql = "ALTER TABLE m ADD COLUMN a int;\nALTER TABLE m ADD COLUMN b int;"
    got = rules(sql, schema=schema, assume_in_transaction=True)
    assert "multiple-tables-exclusively-locked" not in got


# --- validate in the transaction that added the constraint -------------------------------------


def test_validate_after_not_valid_in_one_transaction() -> None:
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT c;"
    )
    rule = "validate-in-write-blocking-transaction"
    assert rule not in rules(sql, schema=ORDERS)
    assert (rule, 2) in found(sql, schema=ORDERS, assume_in_transaction=True)
    assert (rule, 3) in found("BEGIN;\n" + sql + "\nCOMMIT;", schema=ORDERS)


def test_validate_foreign_key_with_referenced_table_held() -> None:
    sql = (
        "BEGIN;\nLOCK TABLE customers IN SHARE MODE;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT f;\nCOMMIT;"
    )
    schema = (
        ORDERS + CUSTOMERS + "ALTER TABLE orders ADD CONSTRAINT f FOREIGN KEY (customer_id) "
        "REFERENCES customers (id) NOT VALID;"
    )
    msgs = messages(sql, "validate-in-write-blocking-transaction", schema=schema)
    assert len(msgs) == 1 and "public.customers" in msgs[0]


def test_validate_alone_is_clean() -> None:
    schema = ORDERS + "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;"
    got = rules("ALTER TABLE orders VALIDATE CONSTRAINT c;", schema=schema)
    assert not got & {
        "validate-in-write-blocking-transaction",
        "require-statement-timeout",
        "lock-held-across-statements",
    }


# --- timeouts ------------------------------------------------------------------------------------


def test_statement_timeout_settings() -> None:
    sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
    rule = "require-statement-timeout"
    assert rule in rules(sql, schema=USERS)
    assert rule not in rules("SET statement_timeout = '5s';\n" + sql, schema=USERS)
    assert rule not in rules(sql, schema=USERS, runner_timeouts=True)
    assert rule in rules("SET statement_timeout = 0;\n" + sql, schema=USERS)
    local = "BEGIN;\nSET LOCAL statement_timeout = '5s';\n" + sql + "\nCOMMIT;\n" + sql
    assert [line for r, line in found(local, schema=USERS) if r == rule] == [5]


def test_statement_timeout_not_required_for_online_work() -> None:
    schema = ORDERS + "ALTER TABLE orders ADD CONSTRAINT c CHECK (total >= 0) NOT VALID;"
    for sql in (
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_c ON orders (customer_id);",
        "ALTER TABLE orders VALIDATE CONSTRAINT c;",
        "UPDATE orders SET total = 0;",
    ):
        assert "require-statement-timeout" not in rules(sql, schema=schema), sql


def test_statement_timeout_counts_locks_held_from_earlier_statements() -> None:
    sql = "BEGIN;\nLOCK TABLE orders IN SHARE MODE;\nUPDATE orders SET total = 0;\nCOMMIT;"
    assert ("require-statement-timeout", 3) in found(sql, schema=ORDERS)


def test_create_trigger_with_lock_timeout_or_held_lock() -> None:
    trig = "CREATE TRIGGER o_t BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION f();"
    rule = "create-trigger-blocks-writes"
    assert rule in rules(trig, schema=ORDERS)
    assert rule not in rules("SET lock_timeout = '2s';\n" + trig, schema=ORDERS)
    assert rule not in rules(trig, schema=ORDERS, runner_timeouts=True)
    held = "BEGIN;\nLOCK TABLE orders IN ACCESS EXCLUSIVE MODE;\n" + trig + "\nCOMMIT;"
    assert rule not in rules(held, schema=ORDERS)
