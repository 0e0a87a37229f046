"""The generated parts of docs/lock-model.md: conflict matrix, what each mode blocks, and the
per-statement table computed from the verified forms and the model, so the page cannot drift.

`python -m pgwarden.locks.doc docs/lock-model.md` rewrites the generated blocks in place;
`--check` only reports whether they are current (tests/locks/test_doc.py runs it).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import SUPPORTED_VERSIONS
from pgwarden.locks.effects import Effect
from pgwarden.locks.forms import Form, all_forms, catalog_for, predict
from pgwarden.locks.modes import CONFLICTS, LockMode, blocks

REGENERATE = "python -m pgwarden.locks.doc docs/lock-model.md"
VERIFIED_MAJORS = (15, 18)  # servers tests/locks/test_live_model.py runs on
CURRENT = max(SUPPORTED_VERSIONS)
_BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[a-z]+) .*?-->\n)(?P<body>.*?)(<!-- /generated:(?P=name) -->)",
    re.DOTALL,
)


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def conflict_matrix() -> str:
    """Table 13.2 of the docs, from modes.CONFLICTS: X where the two modes conflict."""
    head = "| requested \\ held | " + " | ".join(m.sql_name for m in LockMode) + " |"
    rule = "|---|" + "|".join(":-:" for _ in LockMode) + "|"
    rows = [
        f"| **{a.sql_name}** | "
        + " | ".join("X" if b in CONFLICTS[a] else "" for b in LockMode)
        + " |"
        for a in LockMode
    ]
    return "\n".join([head, rule, *rows]) + "\n"


def blocks_table() -> str:
    """What holding (or queueing for) each mode stops other sessions from doing."""
    lines = [
        "| mode (`pg_locks.mode`) | `LOCK TABLE ... IN` | blocks SELECT | blocks INSERT / "
        "UPDATE / DELETE | blocks SELECT FOR UPDATE/SHARE | blocks VACUUM, ANALYZE, "
        "CREATE INDEX CONCURRENTLY | in short |",
        "|---|---|:-:|:-:|:-:|:-:|---|",
    ]
    for m in LockMode:
        b = blocks(m)
        lines.append(
            f"| `{m.name}` | {m.sql_name} | {_yes(b.reads)} | {_yes(b.writes)} | "
            f"{_yes(b.row_locks)} | {_yes(b.vacuum)} | {b.summary} |"
        )
    return "\n".join(lines) + "\n"


def _short(name: QualifiedName) -> str:
    return name.name if name.schema == "public" else str(name)


def _locks(effect: Effect) -> str:
    by_mode: dict[LockMode, list[str]] = {}
    for lk in effect.existing_locks():
        label = _short(lk.relation) + (" (index)" if lk.relkind == "index" else "")
        by_mode.setdefault(lk.mode, []).append(f"`{label}`")
    parts = [f"{', '.join(names)}: {m.sql_name}" for m, names in sorted(by_mode.items())[::-1]]
    return "; ".join(parts) or "none"


def _relations(names: list[QualifiedName], effect: Effect) -> str:
    new = {lk.relation for lk in effect.locks if lk.new}
    return ", ".join(f"`{_short(n)}`" for n in names if n not in new)


def _summary(effect: Effect) -> str:
    text = f"locks {_locks(effect)}"
    if effect.rewrites:
        text += f"; rewrites {_relations(effect.rewrites, effect)}"
    if not effect.transactional:
        text += "; not in a transaction block"
    if effect.unknown:
        text = re.sub(r"\s*\(target: \d+\)", "", effect.note)
    return text


def _span(versions: list[int]) -> str:
    if len(versions) == 1:
        return f"PG {versions[0]}"
    return f"PG {versions[0]}-{versions[-1]}"


def _version_notes(form: Form, effects: dict[int, Effect]) -> list[str]:
    """How older majors differ from the newest, grouped into runs of equal behaviour."""
    current = _summary(effects[CURRENT])
    notes: list[str] = []
    run: list[int] = []
    for v in sorted(effects):
        text = _summary(effects[v])
        if run and _summary(effects[run[0]]) != text:
            if _summary(effects[run[0]]) != current:
                notes.append(f"{_span(run)}: {_summary(effects[run[0]])}")
            run = []
        run.append(v)
    if run and _summary(effects[run[0]]) != current:
        notes.append(f"{_span(run)}: {_summary(effects[run[0]])}")
    return notes


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def statement_tables(forms: list[Form] | None = None) -> str:
    """One table per family: statement -> locks, rewrites, full reads, notes (newest major)."""
    forms = all_forms() if forms is None else forms
    out: list[str] = []
    family = None
    for form in forms:
        if form.family != family:
            family = form.family
            out += [
                "",
                f"### {family}",
                "",
                "| form | statement | locks on existing relations | rewrites | reads in full "
                "| notes |",
                "|---|---|---|---|---|---|",
            ]
        cat = catalog_for(form)
        effects = {v: predict(form, v, cat) for v in SUPPORTED_VERSIONS if form.runs_on(v)}
        eff = effects[max(effects)]
        notes = []
        if form.min_pg > min(SUPPORTED_VERSIONS):
            notes.append(f"PG {form.min_pg}+")
        if not eff.transactional:
            notes.append("cannot run in a transaction block")
        notes += [f"{k}={v}" for k, v in form.settings]
        notes += _version_notes(form, effects)
        verified = [m for m in VERIFIED_MAJORS if form.runs_on(m)]
        notes.append("verified on " + ", ".join(f"PG {m}" for m in verified))
        if form.note:
            notes.append(form.note)
        out.append(
            f"| {form.id} | `{_cell(form.sql)}` | {_cell(_locks(eff))} | "
            f"{_cell(_relations(eff.rewrites, eff))} | {_cell(_relations(eff.scans, eff))} | "
            f"{_cell('; '.join(notes))} |"
        )
    return "\n".join(out).lstrip("\n") + "\n"


SECTIONS: dict[str, Callable[[], str]] = {
    "matrix": conflict_matrix,
    "blocks": blocks_table,
    "statements": statement_tables,
}


def render(text: str) -> str:
    """`text` with every generated block replaced by its current content."""

    def fill(m: re.Match[str]) -> str:
        make = SECTIONS.get(m.group("name"))
        if make is None:
            return m.group(0)
        return m.group(1) + make() + m.group(4)

    return _BLOCK.sub(fill, text)


def check(path: Path) -> list[str]:
    """Why `path` is not current (empty: it is)."""
    text = path.read_text(encoding="utf-8")
    found = {m.group("name") for m in _BLOCK.finditer(text)}
    problems = [f"{path}: no generated block `{name}`" for name in SECTIONS if name not in found]
    if render(text) != text:
        problems.append(f"{path}: generated blocks are out of date")
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pgwarden.locks.doc",
        description="Regenerate the generated blocks of docs/lock-model.md.",
    )
    parser.add_argument("path", type=Path, help="the page, e.g. docs/lock-model.md")
    parser.add_argument("--check", action="store_true", help="only report differences (exit 1)")
    args = parser.parse_args(argv)
    if args.check:
        problems = check(args.path)
        if problems:
            sys.stderr.write("\n".join(problems) + f"\nregenerate with: {REGENERATE}\n")
            return 1
        return 0
    text = args.path.read_text(encoding="utf-8")
    args.path.write_text(render(text), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
