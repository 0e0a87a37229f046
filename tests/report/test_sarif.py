"""`--format sarif` validates against the official SARIF 2.1.0 schema and says the right things."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pgwarden.cli.main import main
from pgwarden.lint import LintResult
from pgwarden.report.sarif import indented_json, sarif_dict, write_sarif
from pgwarden.rules.base import all_rules

SCHEMA = json.loads((Path(__file__).parent / "sarif-schema-2.1.0.json").read_text())


def validate(log: dict[str, Any]) -> None:
    jsonschema.Draft4Validator(SCHEMA).validate(log)


def test_schema_is_the_official_one() -> None:
    assert SCHEMA["id"].endswith("/sarif-schema-2.1.0.json")
    jsonschema.Draft4Validator.check_schema(SCHEMA)


def test_output_validates(result: LintResult) -> None:
    out = io.StringIO()
    write_sarif(result, out)
    validate(json.loads(out.getvalue()))


def test_validation_can_fail(result: LintResult) -> None:
    log = sarif_dict(result)
    del log["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        validate(log)


def test_results_and_locations(result: LintResult) -> None:
    run = sarif_dict(result)["runs"][0]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    pw101 = by_rule["PW101"]
    assert pw101["level"] == "error"
    assert by_rule["PW114"]["level"] == "warning"
    assert "CREATE INDEX takes SHARE" in pw101["message"]["text"]
    assert "help: use CREATE INDEX CONCURRENTLY" in pw101["message"]["text"]
    phys = pw101["locations"][0]["physicalLocation"]
    assert phys["artifactLocation"] == {
        "uri": "migrations/0001_index.sql",
        "uriBaseId": "%SRCROOT%",
    }
    assert phys["region"] == {"startLine": 2, "startColumn": 1}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"
    rules = run["tool"]["driver"]["rules"]
    assert rules[pw101["ruleIndex"]]["id"] == "PW101"


def test_rule_descriptors() -> None:
    rules = sarif_dict(LintResult())["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.code for c in all_rules()]
    first = next(r for r in rules if r["id"] == "PW101")
    assert first["name"] == "require-concurrent-index-creation"
    assert first["helpUri"] == "docs/rules/require-concurrent-index-creation.md"
    assert first["fullDescription"]["text"].startswith("A plain CREATE INDEX holds a SHARE lock")
    assert "\n" not in first["fullDescription"]["text"]  # docstring line breaks joined
    assert first["defaultConfiguration"]["level"] == "error"
    assert first["help"]["markdown"].splitlines()[3] == (
        "# require-concurrent-index-creation (PW101)"
    )


def test_parse_error_and_notice_are_notifications(result: LintResult) -> None:
    inv = sarif_dict(result)["runs"][0]["invocations"][0]
    assert inv["executionSuccessful"] is False
    assert inv["exitCode"] == 2
    notes = {n["descriptor"]["id"]: n for n in inv["toolExecutionNotifications"]}
    err = notes["parse-error"]
    assert err["level"] == "error"
    assert 'syntax error at or near "int"' in err["message"]["text"]
    loc = err["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "migrations/0002_bad.sql"
    assert loc["region"]["startLine"] == 2
    assert notes["notice"]["level"] == "note"
    assert "\\set" in notes["notice"]["message"]["text"]


def test_cli_sarif_from_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("ALTER TABLE t DROP CONSTRAINT c;\n"))
    assert main(["lint", "--format", "sarif", "--no-cache", "--select", "PW114", "-"]) == 0
    log = json.loads(capsys.readouterr().out)
    validate(log)
    [res] = log["runs"][0]["results"]
    loc = res["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"description": {"text": "<stdin>"}}


def test_cli_sarif_on_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["lint", "--format", "sarif", "--no-cache", "--schema", "schema.sql", "migrations"])
    captured = capsys.readouterr()
    assert code == 2  # the parse error wins over the error finding
    validate(json.loads(captured.out))
    assert "migrations/0002_bad.sql:2:" in captured.err


def test_absolute_paths(result: LintResult, tmp_path: Path) -> None:
    inside = sarif_dict(result, root=tmp_path)["runs"][0]["results"][0]
    assert inside["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == (
        "migrations/0001_index.sql"
    )
    elsewhere = tmp_path / "migrations"
    log = sarif_dict(result, root=elsewhere / "sub")
    validate(log)
    loc = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert loc == {"uri": (elsewhere / "0001_index.sql").as_uri()}


_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400, deadline=None)
@given(_JSON)
def test_indented_json_is_what_json_dumps_writes(value: Any) -> None:
    """The fast writer's text is json.dumps(indent=2)'s: escapes of control, non-ASCII and
    astral characters, lone surrogates, integers beyond 64 bits, empty containers."""
    assert indented_json(value) == json.dumps(value, indent=2)
