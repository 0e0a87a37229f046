"""Parser front-end: statement positions, transaction blocks, psql meta-commands, errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pgwarden.sql import ParsedFile, ParseFailure, SqlSource, parse_source
from pgwarden.sql._scan import lex, skip_trivia
from pgwarden.sql.source import MAX_STATEMENT, _raw_parse


def parse(sql: str, name: str = "m.sql") -> ParsedFile:
    parsed = parse_source(SqlSource(name, None, sql))
    assert isinstance(parsed, ParsedFile), str(parsed)
    return parsed


def fail(sql: str | bytes, name: str = "m.sql") -> ParseFailure:
    src = SqlSource(name, None, None, sql) if isinstance(sql, bytes) else SqlSource(name, None, sql)
    parsed = parse_source(src)
    assert isinstance(parsed, ParseFailure), parsed
    return parsed


def positions(sql: str) -> list[tuple[int, int, int, str]]:
    return [(s.line, s.column, s.end_line, s.text) for s in parse(sql).statements]


def test_positions_are_one_based_and_skip_leading_comments() -> None:
    sql = (
        "-- create the table\n"
        "/* block /* nested */ still comment */\n"
        "CREATE TABLE t (\n  id int\n);\n"
        "\n"
        "   ALTER TABLE t ADD COLUMN x int;  SELECT 1"
    )
    assert positions(sql) == [
        (3, 1, 5, "CREATE TABLE t (\n  id int\n)"),
        (7, 4, 7, "ALTER TABLE t ADD COLUMN x int"),
        (7, 37, 7, "SELECT 1"),
    ]


def test_columns_count_characters_not_bytes() -> None:
    # 'é' is two bytes in UTF-8 and '€' three; columns are in characters.
    sql = "SELECT 'é€';  SELECT 2;\nCOMMENT ON TABLE t IS 'ü'; SELECT 3;"
    assert [(ln, c) for ln, c, _, _ in positions(sql)] == [(1, 1), (1, 15), (2, 1), (2, 28)]


def test_crlf_line_endings() -> None:
    sql = "SELECT 1;\r\n\r\n  SELECT 2;\r\n"
    assert positions(sql) == [(1, 1, 1, "SELECT 1"), (3, 3, 3, "SELECT 2")]


def test_bom_is_not_a_column() -> None:
    assert positions("\ufeffSELECT 1;") == [(1, 1, 1, "SELECT 1")]
    parsed = parse_source(SqlSource("b.sql", None, None, b"\xef\xbb\xbfSELECT 1;"))
    assert isinstance(parsed, ParsedFile)
    assert parsed.statements[0].column == 1


def test_empty_and_comment_only_files_have_no_statements() -> None:
    assert parse("").statements == []
    assert parse("-- nothing\n/* here */\n;;\n").statements == []


@pytest.mark.parametrize(
    ("sql", "line", "column", "message"),
    [
        ("SELECT 1;\nSELEC 2;", 2, 1, 'syntax error at or near "SELEC"'),
        ("SELECT 'é', x frm t", 1, 19, 'syntax error at or near "t"'),
        ("SELECT 1;\r\n  ALTER TABLE t ADD COLUMN;", 2, 27, 'syntax error at or near ";"'),
        ("CREATE TABLE t (\n  id int,\n", 2, 10, "syntax error at end of input"),
        ("SELECT 1 +   \n-- trailing comment\n", 2, 20, "syntax error at end of input"),
        ("SELECT 'unterminated", 1, 8, "unterminated quoted string"),
        ("SELECT $$ body", 1, 8, "unterminated dollar-quoted string"),
    ],
)
def test_syntax_error_is_located(sql: str, line: int, column: int, message: str) -> None:
    err = fail(sql, "migrations/0001.sql")
    assert (err.line, err.column) == (line, column)
    assert err.message.startswith(message)
    assert str(err) == f"migrations/0001.sql:{line}:{column}: {err.message}"


def test_bad_encoding_and_nul_bytes_are_clean_failures() -> None:
    err = fail(b"SELECT 1;\nSELECT '\xff';")
    assert (err.line, err.column) == (2, 9)
    assert "not valid UTF-8 (byte 0xff)" in err.message
    err = fail("SELECT 1;\n  \x00")
    assert (err.line, err.column, err.message.startswith("contains a NUL byte")) == (2, 3, True)


def test_begin_commit_blocks() -> None:
    sql = """
    CREATE TABLE a (id int);
    BEGIN;
    ALTER TABLE a ADD COLUMN x int;
    COMMIT;
    START TRANSACTION;
    SELECT 1;
    COMMIT AND CHAIN;
    SELECT 2;
    ROLLBACK;
    SELECT 3;
    BEGIN;
    SELECT 4;
    END;
    BEGIN;
    ABORT;
    """
    blocks = [(s.text.split()[0], s.in_block) for s in parse(sql).statements]
    assert blocks == [
        ("CREATE", False),
        ("BEGIN", False),
        ("ALTER", True),
        ("COMMIT", True),
        ("START", False),
        ("SELECT", True),
        ("COMMIT", True),
        ("SELECT", True),  # AND CHAIN starts the next transaction at once
        ("ROLLBACK", True),
        ("SELECT", False),
        ("BEGIN", False),
        ("SELECT", True),
        ("END", True),
        ("BEGIN", False),
        ("ABORT", True),
    ]


def test_psql_meta_commands_are_skipped_with_a_notice() -> None:
    sql = (
        "\\set ON_ERROR_STOP on\n"
        "CREATE TABLE t (id int);\n"
        "  \\i other.sql\n"
        "SELECT 'not \\a meta' AS x, $$\n\\not meta either\n$$;\n"
        "SELECT 1 \\gset\n"
        "SELECT 2;\n"
    )
    parsed = parse(sql)
    assert [(s.line, s.text) for s in parsed.statements] == [
        (2, "CREATE TABLE t (id int)"),
        (4, "SELECT 'not \\a meta' AS x, $$\n\\not meta either\n$$"),
        (7, "SELECT 1"),
        (8, "SELECT 2"),
    ]
    assert [(n.line, n.column, n.message) for n in parsed.notices] == [
        (1, 1, "skipped psql meta-command \\set"),
        (3, 3, "skipped psql meta-command \\i (the included file is not linted here)"),
        (7, 10, "skipped psql meta-command \\gset"),
    ]


def test_copy_from_stdin_data_is_skipped() -> None:
    sql = "COPY t (a, b) FROM stdin;\n1\tsemi;colon\n2\t\\N\n\\.\nALTER TABLE t ADD COLUMN c int;\n"
    parsed = parse(sql)
    assert [(s.line, s.text.split()[0]) for s in parsed.statements] == [(1, "COPY"), (5, "ALTER")]
    assert [(n.line, n.message) for n in parsed.notices] == [
        (2, "skipped 2 line(s) of COPY ... FROM STDIN data")
    ]


def test_lexer_ignores_quotes_comments_and_dollar_bodies() -> None:
    sql = (
        "SELECT E'it\\'s \\\\', 'a''b', \"q\"\"\", a$b, $1; -- c1\n"
        "/* -- not a line comment /* nested */ */ SELECT $tag$ -- no $$ $tag$; -- c2"
    )
    lexed = lex(sql)
    assert [sql[s:e] for s, e in lexed.comments] == ["-- c1", "-- c2"]
    assert lexed.meta == [] and lexed.copy_data == []
    text = "  -- x\n /* a /* b */ */ SELECT"
    assert text[skip_trivia(text) :] == "SELECT"


def test_unvalidated_parse_matches_pglast() -> None:
    """_raw_parse switches off pglast's attribute validation; the trees must be identical."""
    from pglast import parser

    sql = """
    CREATE TABLE t (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, v varchar(10)[] NOT NULL
      DEFAULT '{}', f float8 CHECK (f > 1.5e3), u uuid DEFAULT gen_random_uuid());
    ALTER TABLE t ALTER COLUMN v TYPE text USING v::text, ADD CONSTRAINT c UNIQUE (v);
    CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t USING gin (v) WHERE f IS NOT NULL;
    SELECT 'é', -1, 2.5, true, null, B'101', x'1f' FROM t WHERE id = ANY(ARRAY[1, 2]);
    DO $$ BEGIN RAISE NOTICE 'x'; END $$;
    """
    assert _raw_parse(sql) == parser.parse_sql(sql)
    from pglast import ast

    # Validation is back afterwards.
    with pytest.raises(ValueError):
        ast.RangeVar().inh = "not a bool"


