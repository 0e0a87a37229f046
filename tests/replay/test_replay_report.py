"""The replay's markdown table and JSON, from synthetic runs (no server)."""

from __future__ import annotations

import json
from pathlib import Path

from pgwarden.replay.load import QuerySample
from pgwarden.replay.metrics import summarise
from pgwarden.replay.report import markdown, write_json
from pgwarden.replay.scenario import ReplayConfig, Run


def _run(strategy: str, stall: float, ok: bool = True, attempts: int = 1) -> Run:
    samples = [QuerySample(0.1 * i, 0.1 * i + 0.001, True, "select") for i in range(1, 30)]
    samples.append(QuerySample(3.0, 3.0 + stall, True, "update"))
    summary = summarise(strategy, samples, (3.0, 10.0), (0.5, 11.0), ok, attempts, 10.0, 10.02)
    events = [(3.2, "run_started"), (10.01, "attempt"), (10.02, "migration_applied")]
    return Run(strategy, summary, samples, (2.0, 10.0), (3.0, 10.02), None, {"events": events})


def test_markdown_and_json(tmp_path: Path) -> None:
    cfg = ReplayConfig()
    runs = [_run("baseline", 0.002, attempts=0), _run("naive", 7.0), _run("pgwarden", 0.004)]
    md = markdown(runs, cfg)
    lines = md.splitlines()
    assert lines[0].startswith("8 app clients, 100,000 rows, blocker `backup` at t=2 s for 8 s")
    rows = {ln.split(" | ")[0].lstrip("| "): ln for ln in lines if ln.startswith("| ")}
    assert rows["naive"].split(" | ")[5] == "7,000"  # max ms
    assert rows["baseline"].rstrip(" |").endswith("none | - | -")  # no migration to report
    assert rows["pgwarden"].rstrip(" |").endswith("ok | 1 | 20.0")

    path = tmp_path / "r.json"
    write_json(runs, cfg, path)
    doc = json.loads(path.read_text())
    assert doc["config"]["blocker_seconds"] == 8.0
    naive = doc["runs"][1]
    assert naive["summary"]["max_ms"] == 7000.0
    assert naive["slowest"][0][:3] == [3.0, 10.0, "update"]  # where the max came from
    assert naive["runner_events"][1] == [10.01, "attempt"]
