"""Finding the row a failed statement trips on, against a real server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from pgwarden.embedded import Cluster
from pgwarden.rehearse.offending import find_offending
from pgwarden.trace.model import ServerError

ROWS = """
CREATE SCHEMA app;
CREATE TABLE app.t (id int PRIMARY KEY, s text, n int NOT NULL, d int);
INSERT INTO app.t SELECT g, g::text, g, 1 FROM generate_series(1, 500) g;
UPDATE app.t SET s = 'x' || repeat('y', 20) WHERE id = 333;
UPDATE app.t SET s = NULL WHERE id IN (7, 8);
UPDATE app.t SET d = 0 WHERE id = 250;
"""


@pytest.fixture
def dsn(pg18: Cluster) -> Iterator[str]:
    name = f"o_{uuid.uuid4().hex[:12]}"
    pg18.create_database(name)
    with psycopg.connect(pg18.dsn(name), autocommit=True) as conn:
        conn.execute(ROWS)
    yield pg18.dsn(name)
    pg18.drop_database(name)


def _fail(dsn: str, statement: str) -> ServerError:
    with psycopg.connect(dsn, autocommit=True) as conn:
        try:
            conn.execute(statement)
        except psycopg.Error as exc:
            d = exc.diag
            return ServerError(
                "m.sql",
                1,
                1,
                d.sqlstate or "",
                d.message_primary or "",
                d.message_detail or "",
                d.message_hint or "",
                statement,
                1,
            )
    raise AssertionError(f"{statement} did not fail")


@pytest.mark.parametrize(
    ("statement", "ids"),
    [
        ("ALTER TABLE app.t ALTER COLUMN s TYPE integer USING s::integer", [333]),
        ("ALTER TABLE app.t ALTER s TYPE varchar(5)", [333]),  # no USING: assignment cast
        ("UPDATE app.t AS x SET n = x.s::int + 1 WHERE x.id > 300", [333]),
        ("UPDATE app.t SET n = n / d", [250]),
        ("ALTER TABLE app.t ALTER COLUMN s SET NOT NULL", [7, 8]),
        ("ALTER TABLE app.t ADD CONSTRAINT short CHECK (length(s) < 10)", [333]),
    ],
)
def test_finds_the_offending_rows(dsn: str, statement: str, ids: list[int]) -> None:
    found = find_offending(dsn, _fail(dsn, statement))
    assert found is not None, statement
    assert "found by pgwarden" in found.how
    assert sorted(int(r.split(",")[0].removeprefix('{"id":')) for r in found.rows) == ids


def test_postgres_names_the_row_itself(dsn: str) -> None:
    found = find_offending(dsn, _fail(dsn, "UPDATE app.t SET n = NULL WHERE id = 5"))
    assert found is not None
    assert found.how == "named by PostgreSQL"
    assert found.rows[0].startswith("Failing row contains (5,")


def test_no_guess_when_the_statement_is_out_of_reach(dsn: str) -> None:
    statement = "UPDATE app.t SET n = o.s::int FROM app.t AS o WHERE o.id = app.t.id"
    assert find_offending(dsn, _fail(dsn, statement)) is None
