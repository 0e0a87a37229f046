"""`rehearse` for people: how the copy was made, each statement with its production estimate,
the failure and its row, lock windows against the budget, and how to reach a kept copy."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pgwarden.locks.modes import LockMode
from pgwarden.rehearse.model import CopiedTable, CopyInfo, RehearseResult
from pgwarden.report.trace_common import TRANSACTION_LABEL, duration, grouped, short_sql
from pgwarden.trace.model import ServerError, StatementTrace

if TYPE_CHECKING:
    from rich.console import Console

OUTPUT_LINES = 40  # of a command's output, the last ones


def write_text(result: RehearseResult, out: TextIO) -> None:
    from rich.console import Console

    console = Console(file=out, highlight=False, soft_wrap=True)
    _Writer(console, result).write()


def copied_text(t: CopiedTable, sample_rows: int) -> str:
    src = "?" if t.source_rows is None else f"~{t.source_rows:,}"
    text = {
        "full": f"all {t.rows:,} rows",
        "whole": f"whole, {t.rows:,} rows",
        "all": f"all {t.rows:,} rows",
        "sampled": f"sampled {t.rows:,} of {src}",
        "schema-only": "schema only",
    }.get(t.how, t.how)
    return f"{text} ({t.note})" if t.note else text


def data_text(c: CopyInfo) -> str:
    """What the copy holds, in one line."""
    if c.mode == "full":
        return "every row"
    text = f"up to {c.sample_rows:,} rows per table, spread over it (seed {c.seed})"
    if c.whole_under > 0:
        return f"{text}; every row of the tables the migrations touch, under {c.whole_under:,}"
    return f"{text}; the tables the migrations touch sampled too (--whole-under 0)"


def connect_help(c: CopyInfo) -> list[str]:
    return [
        f'connect: psql "{c.dsn}"',
        f"stop:    kill -INT {c.pid} && rm -rf {c.directory}",
    ]


class _Writer:
    def __init__(self, console: Console, result: RehearseResult) -> None:
        self.c = console
        self.r = result

    def p(self, text: str = "") -> None:
        self.c.print(text)

    def write(self) -> None:
        from rich.markup import escape

        r = self.r
        s, c = r.source, r.copy
        version = escape(s.server_version)
        self.p(f"[bold]pgwarden rehearse[/bold] from {escape(s.label)} ({version})")
        self.p(f"copy: {escape(c.label)}, database {escape(c.database)}")
        for w in r.warnings:
            self.p(f"[yellow]warning:[/yellow] {escape(w)}")
        self.p(f"data: {escape(data_text(c))}")
        width = max((len(t.table) for t in c.tables), default=0)
        for t in c.tables:
            style = "yellow" if t.not_preserved else "dim"
            text = escape(copied_text(t, c.sample_rows))
            self.p(f"  {escape(t.table):<{width}}  [{style}]{text}[/{style}]")
        if r.applied:
            self.p(f"[dim]already applied on the source: {escape(', '.join(r.applied))}[/dim]")
        if r.trace is not None:
            self._trace()
        elif r.applied:
            self.p("\nno pending migration")
        if r.windows:
            self._windows()
        if r.command is not None:
            self._command()
        self.p()
        self._summary()

    def _trace(self) -> None:
        from rich.markup import escape

        t = self.r.trace
        assert t is not None
        if t.setup_error is not None:
            self._error(t.setup_error)
        for f in t.files:
            label = TRANSACTION_LABEL.get(f.transaction, f.transaction)
            self.p(f"\n[bold underline]{escape(f.path)}[/bold underline] [dim]({label})[/dim]")
            for st in f.statements:
                self._statement(st)
            if f.error is not None:
                self._error(f.error)
                if f.not_run:
                    self.p(f"  [dim]{f.not_run} later statement(s) not run[/dim]")
        if t.not_run:
            self.p(f"\n[dim]not run after the failure: {escape(', '.join(t.not_run))}[/dim]")

    def _statement(self, st: StatementTrace) -> None:
        from rich.markup import escape

        e = self.r.estimate_for(st.path, st.line, st.column)
        est = ""
        if e is not None and e.factor != 1.0:
            if e.production_ms is None:
                est = " [yellow]→ production: cannot scale[/yellow]"
            else:
                est = f" → [bold]~{duration(e.production_ms)} in production[/bold]"
        rows = f" [dim]({st.rows:,} row(s))[/dim]" if st.rows is not None else ""
        self.p(
            f"  [bold]{st.line}:{st.column}[/bold] [cyan]{escape(st.kind)}[/cyan] "
            f"{duration(st.duration_ms)} on the copy{est}{rows}"
        )
        for line in short_sql(st.sql, lines=2).splitlines():
            self.p(f"    [dim]│ {escape(line)}[/dim]")
        for g in grouped(st.locks):
            if g.relkind == "index" and not g.new:
                continue
            mode = g.strongest.sql_name
            strong = not g.new and "writes" in g.blocks
            shown = f"[bold red]{mode}[/bold red]" if strong else mode
            self.p(f"    lock {shown} {escape(g.relation)} [dim]— {escape(g.blocks)}[/dim]")
        if st.rewrites:
            self.p(f"    [bold red]rewrite[/bold red] {escape(', '.join(st.rewrites))}")
        if st.scans:
            self.p(f"    [dim]full scan {escape(', '.join(st.scans))}[/dim]")
        if e is not None and e.factor not in (None, 1.0):
            self.p(f"    [dim]scaled x{e.factor:,.1f}: {escape(e.basis)}[/dim]")
        elif e is not None and e.production_ms is None:
            self.p(f"    [yellow]{escape(e.basis)}[/yellow]")

    def _error(self, err: ServerError) -> None:
        from rich.markup import escape

        self.p(
            f"  [bold red]FAILED {escape(err.path)}:{err.line}:{err.column}:[/bold red] "
            f"{escape(err.message)} [dim](SQLSTATE {err.sqlstate})[/dim]"
        )
        for line in short_sql(err.statement).splitlines():
            self.p(f"    [dim]│[/dim] {escape(line)}")
        if err.detail:
            self.p(f"    detail: {escape(err.detail)}")
        if err.hint:
            self.p(f"    hint: {escape(err.hint)}")
        o = self.r.offending
        if o is not None and o.how != "named by PostgreSQL":
            self.p(f"    [bold]offending row[/bold] [dim]({escape(o.how)})[/dim]")
            for row in o.rows:
                self.p(f"      {escape(row)}")
        self.p("    [dim]rolled back on the copy; the source was not touched[/dim]")

    def _windows(self) -> None:
        from rich.markup import escape

        r = self.r
        self.p(f"\nlocks that block writes, against the budget of {duration(r.budget_ms)}:")
        for w in r.windows:
            lines = (
                f"{w.first_line}"
                if w.first_line == w.last_line
                else (f"{w.first_line}-{w.last_line}")
            )
            held = "unknown" if w.production_ms is None else f"~{duration(w.production_ms)}"
            verdict = "[bold red]OVER BUDGET[/bold red]" if w.over_budget else "[green]ok[/green]"
            self.p(
                f"  {escape(w.relation)} {LockMode[w.mode].sql_name} held {held} in production "
                f"[dim]({escape(w.path)}:{lines})[/dim] {verdict}"
            )

    def _command(self) -> None:
        from rich.markup import escape

        cmd = self.r.command
        assert cmd is not None
        code = f"exit {cmd.exit_status}"
        status = f"[bold red]{code}[/bold red]" if cmd.failed else f"[green]{code}[/green]"
        self.p(
            f"\n[bold]command[/bold] {escape(' '.join(cmd.argv))}: {status} "
            f"in {duration(cmd.duration_ms)}"
        )
        lines = cmd.output.rstrip().splitlines()
        if len(lines) > OUTPUT_LINES:
            self.p(f"  [dim]… {len(lines) - OUTPUT_LINES} earlier line(s)[/dim]")
        for line in lines[-OUTPUT_LINES:]:
            self.p(f"  [dim]│[/dim] {escape(line)}")
        if cmd.rewrites:
            self.p(f"  [bold red]rewrote[/bold red] {escape(', '.join(cmd.rewrites))}")

    def _summary(self) -> None:
        from rich.markup import escape

        r = self.r
        if r.failed:
            self.p("[bold red]FAILED on the copy: fix it before it reaches the source[/bold red]")
        elif r.over_budget:
            n = len(r.over_budget)
            self.p(f"[bold yellow]succeeded, but {n} lock(s) would exceed the budget[/]")
        else:
            self.p("[bold green]succeeded on the copy, within the budget[/bold green]")
        c = r.copy
        if c.kept:
            self.p("the copy keeps running (--keep); it has no password:")
            for line in connect_help(c):
                self.p(f"  {escape(line)}")
        else:
            self.p("[dim]throwaway copy removed[/dim]")
