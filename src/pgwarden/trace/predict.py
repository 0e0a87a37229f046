"""The lint prediction for each traced file, made for the server's major version."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.config import LintConfig
from pgwarden.errors import UsageError
from pgwarden.lint import FileOut, lint_parsed, select_rules
from pgwarden.locks.context import SUPPORTED_VERSIONS
from pgwarden.sql import ParsedFile
from pgwarden.trace.schema import Plan, tx_kind


@dataclass(frozen=True, slots=True)
class Prediction:
    """lint's view of one traced file, and whether trace runs it in a single transaction."""

    file: FileOut
    wrapped: bool


def model_version(major: int) -> int:
    """The lock model's nearest supported major for a server major."""
    return min(max(major, SUPPORTED_VERSIONS.start), SUPPORTED_VERSIONS.stop - 1)


def _apply_schema(files: tuple[ParsedFile, ...], catalog: Catalog) -> None:
    for f in files:
        for st in f.statements:
            try:
                apply_statement(st.node, catalog, False)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                continue  # a statement the catalog cannot model is skipped, as lint does
        catalog.mark_all_existing()


def predict(plan: Plan, version: int, config: LintConfig) -> list[Prediction]:
    """Lint the traced files after the setup files, sharing one evolving catalog.

    A file is wrapped in one transaction (as migration tools do) unless it manages its own
    transactions or holds a statement that cannot run in one; lint then assumes the same.
    """
    catalog = Catalog()
    _apply_schema(plan.setup, catalog)
    base = config.with_overrides(pg_version=version)
    rules = select_rules(base)
    out = []
    for parsed in plan.traced:
        probe = lint_parsed(parsed, catalog.copy(), base, rules)
        own_tx = any(tx_kind(st) is not None for st in parsed.statements)
        wrapped = not own_tx and all(s.transactional for s in probe.statements)
        cfg = base.with_overrides(assume_in_transaction=wrapped) if wrapped else base
        out.append(Prediction(lint_parsed(parsed, catalog, cfg, rules), wrapped))
        catalog.mark_all_existing()
    return out


def refuse_non_transactional(plan: Plan, predictions: list[Prediction]) -> None:
    """--dsn without --commit runs everything in one transaction that is rolled back: a
    statement that cannot run in a transaction block would have to commit, so stop first."""
    for parsed, pred in zip(plan.traced, predictions, strict=True):
        for so in pred.file.statements:
            if not so.transactional:
                raise UsageError(
                    f"{parsed.display}:{so.line}:{so.column}: {so.kind} cannot run inside a "
                    "transaction block, and with --dsn but without --commit trace runs "
                    "everything in one transaction that it rolls back; pass --commit (the "
                    "changes stay in that database) or trace on a throwaway cluster (no --dsn)"
                )
