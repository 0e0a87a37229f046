"""Statements that cannot run in a transaction are run in autocommit and sampled."""

from __future__ import annotations

from typing import Any

import pytest
from trace_support import Trace, Write, locks_of

from pgwarden.errors import UsageError

SCHEMA = """
CREATE TABLE orders (id int PRIMARY KEY, total int);
INSERT INTO orders SELECT g, g FROM generate_series(1, 100) g;
"""


def test_create_index_concurrently_is_sampled(trace: Trace, write: Write, db: Any) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write(
        "0002.sql",
        """
        CREATE INDEX CONCURRENTLY orders_total ON orders (total);
        ALTER TABLE orders ADD COLUMN note text;
        """,
    )
    result = trace(mig, schema=[schema], compare=True)
    assert result.exit_code == 0
    (f,) = result.files
    assert f.transaction == "as-written"
    cic, add = f.statements
    assert cic.sampled and not cic.in_transaction and not cic.transactional
    # Session-level SHARE UPDATE EXCLUSIVE for the whole build, seen by the sampler.
    assert locks_of(cic)["public.orders"] == "ShareUpdateExclusiveLock"
    assert cic.comparison is not None and cic.comparison.status == "agree"
    # The next statement runs in its own transaction, observed exactly.
    assert not add.sampled and locks_of(add) == {"public.orders": "AccessExclusiveLock"}
    with db.connect() as conn:
        row = conn.execute(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 'orders_total'::regclass"
        ).fetchone()
    assert row == (True,)


def test_concurrently_needs_commit_on_a_dsn(trace: Trace, write: Write) -> None:
    mig = write("cic.sql", "CREATE TABLE t (a int);\nCREATE INDEX CONCURRENTLY t_a ON t (a);\n")
    with pytest.raises(UsageError, match=r"cic\.sql:2:1: CREATE INDEX CONCURRENTLY cannot run"):
        trace(mig, commit=False)
