"""PW601 identifier-too-long."""

from __future__ import annotations

import re

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity

MAX_BYTES = 63  # NAMEDATALEN - 1

# A cheap pre-filter, so that most statements are not scanned, on the statement's UTF-8
# bytes: a token that decodes to 64+ bytes is a run of at least that many identifier bytes
# (letters, digits, _, $ and every byte of a non-ASCII character), or a quoted body (`""`
# counts once) of that many bytes, since an escape (\XXXX, \+XXXXXX, \\) is longer than
# the bytes it stands for. Runs are found by mapping identifier bytes to `a` (bytes.translate
# and a substring search: ~10x faster than a regular expression over the text).
_IDENT_BYTES = bytes(
    ord("a") if (chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_$")) or b >= 0x80 else 32
    for b in range(256)
)
_LONG_RUN = b"a" * (MAX_BYTES + 1)
_LONG_QUOTED = re.compile(rb'"(?:[^"]|""){64}')
_LONG_GAP = re.compile(rb'"[^"]{64}')  # the same where no `""` is
# Text made of quoted names within the limit, plain literals, line comments and anything
# else but `$` (a dollar-quoted literal) or `/*` (a block comment, which may nest), lexed
# left to right: a `'` in a name is part of it, a `"` in a literal or a comment too, `''` in
# a literal lexes as two literals, and a name may not be followed by `"` (`""` is one
# character of it). Possessive: a text that is not so fails in linear time.
_SHORT_NAMES_ONLY = re.compile(
    rb"""(?:--[^\n]*+|[^"'$/\-]++|-|/(?!\*)|"[^"]{0,%d}"(?!")|'[^']*+')*+""" % MAX_BYTES
)
_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
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

    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:  # see unknown-statement
        text = a.stmt.text
        memo = ctx.memo
        maybe = memo.get(self.name)
        if maybe is None:  # once per file: most files hold no long run at all
            texts = [st.text for st in ctx.parsed.statements]
            maybe = memo[self.name] = _candidate("\n".join(texts))
        if not maybe or not _candidate(text):
            return []
        from pglast import parser

        try:
            tokens = parser.scan(text)
        except parser.ParseError:  # pragma: no cover - the statement already parsed
            return []
        found: list[Finding] = []
        seen: set[str] = set()
        for tok in tokens:
            if tok.name not in ("IDENT", "UIDENT") or tok.end - tok.start < MAX_BYTES // 4:
                continue  # 15 characters or fewer are at most 60 bytes, quotes included
            raw = text[tok.start : tok.end + 1]
            if len(raw.encode("utf-8", "surrogatepass")) <= MAX_BYTES:
                continue  # the name is never longer than its token (escapes shrink)
            ident = _identifier(raw, tok.name == "UIDENT")
            size = len(ident.encode("utf-8"))
            if size <= MAX_BYTES or ident in seen:
                continue
            seen.add(ident)
            kept = ident.encode("utf-8")[:MAX_BYTES].decode("utf-8", errors="ignore")
            found.append(
                self.finding(
                    _position(a, text, tok.start),
                    f'identifier "{ident}" is {size} bytes: PostgreSQL silently truncates it '
                    f'to "{kept}" ({len(kept.encode("utf-8"))} bytes)',
                    f"shorten it to at most {MAX_BYTES} bytes",
                )
            )
        return found


def _candidate(text: str) -> bool:
    """False when `text` surely has no identifier over MAX_BYTES (see _IDENT_BYTES)."""
    if len(text) < 16:
        return False
    data = text.encode("utf-8", "surrogatepass")
    if _LONG_RUN in data.translate(_IDENT_BYTES):
        return True
    if b'"' not in data:
        return False
    # A backslash may escape a quote in a literal (E'\''), which lexes differently.
    if b"\\" not in data and _SHORT_NAMES_ONLY.fullmatch(data) is not None:
        return False
    # A `"` may sit in a comment or a literal: any run after a quote may be a name.
    return (_LONG_QUOTED if b'""' in data else _LONG_GAP).search(data) is not None


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
    return raw.translate(_ASCII_LOWER)


def _position(a: Analysed, text: str, offset: int) -> tuple[int, int]:
    newlines = text.count("\n", 0, offset)
    if not newlines:
        return a.line, a.column + offset
    return a.line + newlines, offset - text.rfind("\n", 0, offset)
