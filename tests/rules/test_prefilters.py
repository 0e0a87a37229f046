"""Rule pre-filters (Rule.kinds, Rule.causes) only skip calls that would have found nothing."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pgwarden.catalog import Catalog
from pgwarden.config import LintConfig
from pgwarden.lint import _Plan, lint_paths, select_rules
from pgwarden.locks.session import simulate
from pgwarden.report.json_out import result_dict
from pgwarden.rules.base import FileContext, Rule, all_rules, doc_sections, sql_block
from pgwarden.rules.hygiene import identifier_too_long
from pgwarden.sql import ParsedFile, SqlSource, parse_source
from pgwarden.sql.discover import discover

CORPUS = Path(
    os.environ.get("PGWARDEN_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus")
)
# Projects with many statement kinds: Diesel (up and down files) and Prisma.
SAMPLES = ["rust-lang__crates.io", "documenso__documenso"]
CONFIGS = [
    LintConfig(extend_select=frozenset({"ALL"}), cache=False),
    LintConfig(
        extend_select=frozenset({"ALL"}), cache=False, assume_in_transaction=True, pg_version=12
    ),
]


def _sources() -> Iterator[tuple[str, str, str]]:
    """(name, schema, sql) of every rule's Example and Use instead."""
    for rule in all_rules():
        doc = doc_sections(rule.__doc__ or "")
        schema = sql_block(doc.get("Schema", ""))
        for section in ("Example", "Use instead"):
            yield f"{rule.name}:{section}", schema, sql_block(doc[section])


def _check_file(parsed: ParsedFile, catalog: Catalog, config: LintConfig, rules: list[Rule]) -> int:
    """Call every rule on every statement; those the plan leaves out must find nothing."""
    session = simulate(
        parsed.statements,
        catalog,
        config.pg_version,
        assume_in_transaction=config.assume_in_transaction,
    )
    ctx = FileContext(
        parsed, session, config.pg_version, config.assume_in_transaction, False, {}, catalog
    )
    plan = _Plan(rules)
    skipped = 0
    for a in session.statements:
        chosen = {id(r) for r in plan.for_statement(a)}
        for rule in rules:
            if id(rule) in chosen:
                continue
            skipped += 1
            found = list(rule.check(a, ctx))
            assert not found, (rule.name, parsed.display, a.line, found)
    return skipped


@pytest.mark.parametrize("config", CONFIGS, ids=["default", "tx-pg12"])
def test_rules_skipped_for_an_example_statement_find_nothing(config: LintConfig) -> None:
    rules = select_rules(config)
    skipped = 0
    for name, schema, sql in _sources():
        catalog = Catalog()
        if schema:
            setup = parse_source(SqlSource("<schema>", None, schema))
            assert isinstance(setup, ParsedFile)
            simulate(setup.statements, catalog, config.pg_version)
            catalog.mark_all_existing()
        parsed = parse_source(SqlSource(name, None, sql))
        assert isinstance(parsed, ParsedFile), name
        skipped += _check_file(parsed, catalog, config, rules)
    assert skipped > 1000  # the filters do skip most calls


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("project", SAMPLES)
def test_rules_skipped_for_a_corpus_statement_find_nothing(project: str) -> None:
    config = CONFIGS[0]
    rules = select_rules(config)
    catalog = Catalog()
    for src in discover([str(CORPUS / project)]):
        parsed = parse_source(src)
        if not isinstance(parsed, ParsedFile):
            continue
        if src.is_down:
            with catalog.scratch() as scratch:
                _check_file(parsed, scratch, config, rules)
        else:
            _check_file(parsed, catalog, config, rules)
            catalog.mark_all_existing()


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS}")
def test_lint_with_and_without_filters_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    project = [str(CORPUS / SAMPLES[0])]
    filtered = json.dumps(result_dict(lint_paths(project, CONFIGS[1])))

    def every_rule(self: _Plan, a: object) -> list[Rule]:
        return [r for r in self.rules if type(r).check is not Rule.check]

    monkeypatch.setattr(_Plan, "for_statement", every_rule)
    assert json.dumps(result_dict(lint_paths(project, CONFIGS[1]))) == filtered


