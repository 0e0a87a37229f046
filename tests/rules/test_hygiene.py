"""Hygiene rules: long identifiers, duplicate assignments, schema names, FK indexes, ALTERs."""

from __future__ import annotations

import pytest
from _lint_snippets import findings, of

from pgwarden.rules.base import Severity

# --- identifier-too-long ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "flagged"),
    [
        ("a" * 63, False),
        ("a" * 64, True),
        ("é" * 32, True),  # 32 characters, 64 bytes
        ("é" * 31 + "a", False),  # 32 characters, 63 bytes
        ("日本" * 10 + "x" * 4, True),  # 24 characters, 64 bytes
    ],
)
def test_identifier_length_is_counted_in_utf8_bytes(name: str, flagged: bool) -> None:
    quoted = f'CREATE TABLE "{name}" (id bigint);'
    unquoted = f"CREATE TABLE {name} (id bigint);"
    assert bool(of("identifier-too-long", quoted)) is flagged
    assert bool(of("identifier-too-long", unquoted)) is flagged


def test_truncation_keeps_whole_characters() -> None:
    (f,) = of("identifier-too-long", f"CREATE TABLE {'é' * 32} (id bigint);")
    assert f'"{"é" * 31}" (62 bytes)' in f.message


def test_long_identifier_position_and_kind() -> None:
    long = "c" * 70
    sql = f"SELECT 1;\nCREATE TABLE t (\n    id bigint,\n    {long} text\n);"
    (f,) = of("identifier-too-long", sql)
    assert (f.line, f.column) == (4, 5)
    assert "70 bytes" in f.message


@pytest.mark.parametrize(
    "sql",
    [
        f"SELECT '{'x' * 100}';",
        f"SELECT $${'x' * 100}$$;",
        f"-- {'x' * 100}\nSELECT 1;",
        f"SELECT 1 AS {'x' * 63};",
    ],
)
def test_literals_comments_and_short_names_are_not_identifiers(sql: str) -> None:
    assert of("identifier-too-long", sql) == []


def test_unicode_escaped_identifier() -> None:
    name = "\\00e9" * 32  # U&"\00e9..." is 32 é: 64 bytes
    assert of("identifier-too-long", f'CREATE TABLE U&"{name}" (id bigint);')


# --- ban-duplicate-column-assignments -----------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE t SET a = 1, a = 2;",
        "UPDATE t SET (a, b) = (1, 2), a = 3;",
        "UPDATE t SET a = 1, a[1] = 2;",
        "INSERT INTO t (a, b, a) VALUES (1, 2, 3);",
        "INSERT INTO t (a) VALUES (1) ON CONFLICT (a) DO UPDATE SET b = 1, b = 2;",
        "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN UPDATE SET b = 1, b = 2;",
        "MERGE INTO t USING s ON t.a = s.a WHEN NOT MATCHED THEN INSERT (a, a) VALUES (1, 2);",
        "WITH u AS (UPDATE t SET a = 1, a = 2 RETURNING *) SELECT * FROM u;",
        "WITH s AS (SELECT 1) INSERT INTO t (a, b, a) SELECT 1, 2, 3 FROM s;",
        "WITH u AS (DELETE FROM x RETURNING *) UPDATE t SET b = 1, b = 2;",
        "CREATE RULE r AS ON INSERT TO v DO INSTEAD UPDATE t SET a = 1, a = 2;",
    ],
)
def test_duplicate_assignments(sql: str) -> None:
    (f,) = of("ban-duplicate-column-assignments", sql)
    assert f.severity is Severity.ERROR
    assert "column a of public.t" in f.message or "column b of public.t" in f.message


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE t SET a = 1, b = 2;",
        "UPDATE t SET a[1] = 1, a[2] = 2;",
        "UPDATE t SET c.x = 1, c.y = 2;",
        "INSERT INTO t (a[1], a[2]) VALUES (1, 2);",
        "INSERT INTO t SELECT 1, 1;",
    ],
)
def test_distinct_assignments(sql: str) -> None:
    assert of("ban-duplicate-column-assignments", sql) == []


# --- require-table-schema ---------------------------------------------------------------


def test_require_table_schema_is_opt_in() -> None:
    assert not [f for f in findings("CREATE TABLE t (id bigint);") if f.code == "PW603"]


@pytest.mark.parametrize(
    ("sql", "names"),
    [
        ("CREATE TABLE t (id bigint);", ["t"]),
        ("CREATE TABLE public.t (id bigint);", []),
        ("DROP TABLE t, public.u;", ["t"]),
        ("CREATE TEMP TABLE t (id bigint);", []),
        ("WITH x AS (SELECT 1) INSERT INTO public.t SELECT * FROM x;", []),
        ("CREATE VIEW public.v AS SELECT * FROM t JOIN t AS t2 USING (id);", ["t"]),
        ("CREATE INDEX CONCURRENTLY t_idx ON public.t (id);", []),
    ],
)
def test_unqualified_names(sql: str, names: list[str]) -> None:
    found = of("require-table-schema", sql)
    assert [f.message.split(" ", 1)[0] for f in found] == names


