"""Finding SQL sources and ordering them the way migration tools run them."""

from __future__ import annotations

import io
import random
import subprocess
import sys
from pathlib import Path

import pytest

from pgwarden.config import LintConfig
from pgwarden.lint import lint_paths
from pgwarden.sql.discover import SqlSource, discover, migration_sort_key


def ordered(names: list[str]) -> list[str]:
    shuffled = names[:]
    random.Random(7).shuffle(shuffled)
    return sorted(shuffled, key=migration_sort_key)


def test_numeric_prefixes_compare_as_numbers() -> None:
    names = ["0001_init.sql", "0002_users.sql", "0010_orders.sql", "0100_x.sql", "1000_y.sql"]
    assert ordered(names) == names


def test_flyway_versions() -> None:
    names = ["V1__init.sql", "V1_1__fix.sql", "V1.2__more.sql", "V2__b.sql", "V10__a.sql"]
    assert ordered(names) == names
    # Undo scripts after versioned ones, repeatable ones last.
    assert ordered(["R__views.sql", "U2__undo.sql", "V3__c.sql"]) == [
        "V3__c.sql",
        "U2__undo.sql",
        "R__views.sql",
    ]


def test_timestamps() -> None:
    names = [
        "20170318181441_a/migration.sql",
        "20190101000000_b/migration.sql",
        "20230101000000_c/migration.sql",
    ]
    assert ordered(names) == names


def test_diesel_up_before_down_and_by_date() -> None:
    names = [
        "2019-01-01-000000_create/up.sql",
        "2019-01-01-000000_create/down.sql",
        "2019-01-02-000000_alter/up.sql",
        "2019-01-02-000000_alter/down.sql",
        "2019-11-15-182353_Add email notifications/up.sql",
        "2019-11-15-182353_Add email notifications/down.sql",
    ]
    assert ordered(names) == names


def test_numbered_directories_and_flat_up_down_files() -> None:
    assert ordered(["002_b/down.sql", "002_b/up.sql", "010_c/up.sql", "001_a/up.sql"]) == [
        "001_a/up.sql",
        "002_b/up.sql",
        "002_b/down.sql",
        "010_c/up.sql",
    ]
    # golang-migrate style: each migration's up right before its down.
    assert ordered(["2_x.up.sql", "1_init.down.sql", "10_z.up.sql", "1_init.up.sql"]) == [
        "1_init.up.sql",
        "1_init.down.sql",
        "2_x.up.sql",
        "10_z.up.sql",
    ]


def test_mixed_layouts_sort_without_error() -> None:
    names = ["schema.sql", "V1__a.sql", "0001/up.sql", "1.sql", "01.sql", "a/b/c.sql", "R__v.sql"]
    assert sorted(ordered(names)) == sorted(names)
    assert ordered(["01.sql", "1.sql"]) == ordered(["1.sql", "01.sql"])  # ties are stable


def test_down_files_are_recognised() -> None:
    down = ["x/down.sql", "1_a.down.sql", "U3__undo.sql"]
    up = ["x/up.sql", "1_a.up.sql", "V3__do.sql", "download.sql"]
    assert [SqlSource(n, None).is_down for n in down] == [True] * 3
    assert [SqlSource(n, None).is_down for n in up] == [False] * 4


def test_directory_walk(tmp_path: Path) -> None:
    (tmp_path / "0010_c").mkdir()
    (tmp_path / "0010_c" / "up.sql").write_text("SELECT 1;")
    (tmp_path / "0010_c" / "down.sql").write_text("SELECT 1;")
    (tmp_path / "0002_b.sql").write_text("SELECT 1;")
    (tmp_path / "notes.txt").write_text("not sql")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "0001.sql").write_text("SELECT 1;")
    (tmp_path / "dir.sql").mkdir()  # a directory with a .sql name is not a file
    (tmp_path / "0003_dangling.sql").symlink_to(tmp_path / "gone.sql")
    found = [Path(s.display).relative_to(tmp_path).as_posix() for s in discover([str(tmp_path)])]
    assert found == ["0002_b.sql", "0003_dangling.sql", "0010_c/up.sql", "0010_c/down.sql"]


def test_missing_path_is_an_error_for_that_path_only(tmp_path: Path) -> None:
    good = tmp_path / "good.sql"
    good.write_text("CREATE TABLE t (id bigint);")
    result = lint_paths([str(tmp_path / "nope.sql"), str(good)], LintConfig(cache=False))
    assert [f.path for f in result.files] == [str(good)]
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'nope.sql'}:1:1: cannot read file: No such file or directory"
    ]
    assert result.exit_code == 2


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    stdin = io.TextIOWrapper(io.BytesIO("SELECT 'é';\nSELEC 1;".encode()), encoding="utf-8")
    monkeypatch.setattr(sys, "stdin", stdin)
    result = lint_paths(["-"], LintConfig(cache=False))
    assert [str(e) for e in result.errors] == ['<stdin>:2:1: syntax error at or near "SELEC"']


def test_cli_reports_every_file_and_exits_2_on_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "0001_a.sql").write_text("CREATE TABLE t (id bigint);\n")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE u (\n  id bigint,,\n);\n")
    (tmp_path / "0003_c.sql").write_text("ALTER TABLE t ADD COLUMN b text;\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", "--no-cache", "--format", "json", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f'{Path(".") / "0002_bad.sql"}:2:13: syntax error at or near ","' in proc.stderr
    import json

    files = [f["path"] for f in json.loads(proc.stdout)["files"]]
    assert files == ["0001_a.sql", "0003_c.sql"]

    proc = subprocess.run(
        [sys.executable, "-m", "pgwarden", "lint", "--no-cache", "-"],
        input="SELECT 1 +\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "<stdin>:1:11: syntax error at end of input" in proc.stderr


def test_missing_schema_file_stops_the_run(tmp_path: Path) -> None:
    from pgwarden.errors import InputError

    (tmp_path / "m.sql").write_text("SELECT 1;")
    config = LintConfig(cache=False, schema=(str(tmp_path / "schema.sql"),))
    with pytest.raises(InputError, match=r"schema\.sql: no such file or directory"):
        lint_paths([str(tmp_path / "m.sql")], config)
