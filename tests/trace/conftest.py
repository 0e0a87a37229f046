"""Helpers for trace tests: migration files on disk and tracing into the `db` fixture's database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from trace_support import Trace, Write

from pgwarden.trace import TraceOptions, TraceResult, trace_paths


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """write("0001_x.sql", sql) -> its path (dedented, under a fresh directory)."""

    def _write(name: str, text: str) -> Path:
        import textwrap

        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
        return path

    return _write


@pytest.fixture
def trace(db: Any) -> Trace:
    """Trace files into the test's fresh database; --commit by default so the observed
    transactions are the migration's own, as on a throwaway cluster."""

    def _trace(*paths: Path, commit: bool = True, **kw: Any) -> TraceResult:
        schema = tuple(str(p) for p in kw.pop("schema", ()))
        options = TraceOptions(dsn=db.dsn, commit=commit, schema=schema, **kw)
        return trace_paths([str(p) for p in paths], options)

    return _trace
