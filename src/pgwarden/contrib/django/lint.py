"""Lint the SQL of Django migrations; findings point at the migration file and operation."""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.config import LintConfig
from pgwarden.contrib.django.collect import CollectedMigration, collect
from pgwarden.lint import FileOut, LintResult, lint_parsed, select_rules
from pgwarden.rules.base import Finding, Severity
from pgwarden.sql import ParseFailure, SqlSource
from pgwarden.sql.source import parse_text


@dataclass(frozen=True, slots=True)
class OperationSpan:
    first_line: int
    last_line: int
    index: int
    description: str


def operation_lines(path: str) -> dict[int, int]:
    """Line of each element of `operations = [...]` in a migration module (best effort)."""
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return {}
    for node in ast.walk(tree):
        named = isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "operations" for t in node.targets
        )
        if named and isinstance(node, ast.Assign) and isinstance(node.value, ast.List | ast.Tuple):
            return {i: elt.lineno for i, elt in enumerate(node.value.elts)}
    return {}


def sql_text(m: CollectedMigration) -> tuple[str, list[OperationSpan]]:
    lines: list[str] = []
    spans: list[OperationSpan] = []
    for op in m.operations:
        first = len(lines) + 1
        for stmt in op.statements:
            text = stmt.strip().rstrip(";")
            lines.extend((text + ";").splitlines())
        spans.append(OperationSpan(first, len(lines), op.index, op.description))
    return "\n".join(lines) + "\n", spans


def lint_migrations(
    migrations: list[CollectedMigration],
    targeted: Callable[[CollectedMigration], bool],
    config: LintConfig,
) -> tuple[list[tuple[CollectedMigration, FileOut, list[OperationSpan]]], list[ParseFailure]]:
    """Lint the targeted migrations in order; the others only feed the catalog.

    Each FileOut has the lines of the migration's SQL text (`sql_text`), whose spans say which
    operation produced which lines.
    """
    catalog = Catalog()
    rules = select_rules(config)
    out: list[tuple[CollectedMigration, FileOut, list[OperationSpan]]] = []
    errors: list[ParseFailure] = []
    for m in migrations:
        text, spans = sql_text(m)
        parsed = parse_text(SqlSource(f"{m.path}", None, text), text)
        if isinstance(parsed, ParseFailure):
            errors.append(parsed)
            continue
        if not targeted(m):
            for st in parsed.statements:
                try:
                    apply_statement(st.node, catalog, False)
                except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                    continue
            catalog.mark_all_existing()
            continue
        cfg = replace(config, assume_in_transaction=m.atomic)
        out.append((m, lint_parsed(parsed, catalog, cfg, rules), spans))
        catalog.mark_all_existing()
    return out, errors


def lint_django(
    connection: Any,
    app_label: str | None,
    name: str | None,
    config: LintConfig,
    include_applied: bool = False,
) -> LintResult:
    """Lint unapplied migrations (or the named ones); earlier migrations feed the catalog."""

    def targeted(m: CollectedMigration) -> bool:
        if name is not None:
            return m.app_label == app_label and m.name.startswith(name)
        in_app = app_label is None or m.app_label == app_label
        return in_app and (include_applied or not m.applied)

    linted, errors = lint_migrations(collect(connection, app_label, name), targeted, config)
    result = LintResult(errors=list(errors))
    for m, out, spans in linted:
        result.files.append(_attribute(out, m, spans))
    return result


def file_line(m: CollectedMigration, spans: list[OperationSpan], sql_line: int) -> int:
    """The line in the migration module of the operation that produced line `sql_line`."""
    op_lines = operation_lines(m.path)
    for s in spans:
        if s.first_line <= sql_line <= s.last_line:
            return op_lines.get(s.index, 1)
    return 1


def _attribute(out: FileOut, m: CollectedMigration, spans: list[OperationSpan]) -> FileOut:
    """Move findings from SQL lines to the migration's operations (file line of the operation)."""
    op_lines = operation_lines(m.path)

    def where(line: int) -> tuple[int, str]:
        for s in spans:
            if s.first_line <= line <= s.last_line:
                return op_lines.get(s.index, 1), f"operation {s.index + 1} ({s.description})"
        return 1, "migration"

    fixed = FileOut(m.path, notices=out.notices)
    # One operation often runs several statements (AddField: ADD COLUMN, then DROP DEFAULT)
    # whose findings read the same once placed on the operation: report each once.
    seen: set[tuple[str, int, str]] = set()

    def moved(findings: list[Finding]) -> list[Finding]:
        kept = []
        for f in findings:
            ln, label = where(f.line)
            g = replace(f, line=ln, column=1, message=f"{m.label} {label}: {f.message}")
            if (g.rule, g.line, g.message) not in seen:
                seen.add((g.rule, g.line, g.message))
                kept.append(g)
        return kept

    for so in out.statements:
        so.findings = moved(so.findings)
        fixed.statements.append(so)
    fixed.findings.extend(moved(out.findings))
    for op in m.operations:
        if op.opaque:
            fixed.findings.append(
                Finding(
                    "unknown-statement",
                    "PW605",
                    Severity.WARNING,
                    f"{m.label} operation {op.index + 1} ({op.description}): RunPython is an "
                    "opaque data migration; its locks and run time cannot be known statically",
                    "keep data migrations separate from schema changes, batch them, and rehearse "
                    "them with `pgwarden rehearse`",
                    op_lines.get(op.index, 1),
                    1,
                )
            )
    return fixed
