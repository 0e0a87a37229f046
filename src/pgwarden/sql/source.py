"""Turn one SQL source into located statements (1-based line/column) using pglast."""

from __future__ import annotations

import bisect
import contextlib
import functools
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pgwarden.sql._read import MAX_BYTES as MAX_BYTES
from pgwarden.sql._read import ParseFailure as ParseFailure
from pgwarden.sql._read import read_bytes as read_bytes
from pgwarden.sql._scan import lex, skip_trivia
from pgwarden.sql.directives import Directive, find_directives
from pgwarden.sql.discover import SqlSource

# pglast builds its tree recursively in C: a left-nested chain (`1+1+1...`, `a IS NULL IS
# NULL...`) one level per two characters deep overflows an 8 MiB stack at ~25k levels (a
# crash, not an exception). Long texts are therefore parsed on a thread with a large stack,
# and a statement longer than MAX_STATEMENT is refused.
_LEADING_SPACE = re.compile(r"\s*")
_THREAD_ABOVE = 16_000  # characters; below this no chain can be deep enough to matter
_BIG_STACK = 512 * 1024 * 1024
MAX_STATEMENT = 1_000_000  # characters


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class Notice:
    """Something the reader should know that is not a finding (a skipped meta-command)."""

    line: int
    column: int
    message: str


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class Statement:
    """One top-level statement with where it is and what the parser made of it."""

    index: int
    line: int
    column: int
    end_line: int
    text: str
    node: Any  # a pglast.ast node (RawStmt.stmt)
    # The node's class name (CreateStmt, AlterTableStmt, ...): a field, not a property of
    # the node, as rules and the lock model ask it ~100k times over a corpus.
    kind: str
    in_block: bool  # inside an explicit BEGIN ... COMMIT of this file
    ignores: frozenset[str] = frozenset()
    directive: Directive | None = None
    section: str | None = None  # e.g. "revision 9c2e4b8d1a63" in Alembic's offline SQL


# Alembic's offline SQL (`alembic upgrade A:B --sql`) puts this comment before the statements
# of each revision; findings then name the revision, not just a line of the piped script.
_ALEMBIC = re.compile(r"^-- Running (upgrade|downgrade) (\S*) -> (\S+)", re.MULTILINE)


def _sections(text: str, lines: _Lines) -> list[tuple[int, str]]:
    """(line, label) of each Alembic revision marker, in order; [] for any other file."""
    if "-- Running " not in text:
        return []
    out = []
    for m in _ALEMBIC.finditer(text):
        revision = m.group(3) if m.group(1) == "upgrade" else m.group(2)
        out.append((lines.at(m.start())[0], f"revision {revision}"))
    return out


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


class _Lines:
    """Offsets to 1-based (line, column); the line starts are found on the first question."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.starts: list[int] | None = None

    def at(self, offset: int) -> tuple[int, int]:
        starts = self.starts
        if starts is None:
            starts = self.starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1


def decode(source: SqlSource, data: bytes) -> str | ParseFailure:
    """UTF-8 text of a source (a BOM is dropped); invalid bytes are located."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
        before = data[bom : exc.start].decode("utf-8", "replace")
        line, col = _Lines(before).at(len(before))
        return ParseFailure(
            source, line, col, f"not valid UTF-8 (byte 0x{data[exc.start]:02x}); save it as UTF-8"
        )


def read_text(source: SqlSource) -> str | ParseFailure:
    """Read a source as UTF-8; every failure becomes a located ParseFailure, never an exception."""
    if source.text is not None:
        return source.text
    data = read_bytes(source)
    return data if isinstance(data, ParseFailure) else decode(source, data)


def parse_source(source: SqlSource) -> ParsedFile | ParseFailure:
    """Parse a source; any problem is returned as a ParseFailure with line and column."""
    text = read_text(source)
    if isinstance(text, ParseFailure):
        return text
    return parse_text(source, text)


_patch_lock = threading.Lock()
_patch_depth = 0
_validating_setattr: Any = None  # pglast's own Node.__setattr__, saved on first use
_enum_classes: dict[str, Any] = {}  # pglast.enums' classes, while the block swaps them


class _Members(dict[int, Any]):
    """An enum's members by value: a C-level lookup, the class itself for anything else."""

    def __init__(self, cls: Any) -> None:
        super().__init__(cls._value2member_map_)
        self.cls = cls

    def __missing__(self, value: int) -> Any:
        return self.cls(value)


def _fast_enums(enums: Any) -> dict[str, Any]:
    """Swap pglast.enums' classes for C-level lookups of their members (returning what was
    there). pglast's C code converts every enum field as `getattr(enums, 'Name')(value)`,
    and calling an Enum class runs two Python functions: ~14% of its parse time."""
    import enum

    saved: dict[str, Any] = {}
    for name, cls in vars(enums).items():
        if isinstance(cls, type) and issubclass(cls, enum.Enum) and cls.__module__ != "enum":
            saved[name] = cls
    for name, cls in saved.items():
        setattr(enums, name, functools.partial(_Members(cls).__getitem__))
    return saved


