"""Turn one SQL source into located statements (1-based line/column) using pglast."""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

from pgwarden.sql.directives import Directive, find_directives
from pgwarden.sql.discover import SqlSource

# psql meta-commands (\set, \i, \connect ...) start a line; psql handles them, the server never
# sees them, so we blank them out (keeping offsets) and say so.
_META = re.compile(r"^[ \t]*\\[^\n]*", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Notice:
    """Something the reader should know that is not a finding (a skipped meta-command)."""

    line: int
    column: int
    message: str


@dataclass(frozen=True, slots=True)
class Statement:
    """One top-level statement with where it is and what the parser made of it."""

    index: int
    line: int
    column: int
    end_line: int
    text: str
    node: Any  # a pglast.ast node (RawStmt.stmt)
    in_block: bool  # inside an explicit BEGIN ... COMMIT of this file
    ignores: frozenset[str] = frozenset()
    directive: Directive | None = None

    @property
    def kind(self) -> str:
        return type(self.node).__name__


@dataclass(slots=True)
class ParsedFile:
    """A source that parsed: its statements, notices and directives."""

    source: SqlSource
    statements: list[Statement]
    notices: list[Notice] = field(default_factory=list)
    directives: list[Directive] = field(default_factory=list)
    file_ignores: frozenset[str] | None = None  # None: no ignore-file directive

    @property
    def display(self) -> str:
        return self.source.display


@dataclass(frozen=True, slots=True)
class ParseFailure:
    """A source that could not be parsed, with the first problem located."""

    source: SqlSource
    line: int
    column: int
    message: str

    @property
    def display(self) -> str:
        return self.source.display

    def __str__(self) -> str:
        return f"{self.source.display}:{self.line}:{self.column}: {self.message}"


class _Lines:
    def __init__(self, text: str) -> None:
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, offset) - 1
        return i + 1, offset - self.starts[i] + 1


def read_text(source: SqlSource) -> str | ParseFailure:
    """Read a source as UTF-8; every failure becomes a located ParseFailure, never an exception."""
    if source.text is not None:
        return source.text
    assert source.path is not None
    try:
        if source.path.is_dir():
            return ParseFailure(source, 1, 1, "is a directory, not a SQL file")
        data = source.path.read_bytes()
    except OSError as exc:
        return ParseFailure(source, 1, 1, f"cannot read file: {exc.strerror or exc}")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        lines = _Lines(data[: exc.start].decode("utf-8", "replace"))
        line, col = lines.at(len(data[: exc.start].decode("utf-8", "replace")))
        return ParseFailure(
            source, line, col, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        )


def parse_source(source: SqlSource) -> ParsedFile | ParseFailure:
    """Parse a source; any problem is returned as a ParseFailure with line and column."""
    text = read_text(source)
    if isinstance(text, ParseFailure):
        return text
    return parse_text(source, text)


def parse_text(source: SqlSource, text: str) -> ParsedFile | ParseFailure:
    from pglast import parser  # lazy: keeps `pgwarden --help` fast

    lines = _Lines(text)
    if "\x00" in text:
        line, col = lines.at(text.index("\x00"))
        return ParseFailure(source, line, col, "contains a NUL byte; this is not a SQL text file")
    notices: list[Notice] = []
    sql = text
    if "\\" in text:

        def blank(m: re.Match[str]) -> str:
            line, col = lines.at(m.start())
            cmd = m.group(0).strip().split(None, 1)[0]
            notices.append(Notice(line, col, f"skipped psql meta-command {cmd}"))
            return " " * len(m.group(0))

        sql = _META.sub(blank, text)
    try:
        raw = parser.parse_sql(sql)
    except parser.ParseError as exc:
        msg, pos = (*exc.args, None)[:2] if exc.args else ("syntax error", None)
        line, col = lines.at(min(int(pos), len(sql))) if isinstance(pos, int) else (1, 1)
        return ParseFailure(source, line, col, str(msg))
    except RecursionError:
        return ParseFailure(source, 1, 1, "statement nesting too deep to analyse")
    except Exception as exc:  # pglast raises plain errors for parser stack overflow and the like
        return ParseFailure(source, 1, 1, f"cannot parse: {exc}")

    directives, file_ignores, bad = find_directives(sql, lines.at)
    for d in bad:
        notices.append(Notice(d.line, d.column, d.problem or "malformed pgwarden directive"))
    statements: list[Statement] = []
    in_block = False
    prev_end = 0
    next_directive = 0
    for i, rs in enumerate(raw):
        start = rs.stmt_location or 0
        length = rs.stmt_len or (len(sql) - start)
        body = sql[start : start + length]
        # stmt_location may include leading whitespace/comments on some parser versions.
        stripped = _skip_trivia(body)
        start += len(body) - len(stripped)
        body = stripped.rstrip()
        line, col = lines.at(start)
        end_line, _ = lines.at(start + max(len(body) - 1, 0))
        ignores: set[str] = set()
        directive = None
        while next_directive < len(directives) and directives[next_directive].offset < start:
            d = directives[next_directive]
            if d.offset >= prev_end:
                ignores |= d.rules
                directive = d
            next_directive += 1
        node: Any = rs.stmt
        kind = type(node).__name__
        if kind == "TransactionStmt":
            k = node.kind.name if hasattr(node.kind, "name") else str(node.kind)
            if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                statements.append(
                    Statement(
                        i, line, col, end_line, body, node, in_block, frozenset(ignores), directive
                    )
                )
                in_block = True
                prev_end = start + length
                continue
            if k in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                in_block_before = in_block
                in_block = False
                statements.append(
                    Statement(
                        i,
                        line,
                        col,
                        end_line,
                        body,
                        node,
                        in_block_before,
                        frozenset(ignores),
                        directive,
                    )
                )
                prev_end = start + length
                continue
        statements.append(
            Statement(i, line, col, end_line, body, node, in_block, frozenset(ignores), directive)
        )
        prev_end = start + length
    return ParsedFile(source, statements, notices, directives, file_ignores)


_TRIVIA = re.compile(r"(?:\s+|--[^\n]*(?:\n|$)|/\*(?:[^*]|\*(?!/))*\*/)*")


def _skip_trivia(body: str) -> str:
    m = _TRIVIA.match(body)
    return body[m.end() :] if m else body
