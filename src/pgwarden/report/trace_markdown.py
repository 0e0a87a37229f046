"""`trace --format markdown`: a table per file, for a pull-request comment."""

from __future__ import annotations

from typing import TextIO

from pgwarden.report.trace_common import (
    TRANSACTION_LABEL,
    compare_counts,
    duration,
    grouped,
    predicted_summary,
)
from pgwarden.trace.model import ServerError, StatementTrace, TraceResult


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _code(text: str, limit: int = 80) -> str:
    one = " ".join(text.split())
    if len(one) > limit:
        one = one[: limit - 1] + "…"
    return "`" + _cell(one).replace("`", "'") + "`"


def _locks(s: StatementTrace) -> tuple[str, str]:
    """(new locks, what is blocked while the statement runs: held and new locks together)."""
    groups = [g for g in grouped(s.locks) if g.relkind != "index"] or grouped(s.locks)
    locks = "<br>".join(
        f"{'**' if not g.new and 'writes' in g.blocks else ''}{g.strongest.name}"
        f"{'**' if not g.new and 'writes' in g.blocks else ''} on `{_cell(g.relation)}`"
        for g in groups
    )
    in_force = [g for g in grouped(s.locks + s.held) if g.relkind != "index" and not g.new]
    effect = "<br>".join(f"`{_cell(g.relation)}`: {_cell(g.blocks)}" for g in in_force)
    return locks or "—", effect or "—"


def _statement_row(s: StatementTrace) -> str:
    locks, effect = _locks(s)
    held = ", ".join(
        f"{g.strongest.name} on `{_cell(g.relation)}`"
        for g in grouped(s.held)
        if g.relkind != "index"
    )
    rewrites = ", ".join(f"`{_cell(r)}`" for r in s.rewrites) or "—"
    time = duration(s.duration_ms) + (" (sampled)" if s.sampled else "")
    cells = [str(s.line), _code(s.sql), locks, effect, held or "—", rewrites, time]
    if s.comparison is not None:
        c = s.comparison
        mark = {"agree": "✅", "unconfirmed": "❔", "disagree": "❌"}[c.status]
        said = f"<br>predicted {_cell(predicted_summary(s))}"
        cells.append(mark + "".join(f"<br>{_cell(str(d))}" for d in c.differences) + said)
    return "| " + " | ".join(cells) + " |"


def _error(e: ServerError, what: str) -> list[str]:
    lines = [
        f"> **{what} at `{_cell(e.path)}:{e.line}:{e.column}`**: {_cell(e.message)} "
        f"(SQLSTATE `{e.sqlstate}`); rolled back.",
    ]
    if e.detail:
        lines.append(f"> detail: {_cell(e.detail)}")
    if e.hint:
        lines.append(f"> hint: {_cell(e.hint)}")
    if e.statement:
        lines += ["", "```sql", e.statement, "```"]
    return lines


def write_markdown(result: TraceResult, out: TextIO) -> None:
    r = result
    lines = [
        "### pgwarden trace",
        "",
        f"Traced on {_cell(r.target)}"
        + (f"; schema from {', '.join(f'`{p}`' for p in r.setup)}" if r.setup else "")
        + (f"; tables filled with {r.rows} generated rows" if r.rows else "")
        + ".",
    ]
    if r.setup_error is not None:
        lines += ["", *_error(r.setup_error, "Schema setup failed")]
    header = ["Line", "Statement", "New locks", "Blocked while it runs", "Held", "Rewrites", "Time"]
    if r.compared:
        header.append("Model")
    for f in r.files:
        label = TRANSACTION_LABEL.get(f.transaction, f.transaction)
        lines += ["", f"#### `{_cell(f.path)}` ({label})", ""]
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines += [_statement_row(s) for s in f.statements]
        findings = [(s, fd) for s in f.statements if s.predicted for fd in s.predicted.findings]
        if findings:
            lines += ["", "Lint findings:", ""]
            lines += [
                f"- line {fd.line}: **{fd.severity.value}** `{fd.rule}` ({fd.code}): "
                f"{_cell(fd.message)}" + (f" — {_cell(fd.help)}" if fd.help else "")
                for _, fd in findings
            ]
        if f.error is not None:
            lines += ["", *_error(f.error, "Failed")]
            if f.not_run:
                lines.append(f"> {f.not_run} later statement(s) not run.")
    lines.append("")
    if r.not_run:
        lines.append(f"Not run after the failure: {', '.join(f'`{p}`' for p in r.not_run)}.")
    if r.compared:
        c = compare_counts(r)
        lines.append(
            f"Lock model vs server: {c['agree']} agree, {c['disagree']} disagree"
            + (f", {c['unconfirmed']} unconfirmed (sampled)" if c["unconfirmed"] else "")
            + "."
        )
    out.write("\n".join(lines) + "\n")
