"""The dataclass methods' code kept between runs (pgwarden.dataclass_code) makes exactly the
methods compiling them makes; a damaged, unwritable or switched-off cache file changes
nothing but the time it takes. Each case runs in a fresh interpreter: classes are made once
per process, as their modules are imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

# Imports what a lint run does, then prints every generated method's code (dataclasses
# compiles them from "<string>") and how many texts were compiled rather than found.
_PROBE = r"""
import dataclasses, json, sys
import pgwarden.dataclass_code as dc

dc.cache_file = lambda: sys.argv[1]
if sys.argv[2] == "install":
    dc.install()
import pgwarden.cache, pgwarden.lint, pgwarden.pipeline, pgwarden.report.json_out
from pgwarden.rules.base import load_all

load_all()

@dataclasses.dataclass
class NotOurs:  # a module outside pgwarden: compiled as usual, never kept
    x: int

methods = {}
for name, module in sorted(sys.modules.items()):
    if not name.startswith("pgwarden."):
        continue
    for cls in list(vars(module).values()):
        if not (dataclasses.is_dataclass(cls) and isinstance(cls, type)):
            continue
        if cls.__module__ != name:  # imported from where it is made
            continue
        for meth in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__", "__delattr__"):
            code = getattr(cls.__dict__.get(meth), "__code__", None)
            if code is not None and code.co_filename == "<string>":
                fn = cls.__dict__[meth]
                methods[f"{name}.{cls.__qualname__}.{meth}"] = [
                    code.co_code.hex(), repr(code.co_consts), list(code.co_names),
                    list(code.co_varnames), code.co_flags, repr(fn.__annotations__),
                ]
compiled = dc._compiled
kept = sorted(dc._codes or {})
dc.save()
print(json.dumps({"methods": methods, "compiled": compiled, "kept": kept}))
"""


def _probe(cache: Path, mode: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    run_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    run_env.update(env or {})
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(cache), mode],
        capture_output=True,
        text=True,
        env=run_env,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_kept_code_makes_the_methods_compiling_makes(tmp_path: Path) -> None:
    cache = tmp_path / "dataclass-code.marshal"
    plain = _probe(cache, "plain")
    assert len(plain["methods"]) > 50  # LintConfig, Catalog, SqlSource, Finding...
    assert not cache.exists()  # not installed: nothing kept, nothing written

    first = _probe(cache, "install")
    assert first["methods"] == plain["methods"]
    assert first["compiled"] == len(first["kept"]) > 0  # each text compiled once, then kept
    assert cache.exists()
    assert not any("NotOurs" in text for text in first["kept"])

    second = _probe(cache, "install")
    assert second["methods"] == plain["methods"]
    assert second["compiled"] == 0  # every text found in the file


def test_a_damaged_file_is_an_empty_cache(tmp_path: Path) -> None:
    cache = tmp_path / "dataclass-code.marshal"
    plain = _probe(cache, "plain")
    for damage in (b"", b"\x00garbage", b"\xe3\x00\x00\x00\x00"):  # empty, foreign, cut
        cache.write_bytes(damage)
        found = _probe(cache, "install")
        assert found["methods"] == plain["methods"]
        assert found["compiled"] > 0
        assert _probe(cache, "install")["compiled"] == 0  # written afresh


def test_an_unwritable_place_or_no_bytecode_leaves_it_unsaved(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    unwritable = blocker / "dataclass-code.marshal"
    assert _probe(unwritable, "install")["compiled"] > 0  # and no error
    assert not unwritable.exists()

    cache = tmp_path / "dataclass-code.marshal"
    _probe(cache, "install", {"PYTHONDONTWRITEBYTECODE": "1"})
    assert not cache.exists()


def test_the_console_script_keeps_the_code(tmp_path: Path) -> None:
    """cli.start installs it before importing the CLI, cli.main saves it at the end."""
    cache = tmp_path / "dataclass-code.marshal"
    sql = tmp_path / "m.sql"
    sql.write_text("ALTER TABLE t ADD COLUMN c int;\n")
    script = (
        "import sys\n"
        "import pgwarden.dataclass_code as dc\n"
        f"dc.cache_file = lambda: {str(cache)!r}\n"
        f"sys.argv = ['pgwarden', 'lint', '--no-cache', {str(sql)!r}]\n"
        "from pgwarden.cli.start import entry\n"
        "entry()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr  # (warnings only) the run went as usual
    assert "m.sql:1:1" in proc.stdout
    assert cache.exists()
    assert _probe(cache, "install")["compiled"] < _probe(tmp_path / "none", "install")["compiled"]
