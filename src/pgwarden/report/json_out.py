"""`--format json`: the stable machine-readable shape documented in docs/json-output.md."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgwarden import __version__
from pgwarden.lint import FileOut, LintResult, StatementOut
from pgwarden.rules.base import Finding


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule": f.rule,
        "code": f.code,
        "severity": f.severity._value_,  # `.value` goes through a property: ~25k calls
        "message": f.message,
        "help": f.help,
        "line": f.line,
        "column": f.column,
    }


# A corpus of 2,600 files has ~10k statements, ~30k locks and ~25k findings: the empty lists
# skip their comprehensions, each a function call on Python 3.11.
def statement_dict(s: StatementOut) -> dict[str, Any]:
    return {
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "sql": s.sql,
        "kind": s.kind,
        "locks": [lk.as_dict() for lk in s.locks] if s.locks else [],
        "held": [lk.as_dict() for lk in s.held] if s.held else [],
        "rewrites": s.rewrites,
        "index_rebuilds": s.index_rebuilds,
        "scans": s.scans,
        "transactional": s.transactional,
        "in_transaction": s.in_transaction,
        "unknown": s.unknown,
        "note": s.note,
        "findings": [finding_dict(f) for f in s.findings] if s.findings else [],
    }


def file_dict(f: FileOut) -> dict[str, Any]:
    return {
        "path": f.path,
        "statements": [statement_dict(s) for s in f.statements],
        "findings": [finding_dict(x) for x in f.findings] if f.findings else [],
        "notices": [{"line": ln, "column": c, "message": m} for ln, c, m in f.notices]
        if f.notices
        else [],
    }


def result_dict(result: LintResult) -> dict[str, Any]:
    return {
        "version": __version__,
        "files": [file_dict(f) for f in result.files],
        "errors": [
            {"path": e.display, "line": e.line, "column": e.column, "message": e.message}
            for e in result.errors
        ],
    }


def write_json(result: LintResult, out: TextIO) -> None:
    # Indented for a person at a terminal; compact otherwise, because only `json.dumps`
    # without indent uses the C encoder (10x faster on a whole migrations directory).
    isatty = getattr(out, "isatty", None)
    indent = 2 if isatty is not None and isatty() else None
    out.write(json.dumps(result_dict(result), indent=indent))
    out.write("\n")
