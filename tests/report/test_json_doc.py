"""docs/json-output.md documents exactly the keys `--format json` emits, with a true example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from pgwarden.cli.main import main

DOC = Path(__file__).parents[2] / "docs" / "json-output.md"

# Every list in the output is non-empty for this project, so every key shows up.
RICH = {
    "schema.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, total int);\n",
    "migrations/0001_orders.sql": (
        "\\set ON_ERROR_STOP on\n"
        "-- pgwarden: ignore[ban-truncate]\n"
        "BEGIN;\n"
        "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n"
        "CREATE INDEX orders_customer_idx ON orders (customer_id);\n"
        "COMMIT;\n"
    ),
    "migrations/0002_bad.sql": "ALTER TABLE orders ADD COLUM note text;\n",
}

# The scenario of the doc's example.
EXAMPLE = {
    "schema.sql": RICH["schema.sql"],
    "migrations/0001_index.sql": (
        "SET lock_timeout = '2s';\nCREATE INDEX orders_customer_idx ON orders (customer_id);\n"
    ),
    "migrations/0002_note.sql": "ALTER TABLE orders ADD COLUM note text;\n",
}


def documented_keys() -> set[str]:
    return set(re.findall(r"^\| `([a-z_\[\].]+)` \|", DOC.read_text(), re.MULTILINE))


def key_paths(value: Any, prefix: str = "") -> set[str]:
    out: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            path = f"{prefix}.{k}" if prefix else k
            out.add(path)
            out |= key_paths(v, path)
    elif isinstance(value, list):
        for item in value:
            out |= key_paths(item, prefix + "[]")
    return out


def run_json(tmp_path: Path, files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> Any:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    argv = ["lint", "--format", "json", "--no-cache", "--schema", "schema.sql", "migrations"]
    assert main(argv) == 2
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_documented_key_is_emitted_and_every_emitted_key_documented(
    in_tmp: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = run_json(in_tmp, RICH, capsys)
    emitted = key_paths(data)
    documented = documented_keys()
    assert len(documented) > 40
    assert documented - emitted == set(), "documented but not emitted"
    assert emitted - documented == set(), "emitted but not documented"


def _facts(value: Any) -> Any:
    """The output without findings and rule wording (rules are added and refined over time)."""
    if isinstance(value, dict):
        return {
            k: _facts(v)
            for k, v in value.items()
            if k not in ("findings", "message", "help", "version")
        }
    if isinstance(value, list):
        return [_facts(v) for v in value]
    return value


def _findings(data: Any) -> set[tuple[str, str, str, int, int]]:
    return {
        (f["rule"], f["code"], f["severity"], f["line"], f["column"])
        for fo in data["files"]
        for f in [*fo["findings"], *(x for s in fo["statements"] for x in s["findings"])]
    }


def test_example_is_real_output(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```json\n(.*?)```", DOC.read_text(), re.DOTALL)
    assert len(blocks) == 1
    example = json.loads(blocks[0])
    assert key_paths(example) <= documented_keys()
    real = run_json(in_tmp, EXAMPLE, capsys)
    assert _facts(example) == _facts(real)
    assert _findings(example) and _findings(example) <= _findings(real)
