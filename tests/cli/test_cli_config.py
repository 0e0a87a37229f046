"""Configuration from `[tool.pgwarden]` / `pgwarden.toml`, CLI overrides, and bad settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgwarden.cli.main import main
from pgwarden.config import LintConfig, load_config
from pgwarden.errors import ConfigError

SCHEMA = "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint);\n"
MIGRATION = "CREATE INDEX orders_customer_idx ON orders (customer_id);\n"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "schema.sql").write_text(SCHEMA)
    (tmp_path / "m.sql").write_text(MIGRATION)
    return tmp_path


def codes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[str]]:
    code = main(["lint", "--format", "json", "--no-cache", *argv])
    out = capsys.readouterr().out
    data = json.loads(out)
    found = {f["code"] for fo in data["files"] for s in fo["statements"] for f in s["findings"]}
    return code, found


def test_defaults_without_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert load_config(repo) == LintConfig()
    # Without the schema the table is unknown, yet assumed to exist: PW101 fires.
    assert codes(["--select", "PW101,PW114", "m.sql"], capsys) == (1, {"PW101", "PW114"})


def test_pyproject_section(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text(
        '[project]\nname = "app"\n\n[tool.pgwarden]\n'
        'pg-version = 15\nselect = ["PW101", "PW114"]\nignore = ["require-lock-timeout"]\n'
        'schema = "db/schema.sql"\n'
        "assume-in-transaction = true\n"
    )
    cfg = load_config(repo)
    assert cfg.pg_version == 15
    assert cfg.ignore == frozenset({"require-lock-timeout"})
    assert cfg.schema == (str(repo / "db" / "schema.sql"),)
    assert cfg.assume_in_transaction is True
    assert cfg.source == str(repo / "pyproject.toml")
    assert codes(["m.sql"], capsys) == (1, {"PW101"})


def test_config_found_from_a_subdirectory(
    repo: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.pgwarden]\nselect = ["PW101", "PW114"]\nignore = ["PW114"]\n'
    )
    monkeypatch.chdir(repo / "db")
    assert codes(["../m.sql"], capsys) == (1, {"PW101"})


def test_pyproject_without_section_is_skipped(repo: Path) -> None:
    (repo / "pyproject.toml").write_text('[project]\nname = "app"\n')
    assert load_config(repo) == LintConfig()
    # Not even parsed when it never says pgwarden: a broken one is not our business...
    (repo / "pyproject.toml").write_text('[project\nname = "app"\n')
    assert load_config(repo) == LintConfig()
    # ...but one that does is read, and its errors reported.
    (repo / "pyproject.toml").write_text('[tool.pgwarden\nselect = ["PW101"]\n')
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(repo)


def test_pgwarden_toml(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pgwarden.toml").write_text('select = ["PW114"]\nschema = ["db/schema.sql"]\n')
    assert codes(["m.sql"], capsys) == (0, {"PW114"})


def test_pgwarden_toml_wins_over_pyproject_in_the_same_directory(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.pgwarden]\npg-version = 13\n")
    (repo / "pgwarden.toml").write_text("[tool.pgwarden]\npg-version = 16\n")
    assert load_config(repo).pg_version == 16


def test_cli_overrides_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text(
        '[tool.pgwarden]\nignore = ["PW101"]\nselect = ["PW101", "PW114"]\n'
    )
    assert codes(["m.sql"], capsys) == (0, {"PW114"})
    # --ignore replaces the configured list, --select likewise
    assert codes(["--ignore", "PW114", "m.sql"], capsys) == (1, {"PW101"})
    assert codes(["--select", "PW114", "--ignore", "PW101", "m.sql"], capsys) == (0, {"PW114"})
    # A rule named by --select runs even though the configuration ignores it (by name here).
    (repo / "pyproject.toml").write_text(
        '[tool.pgwarden]\nignore = ["require-concurrent-index-creation", "PW114"]\n'
    )
    assert codes(["--select", "PW101", "m.sql"], capsys) == (1, {"PW101"})
    assert codes(["--select", "PW101,PW114", "m.sql"], capsys) == (1, {"PW101", "PW114"})


def test_cli_schema_replaces_configured_schema(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "pyproject.toml").write_text('[tool.pgwarden]\nschema = "db/missing.sql"\n')
    assert main(["lint", "m.sql"]) == 2
    assert "db/missing.sql: no such file or directory" in capsys.readouterr().err
    argv = ["--schema", "db/schema.sql", "--select", "PW101,PW114", "m.sql"]
    assert codes(argv, capsys) == (1, {"PW101", "PW114"})


def test_cli_pg_version_overrides_config(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # PostgreSQL 18 accepts NOT NULL ... NOT VALID without scanning; 17 scans the table.
    (repo / "pyproject.toml").write_text("[tool.pgwarden]\npg-version = 17\n")
    (repo / "nn.sql").write_text("ALTER TABLE orders ADD CONSTRAINT c NOT NULL id NOT VALID;\n")

    def scans(argv: list[str]) -> list[str]:
        main(["lint", "--format", "json", "--no-cache", *argv, "nn.sql"])
        return json.loads(capsys.readouterr().out)["files"][0]["statements"][0]["scans"]

    assert scans([]) == ["public.orders"]
    assert scans(["--pg-version", "18"]) == []


def test_unknown_key_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pyproject.toml").write_text("[tool.pgwarden]\npg_versoin = 15\nselekt = []\n")
    assert main(["lint", "m.sql"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"pgwarden: {repo / 'pyproject.toml'}: unknown key(s) in [tool.pgwarden]: "
        "pg_versoin, selekt\n"
    )


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("pg-version = 9\n", "PostgreSQL 9 is not supported"),
        ('pg-version = "x"\n', "expected a PostgreSQL major version"),
        ("select = 3\n", "`select` must be a list of rule names or codes"),
        ('assume-in-transaction = "yes"\n', "`assume-in-transaction` must be true or false"),
        ("[tool.pgwarden\n", "cannot read config"),
    ],
)
def test_bad_values_exit_2(
    repo: Path, capsys: pytest.CaptureFixture[str], toml: str, message: str
) -> None:
    text = toml if toml.startswith("[") else "[tool.pgwarden]\n" + toml
    (repo / "pyproject.toml").write_text(text)
    assert main(["lint", "m.sql"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"pgwarden: {repo / 'pyproject.toml'}")
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("option", ["--select", "--ignore", "--extend-select"])
def test_unknown_rule_on_command_line_exits_2(
    repo: Path, capsys: pytest.CaptureFixture[str], option: str
) -> None:
    assert main(["lint", option, "PW101,no-such-rule", "m.sql"]) == 2
    captured = capsys.readouterr()
    assert "unknown rule 'no-such-rule'" in captured.err
    assert captured.out == ""


def test_unknown_rule_in_config_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "pgwarden.toml").write_text('ignore = ["PW999"]\n')
    assert main(["lint", "m.sql"]) == 2
    assert "unknown rule 'PW999'" in capsys.readouterr().err


def test_bad_pg_version_option_exits_2(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--pg-version", "11", "m.sql"]) == 2
    assert "pgwarden: --pg-version: PostgreSQL 11 is not supported" in capsys.readouterr().err
