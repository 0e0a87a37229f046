"""JSON for the runner: a JSON-lines event log (`--format json`) and status / dry-run documents."""

from __future__ import annotations

import json
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from pgwarden.runner.events import Event
    from pgwarden.runner.migrate import DryRunResult, StatusResult
    from pgwarden.runner.plan import PlanEntry


class JsonLinesSink:
    """One JSON object per event and line, flushed at once (CI logs, `jq`).

    Events meant for a live display only (a waiting event's progress refresh) are left out:
    the log keeps the waiting events of a change of blockers and every 10 s.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, event: Event) -> None:
        if event.live_only:
            return
        line = json.dumps(event.as_dict(), default=str)
        with self._lock:
            self.out.write(line + "\n")
            self.out.flush()

    def __enter__(self) -> JsonLinesSink:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None


def entry_dict(e: PlanEntry) -> dict[str, Any]:
    row = e.row
    return {
        "version": e.version,
        "name": e.file.name if e.file else (row.name if row else ""),
        "state": e.state,
        "path": str(e.file.path) if e.file else None,
        "checksum": e.file.checksum if e.file else None,
        "applied_checksum": row.checksum if row else None,
        "started_at": row.started_at.isoformat() if row else None,
        "finished_at": row.finished_at.isoformat() if row and row.finished_at else None,
        "duration_ms": row.duration_ms if row else None,
        "attempts": row.attempts if row else None,
        "outcome": row.outcome if row else None,
        "error": row.error if row else None,
        "progress": row.progress if row else 0,
    }


def write_status_json(result: StatusResult, out: TextIO) -> None:
    doc = {
        "database": result.database,
        "history_table": result.history_exists,
        "migrations": [entry_dict(e) for e in result.entries],
    }
    out.write(json.dumps(doc, indent=2) + "\n")


def write_dry_run_json(result: DryRunResult, out: TextIO) -> None:
    from pgwarden.report.json_out import result_dict

    doc = {
        "database": result.database,
        "migrations": [entry_dict(e) for e in result.entries],
        "would_run": [s.file.version for s in result.scripts],
        "preflight": {
            "source": result.preflight.source,
            "verdict": result.preflight.verdict or None,
            "reasons": list(result.preflight.reasons),
            "error": result.preflight.error or None,
            "blockers": [b.as_dict() for b in result.preflight.blockers],
        },
        "lint": result_dict(result.lint) if result.lint is not None else None,
    }
    out.write(json.dumps(doc, indent=2, default=str) + "\n")
