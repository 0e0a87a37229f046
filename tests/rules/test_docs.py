"""docs/rules/ is exactly what the rule docstrings generate (regenerate: see REGENERATE)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pgwarden.rules.base import all_rules, get_rule
from pgwarden.rules.docs import (
    REGENERATE,
    check_docs,
    expected_pages,
    main,
    render_index,
    render_rule_page,
)

DOCS = Path(__file__).parents[2] / "docs" / "rules"


def test_docs_rules_up_to_date() -> None:
    problems = check_docs(DOCS)
    assert not problems, "\n".join(problems) + f"\nregenerate with: {REGENERATE}"


def test_every_rule_has_a_page() -> None:
    pages = {p.name for p in DOCS.glob("*.md")}
    assert {f"{cls.name}.md" for cls in all_rules()} | {"README.md"} == pages


def test_page_layout() -> None:
    cls = get_rule("PW101")
    assert cls is not None
    page = render_rule_page(cls).splitlines()
    assert (
        page[1] == f"<!-- source: src/pgwarden/rules/locking/{cls.__module__.split('.')[-1]}.py -->"
    )
    assert page[3] == "# require-concurrent-index-creation (PW101)"
    assert page[5] == cls.summary()
    assert page[7].startswith("**Category:** locking · **Severity:** error · **Since:** 0.1.0")
    assert "**Peers:** squawk `require-concurrent-index-creation`, eugene `E6`" in page[7]
    headings = [ln for ln in page if ln.startswith("## ")]
    assert headings == [
        "## Why",
        "## Given this existing schema",
        "## Example",
        "## Use instead",
        "## Notes",
    ]
    assert "```sql" in page


def test_index_lists_every_rule_with_peers() -> None:
    index = render_index()
    rows = [ln for ln in index.splitlines() if ln.startswith("| PW")]
    assert [r.split(" | ")[0] for r in rows] == [f"| {c.code}" for c in all_rules()]
    pw101 = next(r for r in rows if r.startswith("| PW101 "))
    cells = [c.strip() for c in pw101.strip("|").split(" | ")]
    assert cells[1] == "[require-concurrent-index-creation](require-concurrent-index-creation.md)"
    assert cells[-3:] == ["require-concurrent-index-creation", "E6", "add_index"]


def test_generator_writes_checks_and_removes_stale(tmp_path: Path) -> None:
    assert main([str(tmp_path)]) == 0
    assert {p.name for p in tmp_path.iterdir()} == set(expected_pages())
    assert check_docs(tmp_path) == []
    assert main(["--check", str(tmp_path)]) == 0
    # a renamed rule leaves a generated page behind; a hand-edited page is out of date
    stale = tmp_path / "old-rule-name.md"
    stale.write_text((tmp_path / "README.md").read_text())
    (tmp_path / "README.md").write_text("edited\n")
    assert len(check_docs(tmp_path)) == 2
    assert main(["--check", str(tmp_path)]) == 1
    assert main([str(tmp_path)]) == 0
    assert not stale.exists() and check_docs(tmp_path) == []


def test_hand_written_page_is_not_deleted(tmp_path: Path) -> None:
    main([str(tmp_path)])
    own = tmp_path / "notes.md"
    own.write_text("# my notes\n")
    main([str(tmp_path)])
    assert own.exists()
    assert check_docs(tmp_path) == [f"{own}: no rule has this page"]


@pytest.mark.parametrize("cls", all_rules(), ids=lambda c: c.name)
def test_every_page_has_the_sections(cls: type) -> None:
    page = render_rule_page(cls)
    for heading in ("## Why", "## Example", "## Use instead"):
        assert heading in page


def test_every_rule_module_is_loaded() -> None:
    """load_all lists the category folders itself: the same modules as pkgutil's walk (minus
    the shared `_` helpers and the catalogue's own modules), each a registered rule's home."""
    import pkgutil

    import pgwarden.rules as pkg
    from pgwarden.rules.base import _rule_modules

    walked = {
        info.name
        for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
        if not info.ispkg
        and not info.name.rsplit(".", 1)[-1].startswith("_")
        and info.name.count(".") == 3  # pgwarden.rules.<category>.<rule>
    }
    listed = [
        name
        for root in pkg.__path__
        for names in _rule_modules(root, pkg.__name__)
        for name in names
    ]
    assert sorted(listed) == sorted(walked)
    assert {cls.__module__ for cls in all_rules()} == walked
