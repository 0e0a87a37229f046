"""Human output with rich: coloured on a terminal, plain when piped, with the SQL line quoted."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from pgwarden.lint import FileOut, LintResult
from pgwarden.report._paths import is_real_path
from pgwarden.rules.base import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_TAB = 4
_MAX_EXCERPT = 120  # wider lines are shown as a window around the column


def make_console(out: TextIO, color: bool | None = None) -> Console:
    """A console on `out`; `color=None` lets rich decide (TTY, NO_COLOR, FORCE_COLOR)."""
    from rich.console import Console

    return Console(
        file=out,
        highlight=False,
        soft_wrap=True,
        emoji=False,  # SQL may contain `:name:` sequences
        markup=False,
        force_terminal=color,
        no_color=False if color else None,
    )


class SourceLines:
    """The lines of one linted file, for quoting: read from disk, else rebuilt from statements."""

    def __init__(self, fo: FileOut) -> None:
        self._fo = fo
        self._lines: list[str] | None = None

    def _load(self) -> list[str]:
        if is_real_path(self._fo.path):
            try:
                text = Path(self._fo.path).read_bytes().decode("utf-8-sig", "replace")
                return text.splitlines()
            except OSError:
                pass
        # stdin or inline SQL: put each statement's text back where it started.
        lines: list[str] = []
        for s in self._fo.statements:
            for i, part in enumerate(s.sql.split("\n")):
                n = s.line + i
                while len(lines) < n:
                    lines.append("")
                start = s.column - 1 if i == 0 else 0
                cur = lines[n - 1].ljust(start)
                lines[n - 1] = cur[:start] + part + cur[start + len(part) :]
        return lines

    def line(self, n: int) -> str | None:
        if self._lines is None:
            self._lines = self._load()
        return self._lines[n - 1] if 0 < n <= len(self._lines) else None


def excerpt(line: str, column: int) -> tuple[str, int]:
    """The line to show (tabs expanded, long lines windowed) and the caret's 0-based offset."""
    caret = len(line[: max(column - 1, 0)].expandtabs(_TAB))
    shown = line.expandtabs(_TAB).rstrip()
    if len(shown) > _MAX_EXCERPT:
        start = max(0, min(caret - 20, len(shown) - _MAX_EXCERPT))
        end = start + _MAX_EXCERPT
        head = "…" if start else ""
        shown = head + shown[start:end] + ("…" if end < len(shown) else "")
        caret = caret - start + len(head)
    return shown, caret


_Piece = tuple[str, str]  # text, rich style ("": none)


def _finding(add: Callable[[_Piece], None], path: str, fd: Finding, src: SourceLines) -> None:
    """A finding's lines (each ending in a newline, then a blank one), as styled pieces."""
    style = _STYLE[fd.severity]
    add((f"{path}:{fd.line}:{fd.column}:", "bold"))
    add((" ", ""))
    add((f"{fd.severity.value}[{fd.code}]", style))
    add((f" {fd.message}", ""))
    add((f" ({fd.rule})", "dim"))
    add(("\n", ""))
    line = src.line(fd.line)
    gutter = len(str(fd.line))
    bar = " " * (gutter + 1) + "|"
    if line is not None and line.strip():
        shown, caret = excerpt(line, fd.column)
        add((bar, "blue"))
        add(("\n", ""))
        add((f"{fd.line} |", "blue"))
        add((f" {shown}\n", ""))
        add((bar, "blue"))
        add((" " * (caret + 1), ""))
        add(("^", style))
        add(("\n", ""))
    add((" " * (gutter + 1) + "=", "blue"))
    add((" ", ""))
    add(("help:", "green"))
    add((f" {fd.help}\n\n", ""))


def _file_pieces(fo: FileOut) -> list[_Piece]:
    """A file's notices and findings, as styled pieces of text."""
    pieces: list[_Piece] = []
    add = pieces.append
    for ln, col, msg in fo.notices:
        add((f"{fo.path}:{ln}:{col}: note: {msg}", "dim"))
        add(("\n", ""))
    src = SourceLines(fo)
    for fd in fo.all_findings():
        _finding(add, fo.path, fd, src)
    return pieces


def _plain(pieces: list[_Piece]) -> str:
    """What rich prints for `pieces` without colour: control codes stripped, tabs expanded
    (rich's own way, by cell width), no styles."""
    from rich.control import strip_control_codes

    text = strip_control_codes("".join(t for t, _ in pieces))
    if "\t" not in text:
        return text
    from rich.text import Text

    lines = text.split("\n")
    for i, line in enumerate(lines):
        if "\t" in line:
            expanded = Text(line)
            expanded.expand_tabs(8)
            lines[i] = expanded.plain
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary(result: LintResult) -> str:
    """`Found 1 error, 2 warnings in 3 files (12 statements); 1 file failed to parse.`"""
    counts = {s: 0 for s in Severity}
    for fo in result.files:
        for fd in fo.all_findings():
            counts[fd.severity] += 1
    nstmts = sum(len(f.statements) for f in result.files)
    scope = f"{_plural(len(result.files), 'file')} ({_plural(nstmts, 'statement')})"
    parts = [
        _plural(counts[sev], word)
        for sev, word in (
            (Severity.ERROR, "error"),
            (Severity.WARNING, "warning"),
            (Severity.INFO, "note"),
        )
        if counts[sev]
    ]
    if parts:
        text = f"Found {', '.join(parts)} in {scope}"
    elif result.errors:
        text = f"No findings in {scope}"
    else:
        text = f"All checks passed: {scope}"
    if result.errors:
        text += f"; {_plural(len(result.errors), 'file')} failed to parse"
    return text + "."


def write_text(result: LintResult, out: TextIO, color: bool | None = None) -> None:
    from rich.text import Text

    console = make_console(out, color)
    # Without colour (piped, in CI) the text is written as rich would print it, without rich:
    # its print costs ~50 us a call and ~2 us a styled piece, and a corpus's 25k findings
    # took 7 s that way. With colour, one Text per file, printed once.
    plain = console.color_system is None
    for fo in result.files:
        pieces = _file_pieces(fo)
        if not pieces:
            continue
        if plain:
            out.write(_plain(pieces))
        else:
            console.print(Text.assemble(*pieces), end="")
    # Parse errors go to stderr from the command (every format), so they are only counted here.
    if result.exit_code != 0:
        style = "bold red"
    elif any(fo.all_findings() for fo in result.files):
        style = "bold yellow"
    else:
        style = "bold green"
    console.print(Text(summary(result), style=style))
