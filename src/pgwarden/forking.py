"""Whether a lint run may fork helper processes, and on which CPUs they run (kept tiny: the
console script asks first)."""

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


def cpu_pair() -> tuple[set[int], int, int] | None:
    """With exactly two CPUs to run on: (both, this process's, the forked one's). A lint run
    forks a process to work beside it (the file reader, then the worker) and each keeps to
    its own CPU until the other is done: left to the scheduler, they were moved about (a cold
    corpus run was ~5 ms slower, paired runs). With more CPUs the scheduler's choice is left
    alone (other work may hold either one); None then, or where affinity cannot be read."""
    try:
        cpus = os.sched_getaffinity(0)
    except (AttributeError, OSError):  # not Linux
        return None
    if len(cpus) != 2:
        return None
    first, second = sorted(cpus)
    return cpus, first, second


def keep_to(cpus: int | set[int] | None) -> None:
    """Run this process (its calling thread) on `cpus` only; quietly nothing if refused (or
    for None)."""
    if cpus is None:
        return
    try:  # noqa: SIM105  (contextlib is not imported yet when the console script forks)
        os.sched_setaffinity(0, {cpus} if isinstance(cpus, int) else cpus)
    except (AttributeError, OSError):
        pass


def fork_beside() -> tuple[int, set[int] | None]:
    """os.fork(), each process then keeping to a CPU of its own where there are exactly two
    (cpu_pair): in the parent (the child's pid, the CPUs to go back to with keep_to once the
    child is done, or None), in the child (0, None). Raises OSError like os.fork."""
    pair = cpu_pair()
    pid = os.fork()
    if pair is None:
        return pid, None
    keep_to(pair[1] if pid else pair[2])
    return pid, pair[0] if pid else None
