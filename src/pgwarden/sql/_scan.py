"""A small lexer for what the server never sees: psql meta-commands, COPY data and comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Only the characters that can open or close a region matter; everything else is skipped.
_NEXT = re.compile(r"--|/\*|['\"$;\\]")
_BLOCK = re.compile(r"/\*|\*/")
_DOLLAR = re.compile(r"\$(?:[^\W\d$][\w]*)?\$")
_COPY_STDIN = re.compile(r"COPY\b.*\bFROM\s+STDIN\b", re.IGNORECASE | re.DOTALL)
_SPACE = re.compile(r"\s*")


@dataclass(slots=True)
class Lexed:
    """Offsets of regions outside SQL string literals, quoted identifiers and comments."""

    comments: list[tuple[int, int]] = field(default_factory=list)  # `--` comments
    meta: list[tuple[int, int]] = field(default_factory=list)  # psql `\cmd` to end of line
    copy_data: list[tuple[int, int]] = field(default_factory=list)  # rows after COPY FROM STDIN


def _is_ident_char(ch: str) -> bool:
    return ch.isalnum() or ch in "_$"


def _block_end(text: str, i: int) -> int:
    """End of the /* comment at `i`; Postgres block comments nest."""
    depth = 0
    for m in _BLOCK.finditer(text, i):
        depth += 1 if m.group() == "/*" else -1
        if depth == 0:
            return m.end()
    return len(text)


def _quoted_end(text: str, i: int, quote: str, backslash: bool = False) -> int:
    """End of the literal opened at `i` (a doubled quote stays inside it)."""
    j = i + 1
    n = len(text)
    while True:
        k = text.find(quote, j)
        if k < 0:
            return n
        if backslash:  # E'...': a quote after an odd number of backslashes is escaped
            b = k - 1
            while b >= j and text[b] == "\\":
                b -= 1
            if (k - 1 - b) % 2 == 1:
                j = k + 1
                continue
        if text.startswith(quote, k + 1):
            j = k + 2
            continue
        return k + 1


def skip_trivia(text: str, i: int = 0) -> int:
    """Offset of the first character at or after `i` that is not whitespace or a comment."""
    n = len(text)
    while i < n:
        i = _SPACE.match(text, i).end()  # type: ignore[union-attr]  # `\s*` always matches
        if text.startswith("--", i):
            nl = text.find("\n", i)
            i = n if nl < 0 else nl + 1
        elif text.startswith("/*", i):
            i = _block_end(text, i)
        else:
            break
    return min(i, n)


def lex(text: str) -> Lexed:
    """Find comments, psql meta-commands and COPY ... FROM STDIN data rows.

    psql reads a backslash outside quotes as the start of a meta-command running to the end of
    the line, and after `COPY ... FROM STDIN;` reads data rows up to a line `\\.`; the server
    sees neither.
    """
    out = Lexed()
    n = len(text)
    i = 0
    stmt_start = 0
    while i < n:
        m = _NEXT.search(text, i)
        if m is None:
            break
        i = m.start()
        tok = m.group()
        if tok == "--":
            nl = text.find("\n", i)
            end = n if nl < 0 else nl
            out.comments.append((i, end))
            i = end
        elif tok == "/*":
            i = _block_end(text, i)
        elif tok == "'":
            escape = i > 0 and text[i - 1] in "eE" and (i < 2 or not _is_ident_char(text[i - 2]))
            i = _quoted_end(text, i, "'", backslash=escape)
        elif tok == '"':
            i = _quoted_end(text, i, '"')
        elif tok == "$":
            dm = None if i > 0 and _is_ident_char(text[i - 1]) else _DOLLAR.match(text, i)
            if dm is None:  # `$1` parameter or part of an identifier such as a$b
                i += 1
                continue
            close = text.find(dm.group(), dm.end())
            i = n if close < 0 else close + len(dm.group())
        elif tok == "\\":
            nl = text.find("\n", i)
            end = n if nl < 0 else nl
            out.meta.append((i, end))
            i = end
        else:  # ";"
            stmt = text[stmt_start:i]
            i += 1
            stmt_start = i
            if _COPY_STDIN.match(stmt, skip_trivia(stmt)):
                i = stmt_start = _copy_data(text, i, out)
    return out


def _copy_data(text: str, i: int, out: Lexed) -> int:
    """Record the data rows that follow `COPY ... FROM STDIN;` (they start on the next line)."""
    n = len(text)
    nl = text.find("\n", i)
    if nl < 0:
        return n
    start = j = nl + 1
    while j < n:
        e = text.find("\n", j)
        e = n if e < 0 else e
        if text[j:e].strip() == "\\.":
            out.copy_data.append((start, e))
            return e
        j = e + 1
    out.copy_data.append((start, n))
    return n
