"""Human output with rich: coloured on a terminal, plain when piped."""

from __future__ import annotations

from typing import TextIO

from pgwarden.lint import LintResult
from pgwarden.rules.base import Severity

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def write_text(result: LintResult, out: TextIO) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(file=out, highlight=False, soft_wrap=True)
    counts = {s: 0 for s in Severity}
    for f in result.files:
        for ln, col, msg in f.notices:
            console.print(f"[dim]{escape(f.path)}:{ln}:{col}: note: {escape(msg)}[/dim]")
        for fd in f.all_findings():
            counts[fd.severity] += 1
            style = _STYLE[fd.severity]
            console.print(
                f"[bold]{escape(f.path)}:{fd.line}:{fd.column}:[/bold] "
                f"[{style}]{fd.severity.value}[/{style}] [{style}]{fd.code}[/{style}] "
                f"{escape(fd.message)} [dim]\\[{fd.rule}][/dim]"
            )
            console.print(f"    [green]help:[/green] {escape(fd.help)}")
    nfiles = len(result.files)
    nstmts = sum(len(f.statements) for f in result.files)
    parts = [f"{counts[Severity.ERROR]} error(s)", f"{counts[Severity.WARNING]} warning(s)"]
    if result.errors:
        parts.append(f"{len(result.errors)} file(s) failed to parse")
    console.print(f"[dim]{nfiles} file(s), {nstmts} statement(s): {', '.join(parts)}[/dim]")
