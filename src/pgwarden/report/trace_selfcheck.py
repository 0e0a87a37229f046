"""`trace --self-check` output: agreement counts per major, then every form that disagreed."""

from __future__ import annotations

import json
from typing import TextIO

from pgwarden.trace.model import EXIT_DISAGREE, EXIT_FAILED
from pgwarden.trace.selfcheck import MajorResult

ORDER = ("agree", "disagree", "unconfirmed", "failed", "unknown")


class SelfCheckReport:
    """Prints each major as soon as it is done (text), or everything at the end (json)."""

    def __init__(self, out: TextIO, fmt: str = "text") -> None:
        self.out = out
        self.fmt = fmt
        self.majors: list[MajorResult] = []

    def major(self, m: MajorResult) -> None:
        self.majors.append(m)
        if self.fmt == "text":
            self._text(m)

    def _text(self, m: MajorResult) -> None:
        from rich.console import Console
        from rich.markup import escape

        c = Console(file=self.out, highlight=False, soft_wrap=True)
        counts = m.counts()
        parts = [f"{counts[k]} {k}" for k in ORDER if counts[k]]
        style = "bold red" if counts["disagree"] else "green"
        c.print(
            f"[{style}]PostgreSQL {m.major}[/{style}] ({escape(m.server)}): "
            f"{', '.join(parts)} of {len(m.results)} forms"
            + (f" [dim]({m.skipped} not for this major)[/dim]" if m.skipped else "")
        )
        for r in m.results:
            if r.status == "agree":
                continue
            sql = " ".join(r.sql.split())
            c.print(f"  [bold]{r.status:<11}[/bold] {escape(r.form)}: [dim]{escape(sql)}[/dim]")
            if r.comparison is not None:
                for d in r.comparison.differences:
                    c.print(f"      [red]{escape(str(d))}[/red]")
                if r.status == "unconfirmed":
                    for n in r.comparison.notes:
                        c.print(f"      [dim]{escape(n)}[/dim]")
            if r.error:
                c.print(f"      [dim]{escape(r.error)}[/dim]")

    def finish(self) -> int:
        if self.fmt == "json":
            json.dump(
                {
                    "majors": [
                        {
                            "major": m.major,
                            "server": m.server,
                            "counts": {k: m.counts()[k] for k in ORDER},
                            "skipped": m.skipped,
                            "forms": [
                                {
                                    "form": r.form,
                                    "sql": r.sql,
                                    "status": r.status,
                                    "differences": [
                                        str(d)
                                        for d in (r.comparison.differences if r.comparison else ())
                                    ],
                                    "notes": list(r.comparison.notes if r.comparison else ()),
                                    "error": r.error,
                                }
                                for r in m.results
                            ],
                        }
                        for m in self.majors
                    ]
                },
                self.out,
                indent=2,
            )
            self.out.write("\n")
        totals = [m.counts() for m in self.majors]
        if any(t["disagree"] for t in totals):
            return EXIT_DISAGREE
        if any(t["failed"] for t in totals):
            return EXIT_FAILED
        return 0
