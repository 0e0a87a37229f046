"""Output of `pgwarden check`: the verdict, why, backups with progress, conflicts and traffic."""

from __future__ import annotations

import json
from typing import Any, TextIO

from pgwarden.inspect.backups import Backup
from pgwarden.inspect.check import CheckReport
from pgwarden.inspect.units import format_duration as fd
from pgwarden.inspect.verdict import Reason, Verdict
from pgwarden.locks.modes import blocks
from pgwarden.report.inspect_common import (
    console,
    lock_dict,
    lock_text,
    server_text,
    session_dict,
    short_query,
    state_text,
    who,
)

VERDICT_STYLE = {Verdict.GO: "bold green", Verdict.WAIT: "bold yellow", Verdict.NO_GO: "bold red"}
_MARK = {Verdict.NO_GO: "✗", Verdict.WAIT: "…", Verdict.GO: "·"}


def bar(fraction: float | None, width: int = 24) -> str:
    if fraction is None:
        return "[" + "?" * width + "]"
    done = round(fraction * width)
    return "[" + "#" * done + "-" * (width - done) + "]"


def verdict_headline(report: CheckReport) -> str:
    d = report.decision
    head = f"{d.verdict.value} (exit {d.exit_code})"
    if d.verdict is Verdict.WAIT:
        if d.expected_wait is not None:
            prefix = "~" if d.wait_known else "at least "
            head += f"  expected wait {prefix}{fd(d.expected_wait)}"
        else:
            head += "  expected wait unknown"
    return head


def backup_line(b: Backup) -> str:
    parts = [f"pid {b.pid} {b.tool}"]
    if b.dump_fraction is not None:
        parts.append(f"{bar(b.dump_fraction)} {b.dump_fraction:.0%} of the dump")
    if b.copying:
        tf = f" {b.table_fraction:.0%}" if b.table_fraction is not None else ""
        parts.append(f"copying {b.copying}{tf}")
    if b.tuples_done is not None:
        parts.append(f"{b.tuples_done:,} rows so far")
    parts.append(f"running {fd(b.age)}")
    if b.eta is not None:
        parts.append(f"ETA {fd(b.eta)}" + (" (this table)" if b.eta_scope == "table" else ""))
    if b.holds:
        parts.append("holds " + ", ".join(b.holds))
    return "  ".join(parts)


def wait_line(report: CheckReport, waited: float) -> str:
    """One plain line per poll of `check --wait` when the output is not a terminal."""
    stamp = report.snapshot.taken_at.strftime("%H:%M:%S")
    backups = {b.pid: b for b in report.backups}
    parts = []
    for r in report.decision.blocking:
        b = backups.get(r.pid) if r.code == "backup" and r.pid is not None else None
        if b is not None:
            done = f" {b.dump_fraction:.0%} of the dump" if b.dump_fraction is not None else ""
            eta = f", ETA {fd(b.eta)}" if b.eta is not None else ""
            parts.append(f"{b.tool} pid {b.pid}{done}{eta}")
        else:
            parts.append(f"{r.code} " + (f"pid {r.pid}" if r.pid else r.relation or ""))
    what = "; ".join(parts) or "nothing blocks"
    return f"{stamp} waited {fd(waited)}: {verdict_headline(report)}: {what}"


def check_renderable(report: CheckReport, dsn: str, waited: float | None = None) -> Any:
    """The full text report as a rich renderable (printed once, or refreshed by --wait)."""
    from rich.console import Group
    from rich.text import Text

    snap, d = report.snapshot, report.decision
    lines: list[Any] = []
    head = Text("pgwarden check  ", style="bold")
    head.append(f"{dsn or '(PG* environment)'}  {server_text(snap)}", style="dim")
    lines.append(head)
    for i, n in enumerate(report.needs.needs):
        t = Text("needs  " if i == 0 else "       ", style="bold")
        t.append(f"{n.mode.sql_name} on {n.relation}", style="bold")
        t.append(f"  ({n.statement} at {n.where}; {blocks(n.mode).summary})", style="dim")
        lines.append(t)
    if not report.needs.needs:
        lines.append(Text("needs  no lock on an existing relation", style="bold"))
    if report.needs.new_relations:
        lines.append(
            Text(f"       new (ignored): {', '.join(report.needs.new_relations)}", style="dim")
        )
    if report.needs.unknown:
        lines.append(
            Text(
                f"       locks unknown for {len(report.needs.unknown)} statement(s): "
                + ", ".join(report.needs.unknown[:5]),
                style="yellow",
            )
        )
    lines.append(Text(""))
    verdict = Text(verdict_headline(report), style=VERDICT_STYLE[d.verdict])
    if waited is not None:
        verdict.append(f"   (waited {fd(waited)})", style="dim")
    lines.append(verdict)
    for r in d.blocking:
        lines.extend(_reason_lines(r))
    if report.backups:
        lines.append(Text("backups", style="bold"))
        for b in report.backups:
            lines.append(Text("  " + backup_line(b)))
    shown = [c for c in d.conflicts if c.kind != "traffic"]
    if shown:
        lines.append(Text(f"conflicting sessions ({len(shown)})", style="bold"))
        for c in shown:
            s = c.session
            t = Text(f"  pid {s.pid:<7} ")
            t.append(f"{c.kind:<20}", style=VERDICT_STYLE[c.verdict])
            t.append(f"{who(s)}  {state_text(s)}  {lock_text(c.lock)}")
            lines.append(t)
            lines.append(Text(f"           {short_query(s.query)}", style="dim"))
    if report.traffic.tables:
        lines.append(Text("traffic that would queue behind the migration", style="bold"))
        for tt in report.traffic.tables:
            apps = ", ".join(f"{a} x{n}" for a, n in tt.applications[:5])
            t = Text(f"  {tt.relation}: ")
            t.append(f"{tt.sessions} session(s) now" + (f" ({apps})" if apps else ""))
            if tt.scans_per_s is not None and tt.writes_per_s is not None:
                t.append(
                    f"; {tt.scans_per_s:.1f} scans/s, {tt.writes_per_s:.1f} rows written/s "
                    f"over {report.traffic.sample:.1f}s"
                )
            queue = tt.would_queue or "nothing (the lock blocks no reads or writes)"
            t.append(f"; would queue: {queue}", style="dim")
            lines.append(t)
    notes = d.notes
    if notes:
        lines.append(Text("notes", style="bold"))
        for r in notes:
            lines.extend(_reason_lines(r))
    return Group(*lines)


