"""PW601 identifier-too-long."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity

MAX_BYTES = 63  # NAMEDATALEN - 1

# A cheap pre-filter, so that most statements are not scanned: a token that decodes to 64+
# bytes is a run of at least that many identifier characters, or a quoted body (`""` counts
# once) of that many characters and escapes. Each character is at most 4 bytes of UTF-8, an
# ASCII one exactly 1, and an escape (\XXXX, \+XXXXXX, \\) is longer than the bytes it stands
# for: so 64 characters in an ASCII text, 16 otherwise.
_ASCII_CANDIDATE = re.compile(r'[0-9A-Za-z_$]{64}|"(?:[^"]|""){64}')
_CANDIDATE = re.compile(r'[0-9A-Za-z_$\x80-\U0010ffff]{16}|"(?:[^"]|""){16}')
_UESCAPE = re.compile(r"\\(?:\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))")


class IdentifierTooLong(Rule):
    """An identifier longer than 63 bytes is silently truncated by PostgreSQL.

    Why:
        PostgreSQL keeps at most 63 bytes of a name (NAMEDATALEN - 1) and cuts the rest with
        only a NOTICE, so the object gets a different name than the migration wrote. Later
        migrations and tools that compare names then miss it, and two long names that share
        their first 63 bytes collide. The limit is in bytes of UTF-8, so a name with accented
        or non-Latin letters reaches it with fewer characters: the 62-character table name
        below is 64 bytes.

    Example:
        ```sql
        CREATE TABLE städtische_veranstaltungen_und_öffentliche_bekanntmachungen_24 (
            id bigint PRIMARY KEY
        );
        ```

    Use instead:
        ```sql
        CREATE TABLE städtische_bekanntmachungen (id bigint PRIMARY KEY);
        ```

    Notes:
        The parser has already truncated the names in the syntax tree, so this rule reads the
        statement's tokens. String literals and comments are not identifiers and are ignored.
    """

    code = "PW601"
    name = "identifier-too-long"
    category = "hygiene"
    severity = Severity.WARNING
    peers = {"squawk": "identifier-too-long"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        text = a.stmt.text
        candidate = _ASCII_CANDIDATE if text.isascii() else _CANDIDATE
        if len(text) < 16 or not candidate.search(text):
            return
        from pglast import parser

        try:
            tokens = parser.scan(text)
        except parser.ParseError:  # pragma: no cover - the statement already parsed
            return
        seen: set[str] = set()
        for tok in tokens:
            if tok.name not in ("IDENT", "UIDENT"):
                continue
            ident = _identifier(text[tok.start : tok.end + 1], tok.name == "UIDENT")
            size = len(ident.encode("utf-8"))
            if size <= MAX_BYTES or ident in seen:
                continue
            seen.add(ident)
            kept = ident.encode("utf-8")[:MAX_BYTES].decode("utf-8", errors="ignore")
            yield self.finding(
                _position(a, text, tok.start),
                f'identifier "{ident}" is {size} bytes: PostgreSQL silently truncates it to '
                f'"{kept}" ({len(kept.encode("utf-8"))} bytes)',
                f"shorten it to at most {MAX_BYTES} bytes",
            )


def _identifier(raw: str, unicode_escapes: bool) -> str:
    """The name a token stands for: quotes removed, unquoted names folded to lower case."""
    if unicode_escapes:  # U&"d\0061t"
        body = raw[3:-1].replace('""', '"')

        def char(m: re.Match[str]) -> str:
            return chr(int(m.group(1) or m.group(2), 16))

        return _UESCAPE.sub(char, body.replace("\\\\", "\x00")).replace("\x00", "\\")
    if raw.startswith('"'):
        return raw[1:-1].replace('""', '"')
    # PostgreSQL folds only ASCII letters of unquoted names (downcase_identifier).
    return "".join(c.lower() if "A" <= c <= "Z" else c for c in raw)


def _position(a: Analysed, text: str, offset: int) -> tuple[int, int]:
    newlines = text.count("\n", 0, offset)
    if not newlines:
        return a.line, a.column + offset
    return a.line + newlines, offset - text.rfind("\n", 0, offset)
