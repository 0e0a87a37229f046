"""Inline `-- pgwarden: ignore[...]` and `-- pgwarden: ignore-file[...]` directives."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_DIRECTIVE = re.compile(r"--[ \t]*pgwarden:[ \t]*(?P<body>[^\n]*)", re.IGNORECASE)
_FORM = re.compile(r"^(?P<verb>ignore-file|ignore)\s*(?:\[(?P<rules>[^\]]*)\])?\s*$", re.IGNORECASE)

ALL = "*"  # ignore every rule


@dataclass(frozen=True, slots=True)
class Directive:
    """One directive: which rules it silences, for the next statement or the whole file."""

    offset: int
    line: int
    column: int
    rules: frozenset[str]
    file_scope: bool
    problem: str | None = None


def find_directives(
    sql: str, locate: Callable[[int], tuple[int, int]]
) -> tuple[list[Directive], frozenset[str] | None, list[Directive]]:
    """Return next-statement directives (in order), the file-level ignore set, and bad ones."""
    nexts: list[Directive] = []
    bad: list[Directive] = []
    file_rules: set[str] | None = None
    if "pgwarden" not in sql.lower():
        return nexts, None, bad
    for m in _DIRECTIVE.finditer(sql):
        line, col = locate(m.start())
        form = _FORM.match(m.group("body").strip())
        if not form:
            bad.append(
                Directive(
                    m.start(),
                    line,
                    col,
                    frozenset(),
                    False,
                    "malformed directive: expected `-- pgwarden: ignore[rule, ...]` or "
                    "`-- pgwarden: ignore-file[rule, ...]`",
                )
            )
            continue
        raw = form.group("rules")
        rules = frozenset(r.strip() for r in raw.split(",") if r.strip()) if raw else frozenset()
        rules = rules or frozenset({ALL})
        if form.group("verb").lower() == "ignore-file":
            file_rules = (file_rules or set()) | set(rules)
        else:
            nexts.append(Directive(m.start(), line, col, rules, False))
    return nexts, (frozenset(file_rules) if file_rules is not None else None), bad
