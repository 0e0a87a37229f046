"""Whether a lint run may fork helper processes (kept tiny: the console script asks first)."""

from __future__ import annotations

import os
import sys


def can_fork() -> bool:
    """Not PGWARDEN_JOBS=1 (one process), Linux, a second CPU for a helper to pay off, and
    fork() safe: a single-threaded process (threading not even imported counts as one)."""
    threading = sys.modules.get("threading")
    return (
        os.environ.get("PGWARDEN_JOBS") != "1"
        and sys.platform == "linux"
        and hasattr(os, "fork")
        and (os.cpu_count() or 1) > 1
        and (threading is None or threading.active_count() == 1)
    )
