"""Lint the real-migration corpus with pgwarden and squawk, side by side, and compare.

    .venv/bin/python bench/lint_corpus.py [--corpus DIR] [--repeat 3]

Measures, each as a fresh process (end to end, as a user runs it):
- pgwarden cold: `pgwarden lint --format json CORPUS` with an empty cache directory;
- pgwarden warm: the same again, the cache filled by the run before;
- one small file: `pgwarden lint FILE` (median of several runs);
- squawk (`squawk-cli` from PyPI) on the same files and on the same small file.
Prints wall time, statements/s and peak RSS per tool, the pgwarden/squawk ratios and
PASS/MISS against the targets (cold <= 2.0x squawk, warm <= 0.5x, small file <= 150 ms);
writes the numbers to bench/out/lint_corpus.json. Times are the median of --repeat runs,
the cases taking turns in each round (cold, warm, squawk; then the small-file ones).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
BIN = Path(sys.executable).parent
SMALL_SQL = """-- add a column and its index
ALTER TABLE orders ADD COLUMN note text;
CREATE INDEX CONCURRENTLY orders_note_idx ON orders (note);
"""
TARGETS = {"cold": 2.0, "warm": 0.5}  # pgwarden / squawk wall time
SMALL_TARGET_MS = 150.0


@dataclass
class Run:
    tool: str
    case: str
    files: int
    statements: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    exit_code: int

    @property
    def stmts_per_s(self) -> float:
        return self.statements / self.wall_s if self.wall_s else 0.0


TIME = Path("/usr/bin/time")  # GNU time: the child's own peak RSS (see timed)


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float, float, int, bytes]:
    """(wall s, CPU s, peak RSS MiB, exit code, stdout) of one child process.

    A forked child's ru_maxrss starts from its parent's RSS (this script holds the corpus
    report), so RSS comes from GNU time when present, which forks from a tiny process.
    """
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss_file:
        prefix = [str(TIME), "-f", "%M", "-o", rss_file.name] if TIME.exists() else []
        start = time.perf_counter()
        proc = subprocess.Popen(
            prefix + cmd, stdout=out, stderr=subprocess.DEVNULL, env=env, cwd=cwd
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        lines = rss_file.read().split()
        rss_kb = int(lines[-1]) if prefix and lines and lines[-1].isdigit() else usage.ru_maxrss
        out.seek(0)
        return wall, cpu, rss_kb / 1024, proc.returncode, out.read()


@dataclass
class Case:
    """One measured command: `before` runs ahead of each of its runs (not timed)."""

    tool: str
    case: str
    cmd: list[str]
    files: int
    statements: int
    before: Callable[[], None] | None = None


def median_runs(cases: list[Case], env: dict[str, str], cwd: Path, repeat: int) -> list[Run]:
    """Median wall and CPU time and peak RSS of each case over `repeat` rounds, the cases run
    one after the other in each round: this machine's speed drifts by several per cent
    within a minute, and interleaving gives every case the same drift (five runs of one
    tool, then five of the other, did not)."""
    walls: list[list[float]] = [[] for _ in cases]
    cpus: list[list[float]] = [[] for _ in cases]
    rss: list[list[float]] = [[] for _ in cases]
    codes = [0] * len(cases)
    for _ in range(repeat):
        for i, c in enumerate(cases):
            if c.before is not None:
                c.before()
            wall, cpu, peak, codes[i], _ = timed(c.cmd, env, cwd)
            walls[i].append(wall)
            cpus[i].append(cpu)
            rss[i].append(peak)
    return [
        Run(
            c.tool,
            c.case,
            c.files,
            c.statements,
            statistics.median(walls[i]),
            statistics.median(cpus[i]),
            max(rss[i]),
            codes[i],
        )
        for i, c in enumerate(cases)
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--repeat", type=int, default=3, help="runs per measurement (median)")
    ap.add_argument("--small-repeat", type=int, default=15, help="runs of the small file")
    args = ap.parse_args(argv)
    corpus: Path = args.corpus.resolve()
    pgwarden, squawk = BIN / "pgwarden", BIN / "squawk"
    if not corpus.is_dir():
        print(f"corpus not found at {corpus}", file=sys.stderr)
        return 2
    for tool in (pgwarden, squawk):
        if not tool.exists():
            print(f"{tool} not found: pip install -e '.[dev]'", file=sys.stderr)
            return 2

    work = Path(tempfile.mkdtemp(prefix="pgwarden-bench-"))
    cache = work / "cache"
    # As a user runs it: without settings that make Python skip writing bytecode (every
    # start then compiles what changed since) or write stdout unbuffered.
    quirks = ("PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED")
    env = {k: v for k, v in os.environ.items() if k not in quirks}
    env.update(PGWARDEN_CACHE_DIR=str(cache), NO_COLOR="1")
    small = work / "small.sql"
    small.write_text(SMALL_SQL)

    def empty_cache() -> None:
        shutil.rmtree(cache, ignore_errors=True)

    # What pgwarden reads, in its order; squawk gets the same files.
    lint = [str(pgwarden), "lint", "--format", "json", str(corpus)]
    _, _, _, _, out = timed(lint, env, work)
    report = json.loads(out)
    files = [f["path"] for f in report["files"]] + [e["path"] for e in report["errors"]]
    statements = sum(len(f["statements"]) for f in report["files"])
    nfiles = len(files)

    # The corpus cases interleaved (the warm run right after the cold one that filled the
    # cache), then the small-file cases likewise.
    runs = median_runs(
        [
            Case("pgwarden", "cold", lint, nfiles, statements, empty_cache),
            Case("pgwarden", "warm", lint, nfiles, statements),
            Case(
                "squawk",
                "corpus",
                [str(squawk), "--reporter", "json", *files],
                nfiles,
                statements,
            ),
        ],
        env,
        work,
        args.repeat,
    ) + median_runs(
        [
            Case("pgwarden", "small file", [str(pgwarden), "lint", str(small)], 1, 2),
            Case(
                "pgwarden",
                "small file, --no-cache",
                [str(pgwarden), "lint", "--no-cache", str(small)],
                1,
                2,
            ),
            Case("squawk", "small file", [str(squawk), str(small)], 1, 2),
        ],
        env,
        work,
        args.small_repeat,
    )
    shutil.rmtree(work, ignore_errors=True)

    by = {(r.tool, r.case): r for r in runs}
    sq = by[("squawk", "corpus")].wall_s
    ratios = {
        "cold": by[("pgwarden", "cold")].wall_s / sq,
        "warm": by[("pgwarden", "warm")].wall_s / sq,
    }
    sq_cpu = by[("squawk", "corpus")].cpu_s or 1e-9
    cpu_ratios = {
        "cold": by[("pgwarden", "cold")].cpu_s / sq_cpu,
        "warm": by[("pgwarden", "warm")].cpu_s / sq_cpu,
    }
    small_ms = by[("pgwarden", "small file")].wall_s * 1000
    results = {
        "corpus": str(corpus),
        "files": nfiles,
        "statements": statements,
        "cpus": os.cpu_count(),
        "runs": [{**asdict(r), "stmts_per_s": r.stmts_per_s} for r in runs],
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
        "load_average": os.getloadavg(),
        "small_file_ms": small_ms,
        "targets": {
            "cold": {"max_ratio": TARGETS["cold"], "pass": ratios["cold"] <= TARGETS["cold"]},
            "warm": {"max_ratio": TARGETS["warm"], "pass": ratios["warm"] <= TARGETS["warm"]},
            "small_file": {"max_ms": SMALL_TARGET_MS, "pass": small_ms <= SMALL_TARGET_MS},
        },
    }

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"corpus: {corpus} ({nfiles} files, {statements} statements;"
        f" {os.cpu_count()} CPUs, load average {load})"
    )
    print(
        f"{'tool':<9} {'case':<23} {'files':>6} {'stmts':>6} {'wall':>9} {'CPU':>9}"
        f" {'stmts/s':>9} {'peak RSS':>9}"
    )
    for r in runs:
        print(
            f"{r.tool:<9} {r.case:<23} {r.files:>6} {r.statements:>6} {r.wall_s * 1000:>7.0f}ms"
            f" {r.cpu_s * 1000:>7.0f}ms {r.stmts_per_s:>9.0f} {r.peak_rss_mb:>7.0f}MB"
        )
    for case, limit in TARGETS.items():
        verdict = "PASS" if ratios[case] <= limit else "MISS"
        print(
            f"{case:<5} pgwarden/squawk = {ratios[case]:5.2f}x wall, {cpu_ratios[case]:5.2f}x CPU"
            f" (target <= {limit}x wall): {verdict}"
        )
    sq_small = by[("squawk", "small file")].wall_s * 1000
    verdict = "PASS" if small_ms <= SMALL_TARGET_MS else "MISS"
    small_cpu = by[("pgwarden", "small file")].cpu_s * 1000
    print(
        f"small file: {small_ms:.0f} ms wall, {small_cpu:.0f} ms CPU (squawk {sq_small:.0f} ms;"
        f" target <= {SMALL_TARGET_MS:.0f} ms wall): {verdict}"
    )
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    (out_dir / "lint_corpus.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"written to {out_dir / 'lint_corpus.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
