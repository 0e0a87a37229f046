"""Property-based robustness: whatever the input, lint reports cleanly and never raises."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_paths, lint_text

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CONFIG = LintConfig(cache=False, extend_select=frozenset({"ALL"}))
SCHEMA = """
CREATE TABLE t (id bigint PRIMARY KEY, a int NOT NULL, b varchar(10), e e_kind, j json);
CREATE TABLE child (id serial, t_id bigint REFERENCES t (id)) PARTITION BY RANGE (id);
CREATE TABLE child_1 PARTITION OF child FOR VALUES FROM (1) TO (100);
CREATE TYPE e_kind AS ENUM ('x', 'y');
CREATE INDEX t_a ON t (a);
CREATE MATERIALIZED VIEW mv AS SELECT * FROM t;
"""
SEED_STATEMENTS = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_b ON t (b)",
    "ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT random()::int",
    "ALTER TABLE t ALTER COLUMN a TYPE bigint USING a::bigint",
    "ALTER TABLE t ADD CONSTRAINT fk FOREIGN KEY (a) REFERENCES child (id) NOT VALID",
    "ALTER TABLE t VALIDATE CONSTRAINT fk",
    "ALTER TABLE child DETACH PARTITION child_1 CONCURRENTLY",
    "BEGIN",
    "COMMIT",
    "SET lock_timeout = '2s'",
    "UPDATE t SET a = a + 1",
    "DELETE FROM t",
    "TRUNCATE t CASCADE",
    "ALTER TYPE e_kind ADD VALUE 'z'",
    "REFRESH MATERIALIZED VIEW mv",
    "VACUUM FULL t",
    "DROP TABLE t",
    "DO $$ BEGIN PERFORM 1; END $$",
]


def corpus_statements(limit: int = 400) -> list[str]:
    """Statements of real migrations (a fixed sample), or the seeds without the corpus."""
    if not CORPUS.is_dir():
        return SEED_STATEMENTS
    out: list[str] = []
    for path in sorted(CORPUS.rglob("*.sql"))[::7]:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            out.extend(s.strip() for s in text.split(";") if s.strip())
        if len(out) >= limit:
            break
    return out + SEED_STATEMENTS


STATEMENTS = corpus_statements()
NOISE = [";", "(", ")", "'", '"', "$$", "--", "/*", "\\set x\n", "\x00", "é", "\ufeff", "\r\n"]


def assert_clean(result: LintResult) -> None:
    for err in result.errors:
        assert re.fullmatch(rf"{re.escape(err.display)}:\d+:\d+: \S.*", str(err), re.DOTALL)
        assert err.line >= 1 and err.column >= 1


@st.composite
def perturbed(draw: st.DrawFn) -> str:
    stmts = draw(st.lists(st.sampled_from(STATEMENTS), min_size=1, max_size=6))
    text = ";\n".join(stmts) + ";"
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        op = draw(st.integers(0, 4))
        if op == 0:
            text = text[:at]
        elif op == 1:
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
        elif op == 2:
            text = text[:at] + draw(st.sampled_from(NOISE)) + text[at:]
        elif op == 3:  # delete a token
            m = re.compile(r"\w+|\S").search(text, at)
            if m:
                text = text[: m.start()] + text[m.end() :]
        else:  # duplicate a token
            m = re.compile(r"\w+|\S").search(text, at)
            if m:
                text = text[: m.end()] + " " + m.group() + text[m.end() :]
    return text


@settings(max_examples=150, deadline=None)
@given(perturbed())
def test_perturbed_statements(sql: str) -> None:
    assert_clean(lint_text(sql, CONFIG, display="fuzz.sql", schema_sql=SCHEMA))


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_random_unicode(sql: str) -> None:
    assert_clean(lint_text(sql, CONFIG, display="fuzz.sql", schema_sql=SCHEMA))


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT " + "(" * 5000 + "1" + ")" * 5000 + ";",
        "SELECT " + "(" * 50_000 + "1" + ")" * 50_000 + ";",
        "ALTER TABLE t ADD COLUMN c int DEFAULT " + "1+" * 30_000 + "1;",
        "ALTER TABLE t ADD COLUMN c bool DEFAULT a" + " IS NULL" * 30_000 + ";",
        "UPDATE t SET a = " + "abs(" * 3000 + "1" + ")" * 3000 + ";",
        "CREATE TABLE t2 (" + ", ".join(f"c{i} int" for i in range(5000)) + ");",
        'CREATE TABLE "' + "x" * 100_000 + '" (id int);',
        "ALTER TABLE " + "y" * 10_000 + " ADD COLUMN " + "é" * 5_000 + " text;",
        "SELECT CASE " + "WHEN true THEN CASE " * 2000 + "END;",
        "",
        "-- only a comment",
        "\\",
        "BEGIN; BEGIN; COMMIT; COMMIT; ROLLBACK;",
    ],
    ids=lambda s: s[:30],
)
def test_generated_sql(sql: str) -> None:
    assert_clean(lint_text(sql, CONFIG, display="gen.sql", schema_sql=SCHEMA))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.booleans())
def test_arbitrary_bytes_in_files(data: bytes, with_good_file: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "0001_fuzz.sql").write_bytes(data)
        if with_good_file:
            (Path(tmp) / "0002_ok.sql").write_text("CREATE TABLE z (id bigint);")
        result = lint_paths([tmp], CONFIG)
        assert_clean(result)
        assert len(result.files) + len(result.errors) == 1 + with_good_file


def odd_tree(root: Path) -> list[str]:
    """A directory of things that are not readable SQL files, plus one good file."""
    (root / "0001_empty.sql").write_bytes(b"")
    (root / "0002_latin1.sql").write_bytes("SELECT 'caf\xe9';".encode("latin-1"))
    (root / "0003_dir.sql").mkdir()
    (root / "0004_dangling.sql").symlink_to(root / "missing.sql")
    os.mkfifo(root / "0005_fifo.sql")
    (root / "0006_ok.sql").write_text("CREATE INDEX i ON t (a);\n")
    (root / "0007_bad.sql").write_text("CREATE TABLE (;\n")
    return [str(root), str(root / "0006_ok.sql" / "child.sql"), str(root / "nope.sql")]


def test_odd_files(tmp_path: Path) -> None:
    result = lint_paths(odd_tree(tmp_path), CONFIG)
    assert_clean(result)
    errors = {Path(e.display).name: e.message for e in result.errors}
    assert errors == {
        "0002_latin1.sql": "not valid UTF-8 (byte 0xe9); save it as UTF-8",
        "0004_dangling.sql": "cannot read file: No such file or directory",
        "0007_bad.sql": 'syntax error at or near "("',
        "child.sql": "cannot read file: Not a directory",
        "nope.sql": "cannot read file: No such file or directory",
    }
    linted = [Path(f.path).name for f in result.files]
    assert linted == ["0001_empty.sql", "0005_fifo.sql", "0006_ok.sql"]


def test_cli_never_prints_a_traceback(tmp_path: Path) -> None:
    paths = odd_tree(tmp_path)
    (tmp_path / "0008_deep.sql").write_text("SELECT " + "1+" * 40_000 + "1;")
    for fmt in ("text", "json"):
        proc = subprocess.run(
            [sys.executable, "-m", "pgwarden", "lint", "--no-cache", "--format", fmt, *paths],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 2
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 5
        assert all(re.match(r"^.+:\d+:\d+: \S", line) for line in lines), lines