def test_plan_groups_rules_by_filter() -> None:
    rules = select_rules(CONFIGS[0])
    plan = _Plan(rules)
    assert not any(r.causes or r.kinds for _, r in plan.every)
    assert all(type(r).check is not Rule.check for _, r in plan.every)
    assert {r.name for _, r in plan.by_kind["TruncateStmt"]} == {"ban-truncate-cascade"}
    assert "ban-table-rewrite-command" in {r.name for _, r in plan.by_cause["rewrite"]}
    listed = [r for _, r in plan.every] + [
        r for group in (*plan.by_kind.values(), *plan.by_cause.values()) for _, r in group
    ]
    assert {id(r) for r in listed} == {id(r) for r in rules if type(r).check is not Rule.check}


# identifier-too-long reads tokens only when a cheap pattern says a long one may be there; the
# pattern must not miss any identifier the rule would report.
_ALPHABET = ["a", "Z", "_", "$", "9", "é", "ß", "日", "😀", '""', " ", "\\0041", "-", "'"]


# The rule first asks whether the file as a whole may hold a long name: files of several
# statements, the name not in the first.
_MANY = [
    'CREATE TABLE "t" ("a" int);\nCREATE TABLE u ({} int);\nSELECT \'"\';',
    "COMMENT ON TABLE t IS 'a \"';\nCREATE TABLE u ({} int);",
]
# Where the name sits: alone, among other quoted names (the quotes pair up in order), or
# after a `"` that opens no name (in a literal, a comment: they do not).
_CONTEXTS = st.sampled_from(
    [
        "CREATE TABLE {} (id int);",
        'CREATE TABLE "t" ("a" int, {} int, "b" text);',
        "CREATE TABLE t (a text DEFAULT 'say \"hi', {} int);",
        # Literals among quoted names, a `'` in a name, `''` in a literal: lexed in order.
        "CREATE TABLE t (a text DEFAULT 'x', {} int, b text DEFAULT 'it''s');",
        "CREATE TABLE \"it's\" (a text DEFAULT '\"', {} int, \"b\" text DEFAULT '');",
        # An escaped quote ends no literal: the `"` after it opens no name, and a name
        # between two such literals is not in one.
        "CREATE TABLE t (a text DEFAULT E'\\' \"', {} int, \"b\" int);",
        "SELECT E'a\\'b', 1 AS {}, E'c\\'d';",
        'CREATE TABLE t (a int /* a " */, {} int);',
        'CREATE TABLE t (a int, -- a "\n {} int);',
        'CREATE TABLE t (a text DEFAULT $$ " $$, {} int);',
        *_MANY,
    ]
)


@settings(max_examples=400, deadline=None)
@example(pieces=["a", " ", "é", "-"] * 20, quoted="quoted", context="CREATE TABLE {} (id int);")
@example(pieces=["日", " "] * 30, quoted="quoted", context='CREATE TABLE "t" ("a" int, {} int);')
@example(pieces=["a"] * 70, quoted="plain", context=_MANY[0])
@example(pieces=["ß"] * 40, quoted="quoted", context=_MANY[1])
@example(pieces=["x", " "] * 35, quoted="quoted", context="SELECT E'a\\'b', 1 AS {}, E'c\\'d';")
@example(  # quotes in the name: not a literal
    pieces=["a"] * 20 + ["'"] + ["b"] * 40 + ["'"] + ["c"] * 5,
    quoted="quoted",
    context="CREATE TABLE t (a text DEFAULT 'x', {} int, b text DEFAULT 'it''s');",
)
@given(
    # Also without `$` and `""`, or nearly every name would hold one (the pre-filter reads
    # names with neither differently).
    pieces=st.one_of(
        st.lists(st.sampled_from(_ALPHABET), min_size=10, max_size=80),
        st.lists(
            st.sampled_from([p for p in _ALPHABET if p not in ("$", '""')]),
            min_size=10,
            max_size=80,
        ),
    ),
    quoted=st.sampled_from(["plain", "quoted", "unicode"]),
    context=_CONTEXTS,
)
def test_identifier_prefilter_misses_nothing(pieces: list[str], quoted: str, context: str) -> None:
    body = "".join(pieces)
    if quoted == "plain":
        ident = re.sub(r"[^0-9A-Za-z_$\x80-\U0010ffff]", "", body) or "x"
        if ident[0].isdigit() or ident[0] == "$":
            ident = "t" + ident
    elif quoted == "quoted":
        ident = '"' + body.replace("\\0041", "A") + '"'
    else:
        ident = 'U&"' + body + '"'
    sql = context.format(ident)
    parsed = parse_source(SqlSource("x.sql", None, sql))
    if not isinstance(parsed, ParsedFile):
        return  # not valid SQL (an empty quoted name, a bad escape)
    rule = identifier_too_long.IdentifierTooLong()
    session = simulate(parsed.statements, Catalog(), 17)

    def messages() -> list[str]:  # a context of its own: the rule keeps a per-file answer
        ctx = FileContext(parsed, session, 17, False, False, {}, None)
        return [f.message for a in session.statements for f in rule.check(a, ctx)]

    with_filter = messages()
    saved = identifier_too_long._candidate
    try:
        identifier_too_long._candidate = lambda text: True
        without = messages()
    finally:
        identifier_too_long._candidate = saved
    assert with_filter == without