def test_unvalidated_nodes_nests_and_restores_validation() -> None:
    from pglast import ast

    from pgwarden.sql.source import unvalidated_nodes

    with unvalidated_nodes():
        with unvalidated_nodes():
            ast.RangeVar().inh = "unchecked"  # type: ignore[assignment]
        ast.RangeVar().inh = "still unchecked"  # type: ignore[assignment]
    with pytest.raises(ValueError):
        ast.RangeVar().inh = "not a bool"  # type: ignore[assignment]


def test_unvalidated_nodes_swaps_enum_classes_for_lookups_and_back() -> None:
    """Trees built in the block hold the very enum members pglast makes (a tree comparison
    would not tell: an IntEnum member equals its int), and the classes come back after."""
    from pglast import enums, parser

    from pgwarden.sql.source import _Members, unvalidated_nodes

    cls, flags = enums.ObjectType, enums.TableLikeOption
    with unvalidated_nodes():
        stmt = parser.parse_sql(
            "ALTER TABLE t ADD COLUMN a int;"
            " CREATE TABLE u (LIKE t INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        assert enums.ObjectType is not cls
    assert enums.ObjectType is cls and enums.TableLikeOption is flags
    alter, create = stmt[0].stmt, stmt[1].stmt
    assert alter.objtype is cls.OBJECT_TABLE
    assert type(alter.cmds[0].subtype) is enums.AlterTableType
    like = create.tableElts[0]
    assert like.options == (flags.CREATE_TABLE_LIKE_DEFAULTS | flags.CREATE_TABLE_LIKE_INDEXES)
    # A value that is no member goes to the class: a flag combination, or an error.
    assert _Members(flags)[3] == flags(3)
    with pytest.raises(ValueError):
        _Members(cls)[10_000]


def test_whole_corpus_trees_match_pglast_validated_parse() -> None:
    """The run-wide unvalidated block must not change a single tree of the real corpus."""
    from pglast import parser

    from pgwarden.sql.source import unvalidated_nodes

    corpus = Path(
        os.environ.get("PGWARDEN_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
    )
    files = sorted(corpus.rglob("*.sql"))[::7]  # a spread sample keeps this test quick
    if not files:
        pytest.skip(f"no corpus at {corpus}")
    compared = 0
    for f in files:
        sql = f.read_text(encoding="utf-8", errors="replace")
        try:
            expected = parser.parse_sql(sql)
        except parser.ParseError:
            continue
        with unvalidated_nodes():
            got = parser.parse_sql(sql)
        assert got == expected, f
        compared += 1
    assert compared > 100


def test_deep_left_nesting_does_not_crash() -> None:
    # pglast recurses in C once per level; long chains used to overflow the C stack.
    parsed = parse("SELECT " + "1+" * 60_000 + "1;\nSELECT 2;")
    assert [s.line for s in parsed.statements] == [1, 2]
    parsed = parse("SELECT a" + " IS NULL" * 40_000 + ";")
    assert len(parsed.statements) == 1


def test_deep_parentheses_fail_cleanly() -> None:
    err = fail("SELECT " + "(" * 20_000 + "1" + ")" * 20_000)
    assert err.line == 1 and "memory exhausted" in err.message


def test_oversized_statement_is_refused() -> None:
    err = fail("SELECT 1;\n  SELECT " + "1+" * (MAX_STATEMENT // 2) + "1;")
    assert (err.line, err.column) == (2, 3)
    assert "too large to analyse" in err.message


def test_files_read_from_disk(tmp_path: Path) -> None:
    good = tmp_path / "ok.sql"
    good.write_bytes(b"\xef\xbb\xbfSELECT 1;\r\n")
    assert isinstance(parse_source(SqlSource(str(good), good)), ParsedFile)

    directory = tmp_path / "x.sql"
    directory.mkdir()
    err = parse_source(SqlSource(str(directory), directory))
    assert isinstance(err, ParseFailure) and err.message == "is a directory, not a SQL file"

    dangling = tmp_path / "dangling.sql"
    dangling.symlink_to(tmp_path / "missing.sql")
    err = parse_source(SqlSource(str(dangling), dangling))
    assert isinstance(err, ParseFailure)
    assert err.message == "cannot read file: No such file or directory"

    under_file = good / "child.sql"  # a parent that is not a directory
    err = parse_source(SqlSource(str(under_file), under_file))
    assert isinstance(err, ParseFailure) and err.message == "cannot read file: Not a directory"


def test_fifo_without_writer_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.sql"
    os.mkfifo(fifo)
    parsed = parse_source(SqlSource(str(fifo), fifo))
    assert isinstance(parsed, ParsedFile) and parsed.statements == []


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN a text;\n",
        "\ufeffCREATE TABLE t (id int);",  # a BOM
        "\\set ON_ERROR_STOP on\nCREATE TABLE t (id int);\n\\i other.sql\nDROP TABLE t;\n",
        "COPY t FROM stdin;\n1\n2\n\\.\nCREATE INDEX i ON t (id);\n",
        "-- pgwarden: ignore[ban-drop-table]\nDROP TABLE t;",
        "BEGIN; CREATE TABLE t (id int); COMMIT;",
        "CREATE TABLE t (id int); SELEC 1;",  # a syntax error
        "CREATE TABLE t (id int);\x00",  # a NUL byte
        "",
        "-- only a comment\n",
    ],
)
def test_parse_nodes_gives_the_nodes_parse_text_gives(sql: str) -> None:
    """The catalog replay of a parallel run parses with parse_nodes: the very statements
    parse_text would lint, and nothing where parse_text fails."""
    from pgwarden.sql.source import parse_nodes, parse_text

    src = SqlSource("m.sql", None, sql)
    full = parse_text(src, sql)
    nodes = parse_nodes(src, sql)
    if isinstance(full, ParseFailure):
        assert nodes is None
    else:
        assert nodes == [s.node for s in full.statements]
