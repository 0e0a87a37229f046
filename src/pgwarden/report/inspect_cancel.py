"""Output of `pgwarden cancel` and `unblock`: exactly what was (or would be) signalled."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TextIO

from pgwarden.inspect.cancel import Action, Outcome
from pgwarden.report.inspect_common import console, session_dict, short_query, state_text, who


def describe(a: Action) -> str:
    s = a.session
    if s is None:
        return f"pid {a.pid}"
    blocking = f", blocking {a.blocking}" if a.blocking else ""
    return f"pid {a.pid} ({who(s)}, {state_text(s)}{blocking})"


def _query(a: Action) -> str:
    return f"    {short_query(a.session.query, 100)}" if a.session else ""


def write_plan_text(actions: Sequence[Action], out: TextIO, why_dry: str | None) -> None:
    """The plan: what would be signalled, what the policy refuses; `why_dry` None = asking."""
    from rich.text import Text

    c = console(out)
    for a in actions:
        if a.allowed:
            c.print(Text(f"would {a.signal} {describe(a)}", style="bold"))
        else:
            c.print(Text(f"would skip {describe(a)}", style="yellow"))
        if a.session:
            c.print(Text(_query(a), style="dim"))
        if not a.allowed:
            c.print(Text(f"    policy: {a.refused}", style="yellow"))
    n = sum(a.allowed for a in actions)
    if why_dry is not None:
        c.print(
            Text(
                f"dry run ({why_dry}): {n} session(s) would be signalled, nothing was done",
                style="bold",
            )
        )


def write_outcomes_text(outcomes: Sequence[Outcome], out: TextIO) -> None:
    from rich.text import Text

    c = console(out)
    for o in outcomes:
        a = o.action
        if o.sent or a.allowed:
            c.print(Text(f"{a.signal} {describe(a)}", style="bold"))
        else:
            c.print(Text(f"skip {describe(a)}", style="yellow"))
        if a.session:
            c.print(Text(_query(a), style="dim"))
        c.print(Text(f"    {o.result}", style="green" if o.sent else "yellow"))
    sent = sum(o.sent for o in outcomes)
    c.print(Text(f"{sent} signalled, {len(outcomes) - sent} not", style="bold"))


def outcome_dict(a: Action, o: Outcome | None) -> dict[str, Any]:
    return {
        "pid": a.pid,
        "signal": a.signal,
        "allowed": a.allowed,
        "refused": a.refused or None,
        "blocking": a.blocking,
        "sent": o.sent if o else False,
        "result": o.result if o else "dry run",
        "session": session_dict(a.session) if a.session else None,
    }


def write_cancel_json(
    actions: Sequence[Action], outcomes: Sequence[Outcome] | None, out: TextIO, dry_run: bool
) -> None:
    by_pid = {o.action.pid: o for o in outcomes or ()}
    doc = {
        "dry_run": dry_run,
        "actions": [outcome_dict(a, by_pid.get(a.pid)) for a in actions],
    }
    json.dump(doc, out, indent=2)
    out.write("\n")
