"""`trace` for people: one block per statement with its SQL, locks, what they block, rewrites."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

from pgwarden.locks.modes import is_dangerous
from pgwarden.report.trace_common import (
    TRANSACTION_LABEL,
    compare_counts,
    duration,
    grouped,
    predicted_summary,
    short_sql,
)
from pgwarden.trace.model import ObservedLock, ServerError, StatementTrace, TraceResult

if TYPE_CHECKING:
    from rich.console import Console

# Severity of the lint findings printed under each statement (as `pgwarden lint` colours them).
_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def write_text(result: TraceResult, out: TextIO) -> None:
    from rich.console import Console

    console = Console(file=out, highlight=False, soft_wrap=True)
    _Writer(console, result).write()


class _Writer:
    def __init__(self, console: Console, result: TraceResult) -> None:
        self.c = console
        self.r = result

    def p(self, text: str = "") -> None:
        self.c.print(text)

    def write(self) -> None:
        from rich.markup import escape

        r = self.r
        self.p(f"[bold]pgwarden trace[/bold] on {escape(r.target)}")
        if r.model_version != r.major:
            self.p(f"[dim]lock model: PostgreSQL {r.model_version} rules[/dim]")
        if r.setup:
            self.p(f"[dim]schema applied first: {escape(', '.join(r.setup))}[/dim]")
        if r.skipped:
            self.p(f"[dim]down migrations not run: {escape(', '.join(r.skipped))}[/dim]")
        if r.fill:
            parts = [
                f"{f.table} {f.rows}" if not f.error else f"{f.table} not filled ({f.error})"
                for f in r.fill
            ]
            self.p(f"[dim]rows generated: {escape('; '.join(parts))}[/dim]")
        if r.setup_error is not None:
            self.p()
            self._error(r.setup_error, "schema setup failed")
        for f in r.files:
            self.p()
            label = TRANSACTION_LABEL.get(f.transaction, f.transaction)
            self.p(f"[bold underline]{escape(f.path)}[/bold underline] [dim]({label})[/dim]")
            for note in f.notices:
                self.p(f"  [dim]note: {escape(note)}[/dim]")
            for s in f.statements:
                self._statement(s)
            if f.error is not None:
                self._error(f.error, "failed")
                if f.not_run:
                    self.p(f"  [dim]{f.not_run} later statement(s) not run[/dim]")
        self.p()
        self._summary()

    def _statement(self, s: StatementTrace) -> None:
        from rich.markup import escape

        extra = []
        if s.rows is not None:
            extra.append(f"{s.rows} row(s)")
        if s.sampled:
            extra.append("sampled, no transaction")
        elif not s.in_transaction:
            extra.append("own transaction")
        tail = f" [dim]({', '.join(extra)})[/dim]" if extra else ""
        self.p(
            f"\n[bold]{s.line}:{s.column}[/bold] [cyan]{escape(s.kind)}[/cyan] "
            f"{duration(s.duration_ms)}{tail}"
        )
        for line in short_sql(s.sql).splitlines():
            self.p(f"  [dim]│[/dim] {escape(line)}")
        self._locks("new", s.locks, strong=True)
        if s.held:
            self._locks("held", s.held, strong=False)
        if s.rewrites:
            self.p(f"  [bold red]rewrite[/bold red] {escape(', '.join(s.rewrites))}")
        if s.index_rebuilds:
            self.p(f"  [yellow]index rebuilt[/yellow] {escape(', '.join(s.index_rebuilds))}")
        if s.scans:
            self.p(f"  [dim]full scan[/dim] {escape(', '.join(s.scans))}")
        c = s.comparison
        if c is not None:
            said = f" [dim]— predicted {escape(predicted_summary(s))}[/dim]"
            if c.status == "agree":
                self.p(f"  [green]model agrees[/green]{said}")
            elif c.status == "unconfirmed":
                self.p(f"  [yellow]model unconfirmed[/yellow] [dim](sampled)[/dim]{said}")
            else:
                self.p(f"  [bold red]MODEL DISAGREES[/bold red]{said}")
            for d in c.differences:
                self.p(f"    [red]{escape(str(d))}[/red]")
            for n in c.notes:
                self.p(f"    [dim]{escape(n)}[/dim]")
        # One line each; `pgwarden lint` adds the help (the lines here are about locks).
        for fd in s.predicted.findings if s.predicted else ():
            style = _STYLE.get(fd.severity.value, "")
            self.p(
                f"  [{style}]lint {fd.severity.value}[{fd.code}][/{style}] "
                f"{escape(fd.message)} [dim]({escape(fd.rule)})[/dim]"
            )

    def _locks(self, label: str, locks: tuple[ObservedLock, ...], *, strong: bool) -> None:
        from rich.markup import escape

        groups = grouped(locks)
        # Index locks that block nothing (AccessShare/RowExclusive taken by plans and triggers)
        # are true but noise: counted on one line.
        quiet = [g for g in groups if g.relkind == "index" and not is_dangerous(g.strongest)]
        shown = [g for g in groups if g not in quiet]
        if not groups and strong:
            self.p(f"  {label:<5} [dim]no new relation locks[/dim]")
        width = max((len(g.strongest.name) for g in shown), default=0)
        for i, g in enumerate(shown):
            head = label if i == 0 else ""
            name = f"{g.strongest.name:<{width}}"
            harmful = strong and not g.new and is_dangerous(g.strongest)
            mode = f"[bold red]{name}[/bold red]" if harmful else name
            kind = "" if g.relkind == "table" else f" ({g.relkind})"
            also = f" [dim](also {', '.join(m.name for m in g.weaker)})[/dim]" if g.weaker else ""
            blocks = f" [dim]— {g.blocks}[/dim]" if strong else ""
            waited = " [yellow]not granted[/yellow]" if not g.granted else ""
            self.p(f"  {head:<5} {mode} {escape(g.relation + kind)}{also}{blocks}{waited}")
        if quiet:
            head = "" if shown else label
            names = ", ".join(g.relation for g in quiet)
            self.p(
                f"  {head:<5} [dim]{len(quiet)} index lock(s) that block nothing: "
                f"{escape(names)}[/dim]"
            )

    def _error(self, e: ServerError, what: str) -> None:
        from rich.markup import escape

        self.p(
            f"[bold red]{escape(e.path)}:{e.line}:{e.column}: {what}:[/bold red] "
            f"{escape(e.message)} [dim](SQLSTATE {e.sqlstate})[/dim]"
        )
        if e.statement:
            for line in short_sql(e.statement).splitlines():
                self.p(f"  [dim]│[/dim] {escape(line)}")
        if e.detail:
            self.p(f"  detail: {escape(e.detail)}")
        if e.hint:
            self.p(f"  hint: {escape(e.hint)}")
        self.p("  [dim]rolled back[/dim]")

    def _summary(self) -> None:
        from rich.markup import escape

        r = self.r
        n = len(r.statements())
        parts = [f"{n} statement(s) in {len(r.files)} file(s) traced"]
        found = sum(len(s.predicted.findings) for s in r.statements() if s.predicted)
        if found:
            parts.append(f"{found} lint finding(s)")
        if r.failed:
            e = r.setup_error or next(f.error for f in r.files if f.error)
            parts.append(f"[bold red]failed at {escape(e.path)}:{e.line}:{e.column}[/bold red]")
        if r.not_run:
            parts.append(f"{len(r.not_run)} file(s) not run")
        if r.compared:
            c = compare_counts(r)
            style = "bold red" if c["disagree"] else "green"
            parts.append(
                f"[{style}]compare: {c['agree']} agree, {c['disagree']} disagree[/{style}]"
                + (f", {c['unconfirmed']} unconfirmed" if c["unconfirmed"] else "")
            )
        if r.throwaway:
            parts.append("throwaway cluster removed")
        elif not r.committed:
            parts.append("rolled back: nothing committed")
        else:
            parts.append("committed (--commit)")
        self.p("; ".join(p for p in parts if p))
