"""`--format github`: GitHub Actions workflow commands that annotate the pull request diff."""

from __future__ import annotations

from typing import TextIO

from pgwarden.lint import LintResult
from pgwarden.report._paths import relative_path
from pgwarden.rules.base import Severity

COMMANDS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a message the way @actions/core does (`escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (`escapeProperty`): also `:` and `,`, which delimit properties."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(kind: str, message: str, **props: str | int) -> str:
    """`::kind file=...,line=...::message`, every part escaped."""
    rendered = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items())
    return (
        f"::{kind} {rendered}::{escape_data(message)}"
        if rendered
        else f"::{kind}::{escape_data(message)}"
    )


def write_github(result: LintResult, out: TextIO) -> None:
    for fo in result.files:
        path = relative_path(fo.path)
        for line, col, msg in fo.notices:
            out.write(
                command("notice", msg, file=path, line=line, col=col, title="pgwarden") + "\n"
            )
        for f in fo.all_findings():
            out.write(
                command(
                    COMMANDS[f.severity],
                    f"{f.message}\nhelp: {f.help}",
                    file=path,
                    line=f.line,
                    col=f.column,
                    title=f"{f.code} {f.rule}",
                )
                + "\n"
            )
    for err in result.errors:
        out.write(
            command(
                "error",
                err.message,
                file=relative_path(err.display),
                line=err.line,
                col=err.column,
                title="pgwarden: parse error",
            )
            + "\n"
        )
