"""Inline directives: `-- pgwarden: ignore[...]` (next statement) and `ignore-file[...]`."""

from __future__ import annotations

from pathlib import Path

from pgwarden.config import LintConfig
from pgwarden.lint import lint_paths, lint_text
from pgwarden.sql import ParsedFile, SqlSource, parse_source
from pgwarden.sql.directives import ALL


def parse(sql: str) -> ParsedFile:
    parsed = parse_source(SqlSource("d.sql", None, sql))
    assert isinstance(parsed, ParsedFile), str(parsed)
    return parsed


def test_ignore_applies_to_the_next_statement_only() -> None:
    parsed = parse(
        "-- pgwarden: ignore[require-concurrent-index-creation, PW114]\n"
        "CREATE INDEX i ON t (a);\n"
        "CREATE INDEX j ON t (b);\n"
        "SELECT 1; -- pgwarden: ignore[ban-truncate]\n"
        "/* a block comment between */\n"
        "TRUNCATE t;\n"
    )
    ignores = [sorted(s.ignores) for s in parsed.statements]
    assert ignores == [
        ["PW114", "require-concurrent-index-creation"],
        [],
        [],
        ["ban-truncate"],  # a directive after `;` belongs to the statement that follows
    ]
    first = parsed.statements[0].directive
    assert first is not None and (first.line, first.column) == (1, 1)
    assert parsed.file_ignores is None


def test_bare_ignore_means_every_rule() -> None:
    parsed = parse("-- PGWARDEN:   Ignore\nTRUNCATE t;\n")
    assert parsed.statements[0].ignores == frozenset({ALL})


def test_ignore_file_anywhere_in_the_file() -> None:
    parsed = parse(
        "SELECT 1;\n-- pgwarden: ignore-file[a, b]\nSELECT 2;\n-- pgwarden: ignore-file[c]"
    )
    assert parsed.file_ignores == frozenset({"a", "b", "c"})
    assert all(not s.ignores for s in parsed.statements)
    assert parse("-- pgwarden: ignore-file\n").file_ignores == frozenset({ALL})


def test_malformed_directives_become_notices() -> None:
    parsed = parse(
        "-- pgwarden: ignroe[x]\n"
        "SELECT 1;\n"
        "  -- pgwarden ignore[x]\n"
        "SELECT 2;\n"
        "-- pgwarden: ignore[]\n"
        "SELECT 3;\n"
        "-- pgwarden: ignore[a b]\n"
        "SELECT 4;\n"
        "-- pgwarden: ignore[unclosed\n"
        "SELECT 5;\n"
        "-- pgwarden is great, this is just a remark\n"
    )
    notes = [(n.line, n.column, n.message.split(":")[0]) for n in parsed.notices]
    assert notes == [
        (1, 1, "malformed pgwarden directive"),
        (3, 3, "malformed pgwarden directive (missing `"),
        (5, 1, "pgwarden directive lists no rule"),
        (7, 1, "pgwarden directive has an invalid rule name 'a b'"),
        (9, 1, "malformed pgwarden directive"),
    ]
    assert all(not s.ignores for s in parsed.statements)


def test_directive_text_inside_strings_is_not_a_directive() -> None:
    parsed = parse(
        "SELECT '-- pgwarden: ignore[x]';\n"
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$\n-- pgwarden: bogus\nSELECT 1 $$;\n"
        "TRUNCATE t;\n"
    )
    assert parsed.notices == [] and parsed.directives == []
    assert all(not s.ignores for s in parsed.statements)


def test_directives_silence_findings_end_to_end(tmp_path: Path) -> None:
    schema = "CREATE TABLE t (a int, b int);"
    config = LintConfig(select=frozenset({"require-concurrent-index-creation"}))
    loud = lint_text("CREATE INDEX i ON t (a);", config, schema_sql=schema)
    assert [f.rule for f in loud.files[0].all_findings()] == ["require-concurrent-index-creation"]
    quiet = lint_text(
        "-- pgwarden: ignore[require-concurrent-index-creation]\nCREATE INDEX i ON t (a);\n"
        "CREATE INDEX j ON t (b);",
        config,
        schema_sql=schema,
    )
    assert [f.line for f in quiet.files[0].all_findings()] == [3]
    whole = lint_text(
        "CREATE INDEX i ON t (a);\n-- pgwarden: ignore-file[require-concurrent-index-creation]",
        config,
        schema_sql=schema,
    )
    assert whole.files[0].all_findings() == []

    # A malformed directive is reported as a notice, and silences nothing.
    path = tmp_path / "m.sql"
    path.write_text("-- pgwarden: ignore[\nCREATE TABLE u (a int);\n")
    result = lint_paths([str(path)], LintConfig(cache=False))
    assert result.files[0].notices[0][:2] == (1, 1)
    assert "malformed" in result.files[0].notices[0][2]
