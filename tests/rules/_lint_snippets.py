"""Lint a snippet and list its findings (shared by the per-category rule tests)."""

from __future__ import annotations

from typing import Any

from pgwarden.config import LintConfig
from pgwarden.lint import lint_text
from pgwarden.rules.base import Finding


def findings(sql: str, schema: str = "", **config: Any) -> list[Finding]:
    result = lint_text(sql, LintConfig(cache=False, **config), schema_sql=schema)
    assert not result.errors, [str(e) for e in result.errors]
    return [f for fo in result.files for f in fo.all_findings()]


def of(rule: str, sql: str, schema: str = "", **config: Any) -> list[Finding]:
    """Findings of one rule (it is selected even when opt-in)."""
    config.setdefault("extend_select", frozenset({rule}))
    return [f for f in findings(sql, schema, **config) if f.rule == rule]
