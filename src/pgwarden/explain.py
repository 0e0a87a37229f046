"""`explain` as a library function: per statement, what it locks, what that blocks, for how long."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pgwarden.config import LintConfig
from pgwarden.errors import InputError
from pgwarden.lint import LintResult, LockOut, StatementOut, lint_paths, lint_text
from pgwarden.locks.modes import LockMode, blocks
from pgwarden.rules.base import Finding, Severity
from pgwarden.sql import ParseFailure

HELD_COMMIT = "commit"
HELD_STATEMENT = "end of statement"


@dataclass(frozen=True, slots=True)
class LockRow:
    """One relation a statement locks: the row of explain's table."""

    relation: str
    mode: str  # as in pg_locks.mode, e.g. AccessExclusiveLock
    sql_mode: str  # as in LOCK TABLE, e.g. ACCESS EXCLUSIVE
    kind: str  # table, index, view, matview, sequence, partitioned, foreign
    new: bool  # created earlier in this file: no traffic waits for it
    blocks_reads: bool
    blocks_writes: bool
    rewrite: str  # "table", "indexes", "" (none)
    scan: bool
    held_until: str  # HELD_COMMIT or HELD_STATEMENT
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "mode": self.mode,
            "kind": self.kind,
            "new": self.new,
            "blocks_reads": self.blocks_reads,
            "blocks_writes": self.blocks_writes,
            "rewrite": self.rewrite or None,
            "scan": self.scan,
            "held_until": self.held_until,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ExplainedStatement:
    path: str
    line: int
    column: int
    sql: str
    kind: str
    locks: tuple[LockRow, ...]
    held: tuple[LockRow, ...]  # still held from earlier statements of the same transaction
    in_transaction: bool
    transactional: bool  # False: cannot run inside a transaction block
    unknown: bool
    note: str
    findings: tuple[Finding, ...]

    @property
    def alternatives(self) -> tuple[str, ...]:
        """The findings' help lines, most severe first, without repeats."""
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        seen: dict[str, None] = {}
        for f in sorted(self.findings, key=lambda f: order[f.severity]):
            seen.setdefault(f.help, None)
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "sql": self.sql,
            "kind": self.kind,
            "locks": [r.as_dict() for r in self.locks],
            "held": [r.as_dict() for r in self.held],
            "in_transaction": self.in_transaction,
            "transactional": self.transactional,
            "unknown": self.unknown,
            "note": self.note,
            "findings": [
                {
                    "rule": f.rule,
                    "code": f.code,
                    "severity": f.severity.value,
                    "message": f.message,
                    "help": f.help,
                }
                for f in self.findings
            ],
            "safer_alternatives": list(self.alternatives),
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    statements: tuple[ExplainedStatement, ...]
    errors: tuple[ParseFailure, ...]

    @property
    def exit_code(self) -> int:
        return 2 if self.errors else 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "statements": [s.as_dict() for s in self.statements],
            "errors": [
                {"path": e.display, "line": e.line, "column": e.column, "message": e.message}
                for e in self.errors
            ],
        }


def _row(lk: LockOut, s: StatementOut, held_until: str) -> LockRow:
    mode = LockMode[lk.mode]
    b = blocks(mode)
    rewrite = (
        "table"
        if lk.relation in s.rewrites
        else "indexes"
        if lk.relation in s.index_rebuilds
        else ""
    )
    return LockRow(
        lk.relation,
        lk.mode,
        mode.sql_name,
        lk.relkind,
        lk.new,
        b.reads,
        b.writes,
        rewrite,
        lk.relation in s.scans,
        held_until,
        lk.reason,
    )


def held_until(s: StatementOut) -> str:
    """Table locks last until the transaction ends: COMMIT inside one, else the statement's end."""
    return HELD_COMMIT if s.in_transaction and s.transactional else HELD_STATEMENT


def explain_result(result: LintResult) -> Explanation:
    """Turn a lint result into explain rows (one per relation a statement locks)."""
    out = []
    for fo in result.files:
        for s in fo.statements:
            until = held_until(s)
            out.append(
                ExplainedStatement(
                    fo.path,
                    s.line,
                    s.column,
                    s.sql,
                    s.kind,
                    tuple(_row(lk, s, until) for lk in s.locks),
                    tuple(_row(lk, s, HELD_COMMIT) for lk in s.held),
                    s.in_transaction,
                    s.transactional,
                    s.unknown,
                    s.note,
                    tuple(s.findings),
                )
            )
    return Explanation(tuple(out), tuple(result.errors))


def looks_like_path(arg: str) -> bool:
    """A single word ending in .sql or containing a path separator is meant as a file."""
    return not any(c.isspace() for c in arg.strip()) and (
        arg.lower().endswith(".sql") or os.sep in arg or "/" in arg
    )


def _exists(arg: str) -> bool:
    try:
        return Path(arg).exists()
    except (OSError, ValueError):  # SQL text: too long for a file name, or a NUL byte
        return False


def explain(arg: str, config: LintConfig) -> Explanation:
    """Explain a file, a directory, `-` (stdin) or SQL text given inline."""
    if arg == "-" or _exists(arg):
        return explain_result(lint_paths([arg], config))
    if looks_like_path(arg):
        raise InputError(f"{arg}: no such file (give SQL text in quotes, or an existing path)")
    return explain_result(lint_text(arg, config))
