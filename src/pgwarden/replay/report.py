"""Replay results as a markdown table, JSON and a PNG (one latency panel per strategy)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from pgwarden.replay.scenario import WARMUP, ReplayConfig, Run

COLUMNS = (
    ("strategy", "strategy"),
    ("app queries", "queries"),
    ("app errors", "errors"),
    ("p50 ms", "p50_ms"),
    ("p99 ms", "p99_ms"),
    ("max ms", "max_ms"),
    ("p99 in window ms", "window_p99_ms"),
    ("max in window ms", "window_max_ms"),
    ("longest stall ms", "longest_gap_ms"),
    ("migration", "migration_ok"),
    ("attempts", "attempts"),
    ("done after blocker ms", "late_ms"),
)


def _fmt(v: object) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "ok" if v else "FAILED"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}"
    return str(v)


def rows(runs: list[Run]) -> list[list[str]]:
    out = [[_fmt(getattr(r.summary, key)) for _, key in COLUMNS] for r in runs]
    for r, row in zip(runs, out, strict=True):
        if r.strategy == "baseline":  # no migration ran: nothing to report in its columns
            row[-3:] = ["none", "-", "-"]
    return out


def markdown(runs: list[Run], cfg: ReplayConfig) -> str:
    head = "| " + " | ".join(t for t, _ in COLUMNS) + " |"
    sep = "|" + "|".join("---" if i == 0 else "---:" for i in range(len(COLUMNS))) + "|"
    body = ["| " + " | ".join(r) + " |" for r in rows(runs)]
    intro = (
        f"{cfg.clients} app clients, {cfg.rows:,} rows, blocker `{cfg.blocker}` "
        f"at t={cfg.blocker_at:g} s "
        f"for {cfg.blocker_seconds:g} s, migration `{cfg.migration}` at t={cfg.migration_at:g} s."
    )
    return "\n".join([intro, "", head, sep, *body, ""])


def write_json(runs: list[Run], cfg: ReplayConfig, path: Path) -> None:
    data = {
        "config": asdict(cfg),
        "runs": [
            {
                "strategy": r.strategy,
                "summary": asdict(r.summary),
                "blocker": list(r.blocker_span),
                "migration": list(r.migration_span),
                "blocker_error": r.blocker_error,
                # The blocker's release lies in [blocker[1], blocker_released_by].
                "blocker_released_by": r.extra.get("released_by"),
                "runner_events": [list(e) for e in r.extra.get("events", [])],  # type: ignore[attr-defined]
                "app_errors": r.extra.get("app_errors", []),
                # The ten slowest app queries (start, end, kind, ok): where a max comes from.
                "slowest": [
                    [s.start, s.end, s.kind, s.ok]
                    for s in sorted(
                        (q for q in r.samples if q.start >= WARMUP), key=lambda q: q.latency
                    )[-10:][::-1]
                ],
            }
            for r in runs
        ],
    }
    path.write_text(json.dumps(data, indent=2))


def plot(runs: list[Run], cfg: ReplayConfig, path: Path) -> Path | None:
    """App query latency over time, one panel per strategy, on one scale; None without
    matplotlib. Bars above each panel: the blocker holding its lock, the deploy process
    running; ticks: the migration's attempts."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, axes = plt.subplots(
        len(runs), 1, figsize=(10, 2.1 * len(runs) + 0.8), sharex=True, sharey=True, squeeze=False
    )
    for ax, r in zip(axes[:, 0], runs, strict=True):
        # A query is drawn where it completed, at the height of its latency: a stall shows as
        # a gap in the cloud followed by a spike.
        xs = [s.end for s in r.samples]
        ys = [max(s.latency * 1000, 0.05) for s in r.samples]
        colors = ["tab:blue" if s.ok else "tab:red" for s in r.samples]
        ax.scatter(xs, ys, s=2, c=colors, linewidths=0, rasterized=True)
        b0, b1 = r.blocker_span
        end = max((s.end for s in r.samples), default=b0)
        ax.axvspan(
            b0,
            b1 if b1 is not None else end,
            ymin=0.93,
            ymax=1.0,
            color="tab:orange",
            label=f"{cfg.blocker} holds the table",
        )
        ax.axvspan(b0, b1 if b1 is not None else end, color="tab:orange", alpha=0.08)
        m0, m1 = r.migration_span
        if r.strategy != "baseline":
            ax.axvspan(
                m0,
                m1 if m1 is not None else end,
                ymin=0.86,
                ymax=0.93,
                color="tab:green",
                label="deploy process",
            )
            attempts = [t for t, kind in r.extra.get("events", []) if kind == "attempt"]  # type: ignore[attr-defined]
            for i, t in enumerate(attempts):
                ax.axvline(
                    t,
                    ymin=0.78,
                    ymax=0.86,
                    color="tab:purple",
                    linewidth=0.8,
                    label="attempt (statement sent)" if i == 0 else None,
                )
        ax.set_yscale("log")
        # Headroom above 10 s of latency for the bars, so they never hide a stalled query.
        ax.set_ylim(0.05, 1e6)
        ax.set_yticks([0.1, 1, 10, 100, 1e3, 1e4])
        ax.set_ylabel("latency ms")
        s = r.summary
        late = "" if s.late_ms is None else f", done {s.late_ms:,.0f} ms after the {cfg.blocker}"
        ax.set_title(
            f"{r.strategy}: max {s.max_ms:,.0f} ms, longest stall {s.longest_gap_ms:,.0f} ms, "
            f"errors {s.errors}{late}",
            fontsize=9,
            loc="left",
        )
        ax.legend(loc="upper left", bbox_to_anchor=(0.0, 0.85), fontsize=7, framealpha=0.8)
    axes[-1, 0].set_xlabel(
        f"seconds ({cfg.clients} app clients; {cfg.migration} at t={cfg.migration_at:g} s)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
