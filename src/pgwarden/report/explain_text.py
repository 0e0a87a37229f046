"""`pgwarden explain` output: one table per statement of what it locks and what that blocks."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, TextIO

from pgwarden.explain import ExplainedStatement, Explanation, LockRow
from pgwarden.report.text import make_console
from pgwarden.rules.base import Severity

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

_SEVERITY = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}
_OPENS = {"BEGIN", "START"}
_ENDS = {"COMMIT", "ROLLBACK", "PREPARE"}
_PIPED_WIDTH = 160  # rich assumes 80 columns when piped; the table needs more


def _yes(flag: bool, style: str = "bold red") -> tuple[str, str]:
    return ("yes", style) if flag else ("no", "green")


def _sql_head(sql: str, limit: int = 100) -> str:
    first = " ".join(sql.split())
    return first if len(first) <= limit else first[: limit - 1] + "…"


def _table(rows: tuple[LockRow, ...]) -> Table:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in (
        "relation",
        "lock mode",
        "blocks reads?",
        "blocks writes?",
        "rewrite",
        "scan",
        "held until",
    ):
        table.add_column(header, no_wrap=header != "relation")
    for r in rows:
        danger = r.blocks_writes and not r.new
        relation = Text(r.relation)
        if r.kind != "table":
            relation.append(f" ({r.kind})", "dim")
        if r.new:
            relation.append(" (new: created in this file)", "dim")
        table.add_row(
            relation,
            Text(f"{r.mode}", "bold red" if danger else ""),
            Text(*_yes(r.blocks_reads, "bold red" if not r.new else "")),
            Text(*_yes(r.blocks_writes, "bold red" if not r.new else "")),
            Text(*(("yes: " + r.rewrite, "bold red") if r.rewrite else ("no", "green"))),
            Text(*_yes(r.scan, "yellow")),
            Text(r.held_until),
        )
    return table


def _statement(console: Console, st: ExplainedStatement) -> None:
    from rich.padding import Padding
    from rich.text import Text

    console.print(
        Text.assemble(
            (f"{st.path}:{st.line}:{st.column}", "bold"),
            "  ",
            (_sql_head(st.sql), "bold cyan"),
        )
    )
    held = ", ".join(f"{r.relation} {r.mode}" for r in st.held)
    if st.kind in _OPENS:
        console.print(
            Text("  opens a transaction: locks taken from here on are held until it ends")
        )
    elif st.kind in _ENDS:
        console.print(Text(f"  ends the transaction, releasing: {held or 'no table locks'}"))
    elif st.unknown:
        console.print(
            Text("  locks unknown: the lock model does not cover this statement", "yellow")
        )
    elif st.locks:
        console.print(Padding(_table(st.locks), (0, 0, 0, 2), expand=False))
    else:
        console.print(Text("  no table locks", "dim"))
    if held and st.kind not in _ENDS:
        console.print(Text(f"  already held until commit: {held}", "dim"))
    if not st.transactional:
        if st.in_transaction:
            console.print(Text("  fails here: cannot run inside a transaction block", "bold red"))
        else:
            console.print(Text("  runs outside any transaction (cannot run inside one)", "dim"))
    for f in st.findings:
        console.print(
            Text.assemble(
                "  ", (f"{f.severity.value}[{f.code}]", _SEVERITY[f.severity]), " ", f.message
            )
        )
    for alt in st.alternatives:
        console.print(Text.assemble("  ", ("safer alternative:", "bold green"), " ", alt))
    console.print()


def write_explain_text(ex: Explanation, out: TextIO, color: bool | None = None) -> None:
    from rich.text import Text

    console = make_console(out, color)
    if not console.is_terminal:
        console.width = max(console.width, _PIPED_WIDTH)
    for st in ex.statements:
        _statement(console, st)
    if not ex.statements and not ex.errors:
        console.print(Text("no statements", "dim"))


def write_explain_json(ex: Explanation, out: TextIO) -> None:
    json.dump(ex.as_dict(), out, indent=2)
    out.write("\n")