# --- foreign-key-without-index ----------------------------------------------------------

PARENT = "CREATE TABLE customers (id bigint PRIMARY KEY);\n"


def test_fk_without_index_points_at_the_statement_that_adds_it() -> None:
    sql = (
        PARENT
        + "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);"
    )
    (f,) = of("foreign-key-without-index", sql)
    assert f.line == 2 and "public.orders" in f.message and "(customer_id)" in f.message
    assert f.help == "CREATE INDEX ON public.orders (customer_id)"


def test_index_created_later_in_the_file_counts() -> None:
    sql = (
        PARENT
        + "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint REFERENCES customers);\n"
        + "CREATE INDEX ON orders (customer_id, id);"
    )
    assert of("foreign-key-without-index", sql) == []


def test_composite_fk_leading_columns_in_any_order() -> None:
    schema = "CREATE TABLE p (a bigint, b bigint, PRIMARY KEY (a, b));"
    base = "CREATE TABLE c (x bigint, a bigint, b bigint, FOREIGN KEY (a, b) REFERENCES p);\n"
    assert of("foreign-key-without-index", base + "CREATE INDEX ON c (b, a, x);", schema) == []
    assert of("foreign-key-without-index", base + "CREATE INDEX ON c (a, x, b);", schema)
    assert of("foreign-key-without-index", base + "CREATE INDEX ON c (a);", schema)


def test_partial_index_does_not_count() -> None:
    sql = (
        PARENT
        + "CREATE TABLE o (id bigint PRIMARY KEY, cid bigint REFERENCES customers);\n"
        + "CREATE INDEX ON o (cid) WHERE cid IS NOT NULL;"
    )
    assert of("foreign-key-without-index", sql)


def test_primary_key_of_a_join_table_covers_its_first_column_only() -> None:
    sql = (
        PARENT
        + "CREATE TABLE tags (id bigint PRIMARY KEY);\n"
        + "CREATE TABLE customer_tags (customer_id bigint REFERENCES customers, "
        + "tag_id bigint REFERENCES tags, PRIMARY KEY (customer_id, tag_id));"
    )
    (f,) = of("foreign-key-without-index", sql)
    assert "(tag_id)" in f.message


def test_fk_added_to_an_existing_table_uses_its_known_indexes() -> None:
    schema = PARENT + (
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);\n"
        "CREATE INDEX orders_customer_idx ON orders (customer_id);"
    )
    sql = (
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk "
        "FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;"
    )
    assert of("foreign-key-without-index", sql, schema) == []
    sql2 = "ALTER TABLE orders ADD COLUMN buyer_id bigint REFERENCES customers;"
    (f,) = of("foreign-key-without-index", sql2, schema)
    assert f.help == "CREATE INDEX CONCURRENTLY ON public.orders (buyer_id)"


def test_fk_on_an_unknown_table_is_not_guessed() -> None:
    sql = "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers NOT VALID;"
    assert of("foreign-key-without-index", sql) == []


# --- combine-alter-table ----------------------------------------------------------------

USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text);"
TWO = "ALTER TABLE users ADD COLUMN a text;\nALTER TABLE users ADD COLUMN b text;"


def test_two_alters_in_a_transaction_are_flagged_once() -> None:
    (f,) = of("combine-alter-table", f"BEGIN;\n{TWO}\nCOMMIT;", USERS)
    assert f.severity is Severity.INFO and f.line == 3 and "line 2" in f.message


def test_alters_outside_a_transaction_are_not_flagged() -> None:
    assert of("combine-alter-table", TWO, USERS) == []
    assert len(of("combine-alter-table", TWO, USERS, assume_in_transaction=True)) == 1


def test_new_tables_and_validate_are_not_counted() -> None:
    assert of("combine-alter-table", f"BEGIN;\n{USERS}\n{TWO}\nCOMMIT;") == []
    sql = (
        "BEGIN;\nALTER TABLE users ADD CONSTRAINT c CHECK (email <> '') NOT VALID;\n"
        "ALTER TABLE users VALIDATE CONSTRAINT c;\nCOMMIT;"
    )
    assert of("combine-alter-table", sql, USERS) == []


def test_a_statement_on_the_table_in_between_splits_the_run() -> None:
    sql = (
        "BEGIN;\nALTER TABLE users ADD COLUMN a text;\nUPDATE users SET a = email;\n"
        "ALTER TABLE users ALTER COLUMN a SET NOT NULL;\nCOMMIT;"
    )
    assert of("combine-alter-table", sql, USERS) == []
    other = sql.replace("UPDATE users SET a = email", "UPDATE accounts SET x = 1")
    assert len(of("combine-alter-table", other, USERS)) == 1