@contextlib.contextmanager
def unvalidated_nodes() -> Iterator[None]:
    """Within this block pglast builds trees without its per-attribute validation.

    pglast checks and coerces every attribute assigned to a node in Python, which is most of
    its parse time; the values its C parser assigns are already of the right type (a test
    compares both ways), so the check is switched off while trees are built, and its enum
    classes are swapped for plain lookups (pglast.enums.X is not a class in the block: code
    here uses enum members, never those classes). Switching costs more than it seems
    (CPython re-derives the slot of every node class, ~300 of them), so a run over many
    files holds one block around all of them; blocks nest.
    """
    from pglast import ast, enums  # lazy: keeps `pgwarden --help` fast

    global _patch_depth, _validating_setattr
    with _patch_lock:
        if _patch_depth == 0:
            _validating_setattr = ast.Node.__dict__["__setattr__"]
            ast.Node.__setattr__ = object.__setattr__  # type: ignore[method-assign,assignment]
            _enum_classes.update(_fast_enums(enums))
        _patch_depth += 1
    try:
        yield
    finally:
        with _patch_lock:
            _patch_depth -= 1
            if _patch_depth == 0:
                ast.Node.__setattr__ = _validating_setattr  # type: ignore[method-assign]
                for name, cls in _enum_classes.items():
                    setattr(enums, name, cls)
                _enum_classes.clear()


def _raw_parse(sql: str) -> tuple[Any, ...]:
    """`pglast.parser.parse_sql` without pglast's attribute validation (see unvalidated_nodes)."""
    from pglast import parser  # lazy: keeps `pgwarden --help` fast

    if _patch_depth:  # inside a run's block already (entering a nested one costs ~1.5 us)
        result: tuple[Any, ...] = parser.parse_sql(sql)
        return result
    with unvalidated_nodes():
        result = parser.parse_sql(sql)
    return result


class _TooLarge(Exception):
    def __init__(self, offset: int, size: int) -> None:
        super().__init__(offset, size)
        self.offset = offset
        self.size = size


def _check_statement_sizes(sql: str) -> None:
    """Raise _TooLarge for the first statement over MAX_STATEMENT characters."""
    from pglast import parser

    try:
        slices = parser.split(sql, with_parser=False, only_slices=True)
    except Exception:  # a lexical error: parse_sql reports it before building any tree
        slices = ()
    for sl in slices:
        if sl.stop - sl.start > MAX_STATEMENT:
            raise _TooLarge(sl.start, sl.stop - sl.start)


def _parse_deep_safe(sql: str) -> tuple[Any, ...]:
    """Parse `sql`; long texts on a thread whose stack fits any chain they can hold."""
    if len(sql) <= _THREAD_ABOVE:
        return _raw_parse(sql)
    if len(sql) > MAX_STATEMENT:  # only then can one statement be too long (scanning the
        _check_statement_sizes(sql)  # text costs about as much as parsing it)
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = _raw_parse(sql)
        except BaseException as exc:  # handed to the calling thread
            box["error"] = exc

    old = threading.stack_size()
    try:
        threading.stack_size(_BIG_STACK)
        worker = threading.Thread(target=work, name="pgwarden-parse", daemon=True)
        worker.start()
    except (RuntimeError, ValueError, MemoryError):
        return _raw_parse(sql)  # no big stack here: the statement-size check still applies
    finally:
        threading.stack_size(old)
    worker.join()
    if "error" in box:
        raise box["error"]
    value: tuple[Any, ...] = box["value"]
    return value


def _error_offset(sql: str, message: str, pos: object) -> int:
    if isinstance(pos, int) and 0 <= pos <= len(sql):
        return pos
    if "end of input" in message:  # Postgres gives no position: point just past the last token
        return len(sql.rstrip())
    return 0


def _blank(text: str, start: int, end: int) -> str:
    """Spaces in place of a region (newlines kept, so lines and columns do not move)."""
    return re.sub(r"[^\n]", " ", text[start:end])


def _preprocess(
    text: str, lines: _Lines, notices: list[Notice]
) -> tuple[str, list[tuple[int, int]]]:
    """Blank what psql handles itself; return the SQL the server sees and its `--` comments."""
    lowered = text.lower()
    if "\\" not in text and "stdin" not in lowered and "pgwarden" not in lowered:
        return text, []
    lexed = lex(text)
    if not lexed.meta and not lexed.copy_data:
        return text, lexed.comments
    regions: list[tuple[int, int, str]] = []
    for start, end in lexed.meta:
        cmd = text[start:end].split(None, 1)[0]
        line, col = lines.at(start)
        note = f"skipped psql meta-command {cmd}"
        if cmd in ("\\i", "\\ir", "\\include", "\\include_relative"):
            note += " (the included file is not linted here)"
        notices.append(Notice(line, col, note))
        # \g and friends send the query buffer like `;` does.
        regions.append((start, end, ";" if cmd.startswith("\\g") else ""))
    for start, end in lexed.copy_data:
        line, col = lines.at(start)
        rows = text.count("\n", start, end)
        notices.append(Notice(line, col, f"skipped {rows} line(s) of COPY ... FROM STDIN data"))
        regions.append((start, end, ""))
    regions.sort()
    parts: list[str] = []
    at = 0
    for start, end, lead in regions:
        parts.append(text[at:start])
        blanked = _blank(text, start, end)
        parts.append(lead + blanked[len(lead) :])
        at = end
    parts.append(text[at:])
    sql = "".join(parts)
    comments = [c for c in lexed.comments if not any(s <= c[0] < e for s, e, _ in regions)]
    return sql, comments


