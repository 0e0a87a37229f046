"""Alembic's offline SQL: findings name the revision whose `-- Running ...` comment they follow."""

from __future__ import annotations

from pgwarden.config import LintConfig
from pgwarden.lint import lint_text

SCHEMA = "CREATE TABLE orders (id int PRIMARY KEY, total int);"
SCRIPT = """\
SET statement_timeout = 0;

-- Running upgrade  -> 1975ea83b712

CREATE INDEX orders_total_idx ON orders (total);

-- Running upgrade 1975ea83b712 -> 9c2e4b8d1a63

ALTER TABLE orders ALTER COLUMN total TYPE bigint;

-- Running downgrade 9c2e4b8d1a63 -> 1975ea83b712

DROP INDEX orders_total_idx;
"""


def _messages(sql: str) -> dict[int, list[str]]:
    (f,) = lint_text(sql, LintConfig(cache=False), schema_sql=SCHEMA).files
    return {s.line: [x.message for x in s.findings] for s in f.statements}


def test_findings_name_the_revision_they_belong_to() -> None:
    by_line = _messages(SCRIPT)
    assert not any(m.startswith("revision") for m in by_line[1])  # before any revision
    assert by_line[5] and all(m.startswith("revision 1975ea83b712: ") for m in by_line[5])
    assert by_line[9] and all(m.startswith("revision 9c2e4b8d1a63: ") for m in by_line[9])
    # A downgrade undoes the revision named first.
    assert by_line[13] and all(m.startswith("revision 9c2e4b8d1a63: ") for m in by_line[13])


def test_other_files_are_unchanged() -> None:
    plain = SCRIPT.replace("-- Running", "-- Ran")
    assert not any(m.startswith("revision") for ms in _messages(plain).values() for m in ms)
