"""`--format github` workflow commands, escaped as @actions/core escapes them."""

from __future__ import annotations

import io

from pgwarden.lint import LintResult
from pgwarden.report.github import command, escape_data, escape_property, write_github


def test_escape_data() -> None:
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_data("a: b, c") == "a: b, c"  # message text keeps : and ,


def test_escape_property() -> None:
    assert escape_property("dir,x/a:b.sql") == "dir%2Cx/a%3Ab.sql"
    assert escape_property("50%\n") == "50%25%0A"


def test_command_escapes_every_part() -> None:
    line = command("error", "one\ntwo 100%", file="a,b.sql", line=3, col=1, title="PW1 x: y")
    assert line == "::error file=a%2Cb.sql,line=3,col=1,title=PW1 x%3A y::one%0Atwo 100%25"
    assert "\n" not in line


def test_output(result: LintResult) -> None:
    out = io.StringIO()
    write_github(result, out)
    lines = out.getvalue().splitlines()
    assert (
        "::notice file=migrations/0001_index.sql,line=1,col=1,title=pgwarden::"
        "skipped psql meta-command \\set"
    ) in lines
    [pw101] = [ln for ln in lines if "PW101" in ln]
    assert pw101.startswith(
        "::error file=migrations/0001_index.sql,line=2,col=1,"
        "title=PW101 require-concurrent-index-creation::CREATE INDEX takes SHARE"
    )
    assert "%0Ahelp: use CREATE INDEX CONCURRENTLY" in pw101
    [pw114] = [ln for ln in lines if "PW114" in ln]
    assert pw114.startswith("::warning file=migrations/0001_index.sql,line=2,col=1,")
    [parse] = [ln for ln in lines if "0002_bad" in ln]
    assert parse.startswith("::error file=migrations/0002_bad.sql,line=2,col=")
    assert "title=pgwarden%3A parse error::syntax error" in parse
