"""`--rows N`: generated rows respect types, NOT NULL, unique keys and foreign keys."""

from __future__ import annotations

from typing import Any

from trace_support import Trace, Write

from pgwarden.trace.fill import fill_order, value_expr

SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN short_code AS varchar(12);
CREATE TABLE orgs (id bigserial PRIMARY KEY, slug text NOT NULL UNIQUE, code short_code);
CREATE TABLE users (
  id uuid PRIMARY KEY,
  org_id bigint NOT NULL REFERENCES orgs,
  email varchar(40) NOT NULL UNIQUE,
  mood mood NOT NULL,
  score numeric(5,2),
  tags text[],
  created_at timestamptz NOT NULL DEFAULT now(),
  meta jsonb,
  manager_id uuid REFERENCES users
);
CREATE TABLE memberships (
  user_id uuid NOT NULL REFERENCES users,
  org_id bigint NOT NULL REFERENCES orgs,
  PRIMARY KEY (user_id, org_id)
);
CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY, at date NOT NULL, org_id bigint
  REFERENCES orgs) PARTITION BY RANGE (at);
CREATE TABLE events_recent PARTITION OF events FOR VALUES FROM ('2000-01-01') TO (MAXVALUE);
CREATE TABLE shards (id int PRIMARY KEY) PARTITION BY RANGE (id);
CREATE TABLE shards_low PARTITION OF shards FOR VALUES FROM (MINVALUE) TO (20);
CREATE TABLE shards_high PARTITION OF shards FOR VALUES FROM (20) TO (MAXVALUE);
CREATE TABLE placements (id int PRIMARY KEY, shard_id int NOT NULL REFERENCES shards);
"""


def test_rows_fill_every_table_parents_first(trace: Trace, write: Write, db: Any) -> None:
    schema = write("schema.sql", SCHEMA)
    mig = write("m.sql", "ALTER TABLE users ALTER COLUMN email TYPE varchar(60);\n")
    result = trace(mig, schema=[schema], rows=50)
    assert result.exit_code == 0
    filled = {f.table: (f.rows, f.error) for f in result.fill}
    assert filled == {
        "public.orgs": (50, ""),
        "public.users": (50, ""),
        "public.memberships": (50, ""),
        "public.events_recent": (50, ""),
        # Each partition keeps the generated rows inside its bound.
        "public.shards_low": (19, ""),
        "public.shards_high": (31, ""),
        "public.placements": (50, ""),
    }
    order = [f.table for f in result.fill]
    assert order.index("public.orgs") < order.index("public.users")
    assert order.index("public.users") < order.index("public.memberships")
    # A key referencing a partitioned table waits for all of its partitions.
    assert order.index("public.shards_high") < order.index("public.placements")
    assert order.index("public.shards_low") < order.index("public.placements")
    with db.connect() as conn:
        # Every foreign key points at a real row (the constraints would have refused
        # otherwise); the self-reference is NULL because users was empty while filling it.
        assert conn.execute("SELECT count(*) FROM users WHERE manager_id IS NULL").fetchone() == (
            50,
        )
        assert conn.execute("SELECT count(DISTINCT mood) FROM users").fetchone() == (3,)
        assert conn.execute("SELECT count(DISTINCT org_id) FROM memberships").fetchone() == (50,)


def test_rows_without_commit_are_rolled_back(trace: Trace, write: Write, db: Any) -> None:
    schema = write("schema.sql", "CREATE TABLE t (id int PRIMARY KEY, c char(3) NOT NULL);\n")
    mig = write("m.sql", "ALTER TABLE t ADD COLUMN d int;\n")
    result = trace(mig, schema=[schema], rows=20, commit=False)
    assert [(f.table, f.rows) for f in result.fill] == [("public.t", 20)]
    with db.connect() as conn:
        assert conn.execute("SELECT to_regclass('public.t')").fetchone() == (None,)


def test_a_rejected_table_is_reported_not_fatal(trace: Trace, write: Write) -> None:
    schema = write(
        "schema.sql",
        "CREATE TABLE picky (id int PRIMARY KEY CHECK (id < 0));\nCREATE TABLE ok (id int);\n",
    )
    mig = write("m.sql", "ALTER TABLE ok ADD COLUMN x int;\n")
    result = trace(mig, schema=[schema], rows=5)
    got = {f.table: f for f in result.fill}
    assert got["public.ok"].rows == 5
    assert got["public.picky"].rows == 0 and "picky_id_check" in got["public.picky"].error
    assert result.exit_code == 0


def test_value_expressions() -> None:
    assert value_expr("int4", "b", -1, None) == "g.i"
    # numeric(5,2): three integer digits at most.
    assert value_expr("numeric", "b", ((5 << 16) | 2) + 4, None) == "(g.i % 1000)"
    assert value_expr("box", "b", -1, None) is None
    assert "3650" in (value_expr("date", "b", -1, None, rows=10) or "")
    assert fill_order([]) == []
