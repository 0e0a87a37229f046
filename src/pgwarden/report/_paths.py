"""Paths as CI systems want them: relative to the working directory (the repository root)."""

from __future__ import annotations

import os
from pathlib import Path


def is_real_path(display: str) -> bool:
    """`<stdin>` and `<sql>` name text that never was a file."""
    return not (display.startswith("<") and display.endswith(">"))


def relative_path(display: str, root: Path | None = None) -> str:
    """`display` relative to `root` (default: cwd) in POSIX form; absolute when outside it."""
    if not is_real_path(display):
        return display
    base = Path(os.path.abspath(root or Path.cwd()))
    full = Path(os.path.abspath(display))
    try:
        return full.relative_to(base).as_posix()
    except ValueError:
        return full.as_posix()