@pytest.mark.parametrize(
    "sql",
    [
        '-- CreateTable\nCREATE TABLE "User" ("id" TEXT NOT NULL, "role" TEXT DEFAULT \'USER\''
        " CHECK (role IN ('USER', 'ADMIN', 'OWNER', 'GUEST', 'SUPPORT', 'BILLING')));",
        'ALTER TABLE "it\'s" ADD COLUMN "x" int; -- the "old" name isn\'t kept\n'
        'SELECT \'a "b\' AS "c" FROM t WHERE a = 1 AND b = 2 AND c = 3 AND d = 4 AND e = 5'
        " AND f = 6;",
        "SELECT 'it''s' AS \"y\", 1 - 2 / 3, \"%s\" -- end" % ("n" * 63),
        'SELECT "a" / 2 FROM t WHERE a = 1 AND b = 2 AND c = 3 AND d = 4 AND e = 5 AND f = 6;',
    ],
)
def test_identifier_prefilter_skips_common_files(sql: str) -> None:
    """Quoted names among literals and line comments lex in order: no long name, no scan."""
    assert not identifier_too_long._candidate(sql)


@pytest.mark.parametrize("char", ["a", "é", "日", "😀"])
@pytest.mark.parametrize("form", ["plain", "quoted", "quoted-with-quote", "unicode-escape"])
def test_identifier_prefilter_at_the_limit(char: str, form: str) -> None:
    """The shortest names over 63 bytes pass the pre-filter; the longest within do not."""
    n = -(-64 // len(char.encode()))  # characters needed for 64 bytes
    for count, over in ((n, True), ((63 // len(char.encode())), False)):
        body = char * count
        if form == "plain":
            ident = "t" + body[1:] if char == "a" else body
        elif form == "quoted":
            ident = f'"{body}"'
        elif form == "quoted-with-quote":  # `""` is one byte of the name
            ident = f'"{body[:-1]}"""' if char == "a" else f'"{body}"'
        else:
            ident = 'U&"' + "\\0061" * (count if char == "a" else 0) + body * (char != "a") + '"'
        sql = f"CREATE TABLE {ident} (id int);"
        if over:
            assert identifier_too_long._candidate(sql), sql
        elif form in ("plain", "quoted"):
            assert not identifier_too_long._candidate(sql), sql


def test_column_type_rules_accept_only_their_type_names() -> None:
    """ColumnTypeRule.type_names skips statements that declare none of them: `matches` must
    not accept any other type (every type name the parser gives for the corpus's columns,
    and the usual spellings)."""
    from pgwarden.catalog import QualifiedName
    from pgwarden.rules.types._columns import ColumnType, ColumnTypeRule
    from pgwarden.sql.nodes import type_name

    names = {"int", "integer", "int4", "int8", "int2", "serial", "serial4", "bigserial"}
    names |= {"serial8", "smallserial", "serial2", "bpchar", "char", "varchar", "text", "json"}
    names |= {"jsonb", "timestamp", "timestamptz", "date", "numeric", "uuid", "bool", "bytea"}
    for sql in ('CREATE TABLE t (a char(3), b "char", c character varying(5), d time);',):
        parsed = parse_source(SqlSource("m.sql", None, sql))
        assert isinstance(parsed, ParsedFile)
        for elt in parsed.statements[0].node.tableElts:
            names.add(type_name(elt.typeName)[0])
    rules = [r for r in all_rules() if issubclass(r, ColumnTypeRule)]
    assert len(rules) >= 7
    for cls in rules:
        rule = cls()
        for name in sorted(names):
            for written in ((name,), ("pg_catalog", name), ("char",)):
                for mods in ((), (10,)):
                    ct = ColumnType(
                        QualifiedName("public", "t"), "c", name, mods, False, written, "x"
                    )
                    if rule.matches(ct):
                        assert name in cls.type_names, (cls.name, name)