def parse_nodes(source: SqlSource, text: str) -> list[Any] | None:
    """Just the statements' nodes of what parse_text would parse (None where it fails): for
    replaying a file into the catalog, which needs neither locations nor directives."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\x00" in text:
        return None
    sql, _ = _preprocess(text, _Lines(text), [])
    try:
        return [rs.stmt for rs in _parse_deep_safe(sql)]
    except Exception:  # parse_text reports what this skips
        return None


def parse_text(source: SqlSource, text: str) -> ParsedFile | ParseFailure:
    from pglast import parser  # lazy: keeps `pgwarden --help` fast

    if text.startswith("\ufeff"):  # a BOM read from stdin or given as text
        text = text[1:]
    lines = _Lines(text)
    if "\x00" in text:
        line, col = lines.at(text.index("\x00"))
        return ParseFailure(source, line, col, "contains a NUL byte; this is not a SQL text file")
    notices: list[Notice] = []
    sql, comments = _preprocess(text, lines, notices)
    try:
        raw = _parse_deep_safe(sql)
    except parser.ParseError as exc:
        msg = str(exc.args[0]) if exc.args else "syntax error"
        pos = exc.args[1] if len(exc.args) > 1 else None
        line, col = lines.at(_error_offset(sql, msg, pos))
        return ParseFailure(source, line, col, msg)
    except _TooLarge as exc:
        line, col = lines.at(skip_trivia(sql, exc.offset))
        return ParseFailure(
            source,
            line,
            col,
            f"statement of {exc.size:,} characters is too large to analyse"
            f" (limit {MAX_STATEMENT:,})",
        )
    except RecursionError:
        return ParseFailure(source, 1, 1, "statement nesting too deep to analyse")
    except Exception as exc:  # pglast raises plain errors for parser stack overflow and the like
        return ParseFailure(source, 1, 1, f"cannot parse: {exc}")

    directives, file_ignores, bad = find_directives(sql, lines.at, comments)
    for d in bad:
        notices.append(Notice(d.line, d.column, d.problem or "malformed pgwarden directive"))
    notices.sort(key=lambda n: (n.line, n.column))
    statements: list[Statement] = []
    sections = _sections(sql, lines)
    in_block = False
    prev_end = 0
    next_directive = 0
    # Lines are counted from one statement to the next (str.count runs in C): the corpus
    # bench spent a sixth of this function's time in per-statement bisects over line starts.
    line_no, counted = 1, 0
    count, rfind = sql.count, sql.rfind
    empty: frozenset[str] = frozenset()
    for i, rs in enumerate(raw):
        loc = rs.stmt_location or 0
        end = loc + rs.stmt_len if rs.stmt_len else len(sql)
        # stmt_location includes the whitespace and comments before a statement.
        start = _LEADING_SPACE.match(sql, loc).end()  # type: ignore[union-attr]  # `\s*`
        if sql.startswith(("--", "/*"), start):
            start = skip_trivia(sql, start)
        body = sql[start:end].rstrip()
        line_no += count("\n", counted, start)
        counted = start
        line, col = line_no, start - rfind("\n", 0, start)
        end_line = line + count("\n", start, start + max(len(body) - 1, 0))
        ignores = empty
        directive = None
        if next_directive < len(directives):
            found: set[str] = set()
            while next_directive < len(directives) and directives[next_directive].offset < start:
                d = directives[next_directive]
                if d.offset >= prev_end:
                    found |= d.rules
                    directive = d
                next_directive += 1
            ignores = frozenset(found)
        node: Any = rs.stmt
        kind = type(node).__name__
        block_here = in_block
        if kind == "TransactionStmt":
            k = getattr(node.kind, "name", str(node.kind))
            if k in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                in_block = True
            elif k in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK"):
                in_block = bool(getattr(node, "chain", False))  # AND CHAIN opens the next one
            elif k == "TRANS_STMT_PREPARE":
                in_block = False
        section = None
        for at, label in sections:
            if at > line:
                break
            section = label
        statements.append(
            Statement(
                i, line, col, end_line, body, node, kind, block_here, ignores, directive, section
            )
        )
        prev_end = end
    return ParsedFile(source, statements, notices, directives, file_ignores)
