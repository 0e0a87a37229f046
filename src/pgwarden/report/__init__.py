"""Formatters: the only code that prints lint results."""

from __future__ import annotations

from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from pgwarden.lint import LintResult


def render(result: LintResult, fmt: str, out: TextIO) -> None:
    if fmt == "json":
        from pgwarden.report.json_out import write_json

        write_json(result, out)
    elif fmt == "sarif":
        from pgwarden.report.sarif import write_sarif

        write_sarif(result, out)
    elif fmt == "github":
        from pgwarden.report.github import write_github

        write_github(result, out)
    else:
        from pgwarden.report.text import write_text

        write_text(result, out)
