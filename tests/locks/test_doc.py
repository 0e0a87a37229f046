"""docs/lock-model.md holds exactly what the model and the verified forms generate."""

from __future__ import annotations

from pathlib import Path

from pgwarden.locks.doc import REGENERATE, check, conflict_matrix, main, render
from pgwarden.locks.forms import all_forms
from pgwarden.locks.modes import CONFLICTS, LockMode

PAGE = Path(__file__).parents[2] / "docs" / "lock-model.md"


def test_page_is_up_to_date() -> None:
    problems = check(PAGE)
    assert not problems, "\n".join(problems) + f"\nregenerate with: {REGENERATE}"


def test_page_matrix_is_the_conflict_data() -> None:
    text = PAGE.read_text(encoding="utf-8")
    assert conflict_matrix() in text
    rows = [line for line in text.splitlines() if line.startswith("| **")]
    assert len(rows) == len(LockMode)
    for requested, row in zip(LockMode, rows, strict=True):
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[0] == f"**{requested.sql_name}**"
        marked = {held for held, cell in zip(LockMode, cells[1:], strict=True) if cell == "X"}
        assert marked == CONFLICTS[requested]


def test_page_lists_every_form() -> None:
    text = PAGE.read_text(encoding="utf-8")
    for form in all_forms():
        assert f"| {form.id} |" in text, form.id


def test_check_reports_a_stale_page(tmp_path: Path) -> None:
    stale = PAGE.read_text(encoding="utf-8").replace("| **ACCESS SHARE** |", "| **X** |")
    page = tmp_path / "lock-model.md"
    page.write_text(stale, encoding="utf-8")
    assert check(page) and main([str(page), "--check"]) == 1
    assert main([str(page)]) == 0
    assert check(page) == [] and page.read_text(encoding="utf-8") == render(stale)


def test_check_reports_a_missing_block(tmp_path: Path) -> None:
    page = tmp_path / "lock-model.md"
    page.write_text("# no generated blocks\n", encoding="utf-8")
    assert any("matrix" in p for p in check(page))
