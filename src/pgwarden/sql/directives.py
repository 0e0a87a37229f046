"""Inline `-- pgwarden: ignore[...]` and `-- pgwarden: ignore-file[...]` directives."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

# A comment that addresses pgwarden: `-- pgwarden: ...`, or `-- pgwarden ignore...` without
# the colon (a typo worth a notice). A comment that merely mentions pgwarden is no directive.
_ADDRESSED = re.compile(
    r"--[ \t]*pgwarden[ \t]*(?::(?P<body>.*)|(?P<nocolon>ignore\b.*))$", re.IGNORECASE
)
_FORM = re.compile(r"^(?P<verb>ignore-file|ignore)\s*(?:\[(?P<rules>[^\]]*)\])?$", re.IGNORECASE)
_RULE = re.compile(r"^[A-Za-z0-9_*-]+$")

ALL = "*"  # ignore every rule
_EXPECTED = "expected `-- pgwarden: ignore[rule, ...]` or `-- pgwarden: ignore-file[rule, ...]`"


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive: which rules it silences, for the next statement or the whole file."""

    offset: int
    line: int
    column: int
    rules: frozenset[str]
    file_scope: bool
    problem: str | None = None


def _problem(body: str, nocolon: bool) -> tuple[str | None, frozenset[str], bool]:
    """(problem, rules, file scope) of a directive body."""
    if nocolon:
        return f"malformed pgwarden directive (missing `:`): {_EXPECTED}", frozenset(), False
    form = _FORM.match(body)
    if not form:
        return f"malformed pgwarden directive: {_EXPECTED}", frozenset(), False
    file_scope = form.group("verb").lower() == "ignore-file"
    raw = form.group("rules")
    if raw is None:  # bare `ignore` / `ignore-file`: every rule
        return None, frozenset({ALL}), file_scope
    rules = [r.strip() for r in raw.split(",")]
    if not any(rules):
        return (
            "pgwarden directive lists no rule: write the rule names, or drop the brackets to "
            "ignore every rule",
            frozenset(),
            file_scope,
        )
    bad = [r for r in rules if not _RULE.match(r)]
    if bad:
        return f"pgwarden directive has an invalid rule name {bad[0]!r}", frozenset(), file_scope
    return None, frozenset(rules), file_scope


def find_directives(
    sql: str, locate: Callable[[int], tuple[int, int]], comments: Iterable[tuple[int, int]]
) -> tuple[list[Directive], frozenset[str] | None, list[Directive]]:
    """Return next-statement directives (in order), the file-level ignore set, and bad ones.

    `comments` are the (start, end) offsets of the `--` comments of `sql`, so text inside
    string literals and function bodies is never read as a directive.
    """
    nexts: list[Directive] = []
    bad: list[Directive] = []
    file_rules: set[str] | None = None
    for start, end in comments:
        text = sql[start:end].rstrip()
        if "pgwarden" not in text.lower():
            continue
        m = _ADDRESSED.match(text)
        if m is None:
            continue
        line, col = locate(start)
        body = (m.group("body") or m.group("nocolon") or "").strip()
        problem, rules, file_scope = _problem(body, m.group("nocolon") is not None)
        if problem is not None:
            bad.append(Directive(start, line, col, frozenset(), file_scope, problem))
        elif file_scope:
            file_rules = (file_rules or set()) | set(rules)
        else:
            nexts.append(Directive(start, line, col, rules, False))
    return nexts, (frozenset(file_rules) if file_rules is not None else None), bad