def _reason_lines(r: Reason) -> list[Any]:
    from rich.text import Text

    t = Text(f"  {_MARK[r.verdict]} ", style=VERDICT_STYLE[r.verdict])
    t.append(f"{r.code}: ", style=VERDICT_STYLE[r.verdict] if r.verdict is not Verdict.GO else "")
    t.append(r.message)
    out = [t]
    if r.action:
        out.append(Text(f"      → {r.action}", style="cyan"))
    return out


def write_check_text(
    report: CheckReport, dsn: str, out: TextIO, waited: float | None = None
) -> None:
    console(out).print(check_renderable(report, dsn, waited))


def check_dict(
    report: CheckReport, dsn: str, waited: float | None = None, timed_out: bool | None = None
) -> dict[str, Any]:
    snap, d = report.snapshot, report.decision
    out: dict[str, Any] = {
        "verdict": d.verdict.value,
        "exit_code": d.exit_code,
        "expected_wait_s": d.expected_wait,
        "expected_wait_known": d.wait_known,
        "server": {
            "dsn": dsn,
            "database": snap.database,
            "server_version_num": snap.version_num,
            "taken_at": snap.taken_at.isoformat(),
            "lock_rows": snap.lock_rows,
        },
        "needs": [
            {
                "relation": n.relation,
                "mode": n.mode.name,
                "sql_mode": n.mode.sql_name,
                "statement": n.statement,
                "where": n.where,
                "blocks_reads": n.blocks_reads,
                "blocks_writes": n.blocks_writes,
            }
            for n in report.needs.needs
        ],
        "new_relations": list(report.needs.new_relations),
        "unknown_statements": list(report.needs.unknown),
        "reasons": [
            {
                "verdict": r.verdict.value,
                "code": r.code,
                "message": r.message,
                "pid": r.pid,
                "relation": r.relation,
                "eta_s": r.eta,
                "action": r.action,
            }
            for r in d.reasons
        ],
        "conflicts": [
            {
                "kind": c.kind,
                "verdict": c.verdict.value,
                "lock": lock_dict(c.lock),
                "needed_mode": c.need.mode.name,
                "session": session_dict(c.session),
            }
            for c in d.conflicts
        ],
        "backups": [
            {
                "pid": b.pid,
                "tool": b.tool,
                "matched_by": b.matched_by,
                "database": b.database,
                "age_s": b.age,
                "copying": b.copying,
                "table_fraction": b.table_fraction,
                "tuples_done": b.tuples_done,
                "bytes_done": b.bytes_done,
                "dump_fraction": b.dump_fraction,
                "eta_s": b.eta,
                "eta_scope": b.eta_scope or None,
                "holds": list(b.holds),
                "passed": list(b.passed),
                "ahead": list(b.ahead),
                "tables": b.tables,
            }
            for b in report.backups
        ],
        "traffic": {
            "sample_s": report.traffic.sample,
            "tables": [
                {
                    "relation": t.relation,
                    "sessions": t.sessions,
                    "applications": dict(t.applications),
                    "scans_per_s": t.scans_per_s,
                    "writes_per_s": t.writes_per_s,
                    "would_queue": t.would_queue,
                }
                for t in report.traffic.tables
            ],
        },
        "visibility": {
            "user": snap.visibility.user,
            "superuser": snap.visibility.superuser,
            "pg_read_all_stats": snap.visibility.read_all_stats,
            "hidden_sessions": snap.visibility.hidden_sessions,
            "complete": snap.visibility.complete,
        },
        "pass_ms": round(report.pass_ms, 1),
    }
    if waited is not None:
        out["waited_s"] = waited
        out["timed_out"] = bool(timed_out)
    return out


def write_check_json(
    report: CheckReport,
    dsn: str,
    out: TextIO,
    waited: float | None = None,
    timed_out: bool | None = None,
) -> None:
    json.dump(check_dict(report, dsn, waited, timed_out), out, indent=2)
    out.write("\n")
