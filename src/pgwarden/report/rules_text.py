"""`pgwarden rules` output: the rule table, and a rule page rendered from Markdown."""

from __future__ import annotations

from typing import TextIO

from pgwarden.report.text import make_console
from pgwarden.rules.base import Rule, Severity, all_rules
from pgwarden.rules.docs import render_rule_page

_SEVERITY = {Severity.ERROR: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def write_rule_list(out: TextIO, color: bool | None = None) -> None:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    console = make_console(out, color)
    if not console.is_terminal:
        console.width = max(console.width, 200)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for header in ("code", "name", "category", "severity", "opt-in", "summary"):
        table.add_column(header, no_wrap=header != "summary")
    rules = all_rules()
    for cls in rules:
        table.add_row(
            cls.code,
            Text(cls.name, "bold"),
            cls.category,
            Text(cls.severity.value, _SEVERITY[cls.severity]),
            "yes" if cls.opt_in else "no",
            Text(cls.summary(), "dim"),
        )
    console.print(table)
    console.print(Text(f"{len(rules)} rules; `pgwarden rules NAME` shows one rule's page.", "dim"))


def write_rule_page(
    cls: type[Rule], out: TextIO, markdown: bool = False, color: bool | None = None
) -> None:
    page = render_rule_page(cls)
    # The generation marker comments matter in docs/rules/, not in a terminal.
    body = "\n".join(ln for ln in page.splitlines() if not ln.startswith("<!--")).lstrip("\n")
    console = make_console(out, color)
    if markdown or not console.is_terminal:
        # Piped, the Markdown source reads as plain text and keeps SQL lines whole.
        out.write(body + "\n")
        return
    from rich.markdown import Markdown

    console.print(Markdown(body, code_theme="ansi_dark"))
