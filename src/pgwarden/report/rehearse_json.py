"""`rehearse --format json`: the source, the copy, trace's per-statement shape, estimates."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgwarden import __version__
from pgwarden.rehearse.model import CopiedTable, Estimate, LockWindow, RehearseResult
from pgwarden.report.trace_json import error_dict, file_dict


def _table(c: CopiedTable) -> dict[str, Any]:
    s = c.sampling
    return {
        "table": c.table,
        "how": c.how,
        "rows": c.rows,
        "source_rows": c.source_rows,
        "touched": c.touched or None,
        "sampling": None
        if s is None
        else {"method": s.method, "seed": s.seed, "percent": s.percent},
        "keys_kept": [{"name": k.name, "parent": k.parent} for k in c.kept],
        "keys_not_preserved": [
            {"name": k.name, "parent": k.parent, "why": k.why} for k in c.not_preserved
        ],
        "referenced": c.referenced,
        "referenced_by": list(c.referenced_by),
        "remark": c.remark or None,
        "note": c.note,
    }


def _estimate(e: Estimate | None) -> dict[str, Any] | None:
    if e is None:
        return None
    return {
        "measured_ms": e.measured_ms,
        "production_ms": e.production_ms,
        "factor": e.factor,
        "basis": e.basis,
    }


def _window(w: LockWindow) -> dict[str, Any]:
    return {
        "relation": w.relation,
        "mode": w.mode,
        "path": w.path,
        "first_line": w.first_line,
        "last_line": w.last_line,
        "production_ms": w.production_ms,
        "over_budget": w.over_budget,
    }


def result_dict(r: RehearseResult) -> dict[str, Any]:
    files = []
    if r.trace is not None:
        for f in r.trace.files:
            d = file_dict(f)
            for sd, st in zip(d["statements"], f.statements, strict=True):
                sd["estimate"] = _estimate(r.estimate_for(st.path, st.line, st.column))
            files.append(d)
    c = r.copy
    cmd = r.command
    return {
        "version": __version__,
        "source": {
            "label": r.source.label,
            "database": r.source.database,
            "major": r.source.major,
            "server_version": r.source.server_version,
        },
        "copy": {
            "label": c.label,
            "dsn": c.dsn if c.kept else None,
            "database": c.database,
            "major": c.major,
            "server_version": c.server_version,
            "mode": c.mode,
            "sample_rows": c.sample_rows if c.mode == "sample" else None,
            "seed": c.seed,
            "whole_under": c.whole_under if c.mode == "sample" else None,
            "touched_known": c.touched_known,
            "tables": [_table(t) for t in c.tables],
            "kept": c.kept,
            "pid": c.pid,
            "directory": c.directory or None,
        },
        "warnings": list(r.warnings),
        "budget_ms": r.budget_ms,
        "applied": list(r.applied),
        "files": files,
        "setup_error": error_dict(r.trace.setup_error)
        if r.trace is not None and r.trace.setup_error
        else None,
        "not_run": list(r.trace.not_run) if r.trace is not None else [],
        "offending": None
        if r.offending is None
        else {"rows": list(r.offending.rows), "how": r.offending.how},
        "lock_windows": [_window(w) for w in r.windows],
        "command": None
        if cmd is None
        else {
            "argv": list(cmd.argv),
            "exit_status": cmd.exit_status,
            "output": cmd.output,
            "duration_ms": cmd.duration_ms,
            "rewrites": list(cmd.rewrites),
        },
        "failed": r.failed,
        "over_budget": bool(r.over_budget),
        "exit_code": r.exit_code,
    }


def write_json(result: RehearseResult, out: TextIO) -> None:
    json.dump(result_dict(result), out, indent=2)
    out.write("\n")
