"""`pgwarden rules`: list the rules, or show one rule's page (generated from its docstring)."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    p = sub.add_parser(
        "rules",
        help="list the lint rules, or show one rule's page",
        description="Without NAME: every rule with its code, category, severity and whether it "
        "is opt-in. With NAME (a rule name, code or alias): the rule's page.",
    )
    p.add_argument("name", nargs="*", metavar="NAME", help="rule name, code or alias")
    p.add_argument(
        "--markdown", action="store_true", help="print the page as Markdown source, not rendered"
    )
    p.set_defaults(func=run)


def _lookup(key: str) -> Any:
    import difflib

    from pgwarden.errors import UsageError
    from pgwarden.rules.base import all_rules, get_rule

    cls = get_rule(key) or get_rule(key.upper()) or get_rule(key.lower())
    if cls is not None:
        return cls
    keys = sorted({k for c in all_rules() for k in (c.code, c.name, *c.aliases)})
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
    if len(close) > 1:
        close = [", ".join(close[:-1]), close[-1]]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UsageError(f"unknown rule {key!r}{hint} (`pgwarden rules` lists them)")


def run(args: argparse.Namespace) -> int:
    from pgwarden.errors import UsageError

    names: list[str] = list(args.name)
    if names[:1] == ["explain"] and len(names) == 2:  # `rules explain NAME` reads naturally too
        names = names[1:]
    if len(names) > 1:
        raise UsageError("give one rule name or code (or none to list them all)")
    if names:
        from pgwarden.report.rules_text import write_rule_page

        write_rule_page(_lookup(names[0]), sys.stdout, markdown=args.markdown)
    else:
        from pgwarden.report.rules_text import write_rule_list

        write_rule_list(sys.stdout)
    return 0
