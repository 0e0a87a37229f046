"""Every rule's docstring examples run: Example triggers the rule, Use instead does not."""

from __future__ import annotations

import pytest

from pgwarden.config import LintConfig
from pgwarden.lint import lint_text
from pgwarden.rules.base import Rule, Severity, all_rules, doc_sections, sql_block

RULES = all_rules()


def _findings(rule: type[Rule], section: str) -> list[tuple[str, Severity, str]]:
    doc = doc_sections(rule.__doc__ or "")
    sql = sql_block(doc[section])
    schema = sql_block(doc.get("Schema", ""))
    cfg = LintConfig(extend_select=frozenset({rule.name}), cache=False)
    result = lint_text(sql, cfg, display=f"{rule.name}.sql", schema_sql=schema)
    assert not result.errors, [str(e) for e in result.errors]
    return [(f.rule, f.severity, f.message) for fo in result.files for f in fo.all_findings()]


def test_rules_exist() -> None:
    assert len(RULES) >= 4


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_docstring_has_sections(rule: type[Rule]) -> None:
    doc = doc_sections(rule.__doc__ or "")
    for section in ("Why", "Example", "Use instead"):
        assert doc.get(section), f"{rule.name} docstring lacks {section}:"
    assert rule.code.startswith("PW") and rule.name == rule.name.lower()
    assert "-" in rule.name or rule.name.isalpha()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_example_triggers_rule(rule: type[Rule]) -> None:
    found = _findings(rule, "Example")
    assert rule.name in {name for name, _, _ in found}, found


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.name)
def test_use_instead_is_clean(rule: type[Rule]) -> None:
    found = _findings(rule, "Use instead")
    assert rule.name not in {name for name, _, _ in found}, found
    errors = [f for f in found if f[1] is Severity.ERROR]
    assert not errors, errors
