"""`pgwarden rules`: the list, one rule's page, and unknown names."""

from __future__ import annotations

import pytest

from pgwarden.cli.main import main
from pgwarden.rules.base import all_rules


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[" not in out
    lines = out.splitlines()
    assert lines[0].split() == ["code", "name", "category", "severity", "opt-in", "summary"]
    for cls in all_rules():
        row = next(ln for ln in lines if ln.startswith(cls.code + " ")).split()
        assert row[1:5] == [
            cls.name,
            cls.category,
            cls.severity.value,
            "yes" if cls.opt_in else "no",
        ]
    assert lines[-1].startswith(f"{len(all_rules())} rules;")


@pytest.mark.parametrize("key", ["require-concurrent-index-creation", "PW101", "pw101"])
def test_page_by_name_or_code(key: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", key]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# require-concurrent-index-creation (PW101)\n")
    assert "## Why" in out and "## Given this existing schema" in out
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_customer_id_idx" in out
    assert "<!--" not in out


def test_rules_explain_name_also_works(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "explain", "PW101"]) == 0
    assert capsys.readouterr().out.startswith("# require-concurrent-index-creation (PW101)")


def test_page_rendered_on_request(capsys: pytest.CaptureFixture[str]) -> None:
    import io

    from pgwarden.report.rules_text import write_rule_page
    from pgwarden.rules.base import get_rule

    cls = get_rule("PW101")
    assert cls is not None
    out = io.StringIO()
    write_rule_page(cls, out, color=True)
    text = out.getvalue()
    assert "\x1b[" in text and "# require" not in text  # rich rendered the heading
    assert "require-concurrent-index-creation (PW101)" in text


def test_unknown_rule_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "require-concurent-index-creation"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("pgwarden: unknown rule 'require-concurent-index-creation'")
    assert "; did you mean require-concurrent-index-creation" in err


def test_unknown_rule_without_close_match(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "zzzz"]) == 2
    err = capsys.readouterr().err
    assert "unknown rule 'zzzz'" in err and "did you mean" not in err
