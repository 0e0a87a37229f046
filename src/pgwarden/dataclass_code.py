"""The compiled code of the methods `@dataclass` writes for pgwarden's classes, kept between
runs like bytecode.

dataclasses writes each class's __init__, __repr__, __eq__ (and more) as source text and
compiles it as the class is made, one method at a time on Python 3.11: ~0.1 ms a method,
~10 ms of every lint run's start for the ~120 methods of its ~35 classes. `install` has
dataclasses look each text up in a file beside pgwarden's bytecode (`__pycache__`, named
for the interpreter like a .pyc) and compile only what is not there; `save` writes back what
was compiled. A text maps to the code `compile` gives for it, so the classes are exactly what
dataclasses makes without this; a file that cannot be read or is damaged is an empty cache,
and one that cannot be written (a read-only install, PYTHONDONTWRITEBYTECODE) stays unsaved.

Only the console script installs it (cli.start), before importing the modules it covers.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import os
import sys
import types

TYPE_CHECKING = False  # typing's own would import typing (~2 ms) this early
if TYPE_CHECKING:
    from typing import Any

_CAP = 2_000  # entries; beyond that the file starts again from what a run used
_codes: dict[str, types.CodeType] | None = None  # None: not read yet
_used: set[str] = set()
_compiled = 0  # texts compiled since install (0: nothing to save)
_installed = False


def cache_file() -> str:
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    tag = sys.implementation.cache_tag or "unknown"
    magic = importlib.util.MAGIC_NUMBER.hex()
    return os.path.join(here, "__pycache__", f"dataclass-code.{tag}-{magic}.marshal")


def install() -> None:
    """Make `@dataclass` use the kept code for pgwarden's classes from now on."""
    global _installed
    if _installed:
        return
    import dataclasses

    # dataclasses calls exec by its global name: a module attribute takes its place.
    dataclasses.exec = _exec  # type: ignore[attr-defined]
    _installed = True


def _load() -> dict[str, types.CodeType]:
    """The kept code, read on first use (a run that makes no class reads nothing)."""
    global _codes
    if _codes is None:
        _codes = {}
        try:
            with open(cache_file(), "rb") as fh:
                loaded = marshal.loads(fh.read())  # (marshal.load reads in small pieces)
            if isinstance(loaded, dict):
                _codes.update(
                    (k, v)
                    for k, v in loaded.items()
                    if isinstance(k, str) and isinstance(v, types.CodeType)
                )
        except (OSError, ValueError, EOFError, TypeError):
            pass  # no file yet, or a damaged one: compiled as usual, saved afresh
    return _codes


def _exec(source: Any, globals: Any = None, locals: Any = None, /) -> None:
    global _compiled
    if (
        type(source) is str
        and type(globals) is dict
        and str(globals.get("__name__", "")).startswith("pgwarden.")
    ):
        codes = _codes if _codes is not None else _load()
        code = codes.get(source)
        if code is None:
            # dont_inherit: not this module's `from __future__ import annotations`
            # (dataclasses' own exec compiles the text without it).
            code = codes[source] = compile(source, "<string>", "exec", dont_inherit=True)
            _compiled += 1
        _used.add(source)
        builtins.exec(code, globals, locals)
        return
    builtins.exec(source, globals, locals)


def save() -> None:
    """Write the kept code back if this process compiled any; failures are ignored."""
    global _compiled
    if not _compiled or _codes is None or sys.dont_write_bytecode:
        return
    keep = _codes if len(_codes) <= _CAP else {k: _codes[k] for k in _used}
    path = cache_file()
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(tmp, "wb") as fh:
            marshal.dump(keep, fh)
        os.replace(tmp, path)
        _compiled = 0
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(tmp)
