"""What a traced statement reports: new and held locks, FKs, partitions, rewrites, scans."""

from __future__ import annotations

from typing import Any

from trace_support import Trace, Write, held_of, locks_of

SCHEMA = """
CREATE TABLE customers (id bigint PRIMARY KEY, email text NOT NULL);
CREATE TABLE orders (id int PRIMARY KEY, customer_id bigint, total int, note text);
INSERT INTO customers VALUES (1, 'a@example.com');
INSERT INTO orders VALUES (1, 1, 10, 'x');
"""


def test_locks_accumulate_in_the_files_transaction(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0002.sql",
        """
        ALTER TABLE orders ADD COLUMN status text;
        CREATE INDEX orders_status ON orders (status);
        SELECT count(*) FROM customers;
        """,
    )
    result = trace(mig, schema=[schema])
    assert result.exit_code == 0
    (f,) = result.files
    assert f.transaction == "file"
    add, idx, sel = f.statements
    assert locks_of(add) == {"public.orders": "AccessExclusiveLock"}
    assert add.held == ()
    assert all(s.in_transaction and not s.sampled for s in f.statements)
    # CREATE INDEX takes SHARE on the table; the earlier ACCESS EXCLUSIVE is still held.
    assert locks_of(idx)["public.orders"] == "ShareLock"
    assert locks_of(idx)["public.orders_status"] == "AccessExclusiveLock"
    assert next(lk for lk in idx.locks if lk.relation == "public.orders_status").new
    assert held_of(idx) == {"public.orders": "AccessExclusiveLock"}
    assert held_of(sel)["public.orders"] == "AccessExclusiveLock"
    assert held_of(sel)["public.orders_status"] == "AccessExclusiveLock"
    # The planner also opens customers' index; nothing new on orders.
    assert locks_of(sel)["public.customers"] == "AccessShareLock"
    assert not any(r.startswith("public.orders") for r in locks_of(sel))
    assert sel.rows == 1
    assert [s.line for s in f.statements] == [1, 2, 3]


def test_foreign_key_locks_the_referenced_table(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0003.sql",
        "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk\n"
        "  FOREIGN KEY (customer_id) REFERENCES customers (id);\n",
    )
    (stmt,) = trace(mig, schema=[schema]).statements()
    got = locks_of(stmt)
    assert got["public.orders"] == "ShareRowExclusiveLock"
    assert got["public.customers"] == "ShareRowExclusiveLock"
    # Validating the new key reads both tables in full.
    assert set(stmt.scans) >= {"public.orders"}
    assert stmt.kind == "ALTER TABLE ADD FOREIGN KEY"


def test_partitioned_table_locks_every_partition(trace: Trace, write: Write) -> None:
    schema = write(
        "schema.sql",
        """
        CREATE TABLE events (id int NOT NULL, k int NOT NULL) PARTITION BY RANGE (k);
        CREATE TABLE events_a PARTITION OF events FOR VALUES FROM (0) TO (10);
        CREATE TABLE events_b PARTITION OF events FOR VALUES FROM (10) TO (20);
        INSERT INTO events VALUES (1, 1), (2, 15);
        """,
    )
    mig = write("0004.sql", "ALTER TABLE events ADD COLUMN payload text;\n")
    (stmt,) = trace(mig, schema=[schema]).statements()
    assert locks_of(stmt) == {
        "public.events": "AccessExclusiveLock",
        "public.events_a": "AccessExclusiveLock",
        "public.events_b": "AccessExclusiveLock",
    }
    kinds = {lk.relation: lk.relkind for lk in stmt.locks}
    assert kinds["public.events"] == "partitioned"
    assert kinds["public.events_a"] == "table"


def test_rewrites_index_rebuilds_and_scans(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0005.sql",
        """
        ALTER TABLE orders ALTER COLUMN id TYPE bigint;
        ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
        ALTER TABLE orders ADD COLUMN flag boolean;
        """,
    )
    retype, not_null, add = trace(mig, schema=[schema]).statements()
    assert retype.rewrites == ("public.orders",)
    assert retype.index_rebuilds == ("public.orders_pkey",)
    assert not_null.rewrites == ()
    assert not_null.scans == ("public.orders",)
    assert add.rewrites == () and add.scans == ()


def test_a_renamed_table_is_reported_under_the_name_it_was_locked_by(
    trace: Trace, write: Write, db: Any
) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0006.sql",
        "ALTER TABLE orders RENAME TO orders_old;\nALTER TABLE orders_old ADD COLUMN z int;\n",
    )
    rename, add = trace(mig, schema=[schema], compare=True).statements()
    assert locks_of(rename) == {"public.orders": "AccessExclusiveLock"}
    assert rename.comparison is not None and rename.comparison.status == "agree"
    assert held_of(add) == {"public.orders_old": "AccessExclusiveLock"}


def test_explicit_transactions_run_as_written(trace: Trace, write: Write) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0007.sql",
        """
        ALTER TABLE orders ADD COLUMN a int;
        BEGIN;
        ALTER TABLE orders ADD COLUMN b int;
        ALTER TABLE customers ADD COLUMN c int;
        COMMIT;
        """,
    )
    (f,) = trace(mig, schema=[schema]).files
    assert f.transaction == "as-written"
    a, b, c = f.statements  # BEGIN and COMMIT are not reported as statements
    assert not a.in_transaction and b.in_transaction and c.in_transaction
    assert held_of(b) == {}  # a's transaction ended with a itself
    assert held_of(c) == {"public.orders": "AccessExclusiveLock"}


def test_without_commit_setup_locks_show_as_held(trace: Trace, write: Write, db: Any) -> None:
    """--dsn without --commit: the schema is applied in the same (rolled-back) transaction, so
    its locks are held all along; re-taking a held mode shows under held, never as new."""
    schema = write("schema.sql", "CREATE TABLE t (id int PRIMARY KEY, a int);\n")
    mig = write("m.sql", "CREATE INDEX t_a ON t (a);\n")
    result = trace(mig, schema=[schema], commit=False, compare=True)
    (f,) = result.files
    assert f.transaction == "shared"
    assert any("same transaction as the schema setup" in n for n in f.notices)
    (idx,) = f.statements
    # CREATE TABLE ... PRIMARY KEY already took SHARE (index build) and ACCESS EXCLUSIVE on t.
    assert "public.t" not in locks_of(idx)
    assert {lk.mode.name for lk in idx.held if lk.relation == "public.t"} >= {
        "ShareLock",
        "AccessExclusiveLock",
    }
    assert idx.comparison is not None and idx.comparison.status == "agree"
    assert not result.committed
