"""Records of CPU affinity changes, for the tests of processes that keep to a CPU (see the
`affinity_log` fixture in conftest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class AffinityLog:
    """What `sched_setaffinity` was asked, by which process (forked ones included)."""

    path: Path
    before: set[int]  # this process's CPUs when the test started
    first: int  # the CPU both sides of the pair get (see the fixture)

    def calls(self, pid: int) -> list[str]:
        lines = self.path.read_text().splitlines() if self.path.exists() else []
        return [cpus for who, cpus in (line.split(" ", 1) for line in lines) if who == str(pid)]
