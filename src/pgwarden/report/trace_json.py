"""`trace --format json`: lint's per-statement JSON shape, plus what the server was seen doing."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgwarden import __version__
from pgwarden.locks.modes import blocks
from pgwarden.report.json_out import finding_dict
from pgwarden.report.trace_common import compare_counts
from pgwarden.trace.model import (
    Comparison,
    FileTrace,
    ObservedLock,
    ServerError,
    StatementTrace,
    TraceResult,
)


def lock_dict(lk: ObservedLock) -> dict[str, Any]:
    b = blocks(lk.mode)
    return {
        "relation": lk.relation,
        "mode": lk.mode.name,
        "kind": lk.relkind,
        "new": lk.new,
        "blocks_reads": b.reads,
        "blocks_writes": b.writes,
        "reason": "",
        "granted": lk.granted,
    }


def comparison_dict(c: Comparison) -> dict[str, Any]:
    return {
        "status": c.status,
        "differences": [
            {
                "relation": d.relation,
                "what": d.what,
                "predicted": d.predicted,
                "observed": d.observed,
            }
            for d in c.differences
        ],
        "notes": list(c.notes),
    }


def error_dict(e: ServerError) -> dict[str, Any]:
    return {
        "path": e.path,
        "line": e.line,
        "column": e.column,
        "sqlstate": e.sqlstate,
        "message": e.message,
        "detail": e.detail,
        "hint": e.hint,
        "sql": e.statement,
        "statement_line": e.statement_line,
    }


def statement_dict(s: StatementTrace) -> dict[str, Any]:
    p = s.predicted
    return {
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "sql": s.sql,
        "kind": s.kind,
        "locks": [lock_dict(lk) for lk in s.locks],
        "held": [lock_dict(lk) for lk in s.held],
        "rewrites": list(s.rewrites),
        "index_rebuilds": list(s.index_rebuilds),
        "scans": list(s.scans),
        "transactional": s.transactional,
        "in_transaction": s.in_transaction,
        "unknown": p.unknown if p else False,
        "note": p.note if p else "",
        "findings": [finding_dict(f) for f in p.findings] if p else [],
        "observed": True,
        "duration_ms": s.duration_ms,
        "rows": s.rows,
        "sampled": s.sampled,
        "granted": all(lk.granted for lk in s.locks),
        "predicted": None
        if p is None
        else {
            "locks": [lk.as_dict() for lk in p.locks],
            "rewrites": p.rewrites,
            "index_rebuilds": p.index_rebuilds,
            "scans": p.scans,
        },
        "comparison": comparison_dict(s.comparison) if s.comparison else None,
    }


def file_dict(f: FileTrace) -> dict[str, Any]:
    return {
        "path": f.path,
        "transaction": f.transaction,
        "statements": [statement_dict(s) for s in f.statements],
        "error": error_dict(f.error) if f.error else None,
        "not_run": f.not_run,
        "notices": list(f.notices),
    }


def result_dict(r: TraceResult) -> dict[str, Any]:
    return {
        "version": __version__,
        "observed": True,
        "target": {
            "label": r.target,
            "major": r.major,
            "server_version": r.server_version,
            "model_version": r.model_version,
            "committed": r.committed,
            "throwaway": r.throwaway,
        },
        "setup": list(r.setup),
        "skipped": list(r.skipped),
        "fill": [{"table": f.table, "rows": f.rows, "error": f.error} for f in r.fill],
        "setup_error": error_dict(r.setup_error) if r.setup_error else None,
        "files": [file_dict(f) for f in r.files],
        "not_run": list(r.not_run),
        "compare": compare_counts(r) if r.compared else None,
        "exit_code": r.exit_code,
    }


def write_json(result: TraceResult, out: TextIO) -> None:
    json.dump(result_dict(result), out, indent=2)
    out.write("\n")
