"""Rule pages and the rule index, generated from rule docstrings (docs/rules/ and `rules NAME`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pgwarden.rules.base import Rule, all_rules, doc_sections

PEERS = ("squawk", "eugene", "strong_migrations")
REGENERATE = "python -m pgwarden.rules.docs docs/rules"
MARKER = "<!-- generated from the rule's docstring by `{cmd}`; do not edit -->"

# Docstring section -> page heading, in page order. Schema reads as a precondition.
_SECTIONS = (
    ("Why", "Why"),
    ("Schema", "Given this existing schema"),
    ("Example", "Example"),
    ("Use instead", "Use instead"),
    ("Fix", "Fix"),
    ("Notes", "Notes"),
    ("References", "References"),
)


def source_path(cls: type[Rule]) -> str:
    """Where the rule lives, e.g. `src/pgwarden/rules/locking/require_lock_timeout.py`."""
    return "src/" + cls.__module__.replace(".", "/") + ".py"


def page_name(cls: type[Rule]) -> str:
    return f"{cls.name}.md"


def _peers_text(cls: type[Rule]) -> str:
    parts = [f"{tool} `{cls.peers[tool]}`" for tool in PEERS if cls.peers.get(tool)]
    return ", ".join(parts) if parts else "none"


def metadata_line(cls: type[Rule]) -> str:
    aliases = ", ".join(f"`{a}`" for a in cls.aliases) or "none"
    return (
        f"**Category:** {cls.category} · **Severity:** {cls.severity.value} · "
        f"**Since:** {cls.since} · **Opt-in:** {'yes' if cls.opt_in else 'no'} · "
        f"**Aliases:** {aliases} · **Peers:** {_peers_text(cls)}"
    )


def render_rule_page(cls: type[Rule]) -> str:
    """The rule's page in Markdown: title, summary, metadata, then the docstring sections."""
    sections = doc_sections(cls.__doc__ or "")
    out = [
        MARKER.format(cmd=REGENERATE),
        f"<!-- source: {source_path(cls)} -->",
        "",
        f"# {cls.name} ({cls.code})",
        "",
        cls.summary(),
        "",
        metadata_line(cls),
    ]
    for key, title in _SECTIONS:
        body = sections.get(key, "").strip()
        if body:
            out += ["", f"## {title}", "", body]
    return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|") if text else "—"


def render_index() -> str:
    """docs/rules/README.md: every rule with its nearest equivalent in peer tools."""
    rules = all_rules()
    out = [
        MARKER.format(cmd=REGENERATE),
        "",
        "# Rules",
        "",
        f"pgwarden has {len(rules)} rules. Opt-in rules run only when selected "
        "(`--extend-select NAME` or `extend-select` in `[tool.pgwarden]`). Select or ignore a "
        "rule by code, name or alias; `pgwarden rules NAME` shows a page in the terminal.",
        "",
        "The last three columns name the closest check in squawk (sbdchd/squawk), eugene "
        "(kaaveland/eugene) and strong_migrations (ankane/strong_migrations); "
        "— means the peer has no equivalent.",
        "",
        "| Code | Rule | Category | Severity | Summary | squawk | eugene | strong_migrations |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for cls in rules:
        name = f"[{cls.name}]({page_name(cls)})" + (" (opt-in)" if cls.opt_in else "")
        peers = " | ".join(_cell(cls.peers.get(tool, "")) for tool in PEERS)
        out.append(
            f"| {cls.code} | {name} | {cls.category} | {cls.severity.value} | "
            f"{_cell(cls.summary())} | {peers} |"
        )
    return "\n".join(out) + "\n"


def expected_pages() -> dict[str, str]:
    """File name -> content for everything under docs/rules/."""
    pages = {page_name(cls): render_rule_page(cls) for cls in all_rules()}
    pages["README.md"] = render_index()
    return pages


def stale_pages(dest: Path) -> list[Path]:
    """Markdown files in `dest` that generation would not produce (renamed or removed rules)."""
    expected = expected_pages()
    return sorted(p for p in dest.glob("*.md") if p.name not in expected)


def write_docs(dest: Path) -> list[Path]:
    """Write every page, delete stale generated pages; returns the files that changed."""
    dest.mkdir(parents=True, exist_ok=True)
    changed: list[Path] = []
    for name, text in expected_pages().items():
        path = dest / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    for path in stale_pages(dest):
        if path.read_text(encoding="utf-8").startswith(MARKER.format(cmd=REGENERATE)):
            path.unlink()
            changed.append(path)
    return changed


def check_docs(dest: Path) -> list[str]:
    """Problems that make `dest` differ from what would be generated (empty: up to date)."""
    problems = []
    for name, text in expected_pages().items():
        path = dest / name
        if not path.is_file():
            problems.append(f"{path}: missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{path}: out of date")
    problems += [f"{p}: no rule has this page" for p in stale_pages(dest)]
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pgwarden.rules.docs", description="Generate docs/rules/ from the rules."
    )
    parser.add_argument("dest", type=Path, help="output directory, e.g. docs/rules")
    parser.add_argument("--check", action="store_true", help="only report differences (exit 1)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check_docs(args.dest)
        if problems:
            sys.stderr.write("\n".join(problems) + f"\nregenerate with: {REGENERATE}\n")
            return 1
        return 0
    write_docs(args.dest)
    return 0


if __name__ == "__main__":
    sys.exit(main())
