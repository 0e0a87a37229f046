"""Run several strategies on one throwaway cluster and write the report files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pgwarden.replay.report import markdown, plot, write_json
from pgwarden.replay.scenario import ReplayConfig, Run, replay


@dataclass(slots=True)
class ReplayResult:
    runs: list[Run]
    markdown: str
    json_path: Path
    plot_path: Path | None
    major: int


def run_all(
    strategies: list[str],
    cfg: ReplayConfig,
    out_dir: Path,
    pg_bin: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> ReplayResult:
    from pgwarden.embedded import start_cluster
    from pgwarden.replay.strategies import prepare_runner

    out_dir.mkdir(parents=True, exist_ok=True)
    prepare_runner()  # the deploy processes start from bytecode, as installed packages do
    runs: list[Run] = []
    with start_cluster(pg_bin) as cluster:
        dsn = cluster.dsn("postgres")
        for name in strategies:
            if progress:
                progress(f"{name}: running ({cfg.blocker}, {cfg.clients} clients)")
            run = replay(name, dsn, cluster.bin("pg_dump"), cfg)
            runs.append(run)
            if progress:
                s = run.summary
                progress(
                    f"{name}: max app latency {s.max_ms:,.0f} ms, "
                    f"longest stall {s.longest_gap_ms:,.0f} ms, errors {s.errors}, "
                    f"migration {'ok' if s.migration_ok else 'FAILED'}"
                )
        major = cluster.major
    md = markdown(runs, cfg)
    stem = f"incident_replay_{cfg.migration}_{cfg.blocker}"
    json_path = out_dir / f"{stem}.json"
    write_json(runs, cfg, json_path)
    (out_dir / f"{stem}.md").write_text(md)
    png = plot(runs, cfg, out_dir / f"{stem}.png")
    return ReplayResult(runs, md, json_path, png, major)
