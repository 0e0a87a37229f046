"""Text output: findings with the SQL line and a caret, a summary; colour only on a terminal."""

from __future__ import annotations

import io
import os
import pty
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_text
from pgwarden.report.text import _file_pieces, _plain, excerpt, make_console, write_text

ANSI = "\x1b["


def test_plain_output(result: LintResult) -> None:
    out = io.StringIO()
    write_text(result, out)
    text = out.getvalue()
    assert ANSI not in text
    lines = text.splitlines()
    assert "migrations/0001_index.sql:1:1: note: skipped psql meta-command \\set" in lines
    i = lines.index(
        "migrations/0001_index.sql:2:1: error[PW101] CREATE INDEX takes SHARE (blocks writes) "
        "on public.orders while the index builds (require-concurrent-index-creation)"
    )
    assert lines[i + 1 : i + 5] == [
        "  |",
        "2 | CREATE INDEX orders_customer_idx ON orders (customer_id);",
        "  | ^",
        "  = help: use CREATE INDEX CONCURRENTLY (outside a transaction block)",
    ]
    assert lines[-1] == (
        "Found 1 error, 1 warning in 1 file (1 statement); 1 file failed to parse."
    )


def test_caret_under_second_statement_of_a_line_from_stdin_text() -> None:
    sql = "CREATE TABLE a (id int); CREATE INDEX i ON t (x);\n"
    out = io.StringIO()
    write_text(lint_text(sql, LintConfig(select=frozenset({"PW101"}), cache=False)), out)
    lines = out.getvalue().splitlines()
    i = next(n for n, ln in enumerate(lines) if "error[PW101]" in ln)
    assert lines[i].startswith("<sql>:1:26: ")
    src, caret = lines[i + 2], lines[i + 3]
    assert src[caret.index("^") :].startswith("CREATE INDEX i ON t (x)")


def test_clean_summary() -> None:
    out = io.StringIO()
    write_text(lint_text("SELECT 1;", LintConfig(cache=False)), out)
    assert out.getvalue() == "All checks passed: 1 file (1 statement).\n"


def test_excerpt_expands_tabs_and_windows_long_lines() -> None:
    assert excerpt("\tALTER TABLE t", 2) == ("    ALTER TABLE t", 4)
    line = "x" * 300 + "DROP" + "y" * 300
    shown, caret = excerpt(line, 301)
    assert len(shown) <= 122 and shown[caret : caret + 4] == "DROP"


def test_cli_text_is_plain_when_piped(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["lint", "--no-cache", "--select", "PW101", "--schema", "schema.sql"]
    code = main([*argv, "migrations/0001_index.sql"])
    out = capsys.readouterr().out
    assert code == 1
    assert ANSI not in out
    assert "2 | CREATE INDEX orders_customer_idx ON orders (customer_id);" in out


def _on_tty(result: LintResult) -> str:
    master, slave = pty.openpty()
    with os.fdopen(slave, "w", encoding="utf-8", closefd=True) as tty:
        write_text(result, tty)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the terminal side is closed and drained
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return b"".join(chunks).decode()


@pytest.fixture
def terminal_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for var in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    return monkeypatch


def test_colour_on_a_terminal(result: LintResult, terminal_env: pytest.MonkeyPatch) -> None:
    text = _on_tty(result)
    assert "\x1b[1;31merror[PW101]" in text
    assert "\x1b[33mwarning[PW114]" in text


def test_no_color_respected_on_a_terminal(
    result: LintResult, terminal_env: pytest.MonkeyPatch
) -> None:
    terminal_env.setenv("NO_COLOR", "1")
    text = _on_tty(result)
    assert "error[PW101]" in text
    assert "\x1b[1;31m" not in text and "\x1b[33m" not in text and "\x1b[31m" not in text


def _rich_plain(pieces: list[tuple[str, str]]) -> str:
    out = io.StringIO()
    make_console(out, color=None).print(Text.assemble(*pieces), end="")
    return out.getvalue()


_PIECE_TEXT = st.text(
    alphabet=st.sampled_from(list("ab |^\t\n\r\x07\x08\x0b\x0c\x1b中é")), max_size=12
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PIECE_TEXT, st.sampled_from(["", "bold", "blue", "dim"]))))
def test_plain_text_is_what_rich_prints(pieces: list[tuple[str, str]]) -> None:
    """Without colour the text is written without rich: the same characters (control codes
    stripped, tabs expanded by cell width, wide characters included)."""
    assert _plain(pieces) == _rich_plain(pieces)


def test_plain_findings_with_tabs_and_wide_names_are_what_rich_prints() -> None:
    sql = 'CREATE INDEX "i\t中x" ON "t\tb" (a);\n\tDROP INDEX "中文\tx\x07";\n'
    result = lint_text(sql, LintConfig(cache=False))
    pieces = _file_pieces(result.files[0])
    assert any("\t" in text for text, _ in pieces)
    assert _plain(pieces) == _rich_plain(pieces)
    out = io.StringIO()
    write_text(result, out)
    assert out.getvalue().startswith(_rich_plain(pieces))
