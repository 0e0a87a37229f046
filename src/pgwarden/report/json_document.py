"""The `--format json` document around the files' entries: light (no linter imports), for
the result cache, which stores a run's whole JSON output (see pgwarden.cache)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import orjson

from pgwarden import __version__


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: ~3x the standard encoder); text orjson refuses (a lone
    surrogate, e.g. in a path that is not UTF-8) goes through the standard one, escaped."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":")).encode("ascii")


def error_dict(display: str, line: int, column: int, message: str) -> dict[str, Any]:
    return {"path": display, "line": line, "column": column, "message": message}


def document(
    files: Iterable[bytes | memoryview], errors: list[dict[str, Any]]
) -> list[bytes | memoryview]:
    """The whole compact document, as pieces to write one after the other (see
    pieces.write_pieces): the files' entries (report.json_out.file_json) spliced in as they
    are, then the errors (error_dict)."""
    out: list[bytes | memoryview] = [dumps({"version": __version__})[:-1] + b',"files":[']
    for f in files:
        out += (f, b",")
    if len(out) > 1:
        out.pop()  # the last comma
    out += (b'],"errors":', dumps(errors), b"}\n")
    return out
