"""The result cache never changes a result: hits equal fresh runs, earlier edits invalidate."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pgwarden import pipeline
from pgwarden.cache import ENV_DIR, ResultCache, chain_key, digest
from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_paths
from pgwarden.report.json_document import document
from pgwarden.report.json_out import json_document, result_dict

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
CRATES = CORPUS / "rust-lang__crates.io" / "migrations"


def as_json(result: LintResult) -> str:
    return json.dumps(result_dict(result), sort_keys=True)


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "cache"
    monkeypatch.setenv(ENV_DIR, str(d))
    return d


def no_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> object:
        raise AssertionError("a cache hit must not parse")

    monkeypatch.setattr(pipeline, "parse_item", refuse)


@pytest.mark.skipif(not CRATES.is_dir(), reason=f"corpus not found at {CRATES}")
def test_cached_results_equal_fresh_results_on_corpus_files(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "migrations"
    # Diesel migrations (up and down) up to and including the one whose down.sql does not
    # parse, so a cached parse failure is covered too.
    dirs = sorted(d for d in CRATES.iterdir() if d.is_dir())
    bad = next(i for i, d in enumerate(dirs) if d.name.startswith("20170318181441"))
    dirs = dirs[bad - 60 : bad + 5]
    for d in dirs:
        shutil.copytree(d, project / d.name)
    fresh = as_json(lint_paths([str(project)], LintConfig(cache=False)))
    cold = as_json(lint_paths([str(project)], LintConfig()))
    assert list(cache_dir.glob("v*/*.pack")), "the cold run wrote a pack"
    with monkeypatch.context() as m:
        no_parsing(m)
        warm = lint_paths([str(project)], LintConfig())
    assert cold == fresh
    assert as_json(warm) == fresh
    assert warm.exit_code == 2 and len(warm.errors) == 1  # the known-bad down.sql, from cache


def test_an_earlier_change_invalidates_later_entries(tmp_path: Path, cache_dir: Path) -> None:
    project = tmp_path / "m"
    project.mkdir()
    first = project / "0001_create.sql"
    first.write_text("CREATE TABLE t (a int);\n")
    (project / "0002_alter.sql").write_text("ALTER TABLE t ALTER COLUMN a TYPE bigint;\n")
    config = LintConfig(select=frozenset({"changing-column-type", "ban-table-rewrite-command"}))

    def rewrites(result: LintResult) -> list[str]:
        return [r for f in result.files for s in f.statements for r in s.rewrites]

    before = lint_paths([str(project)], config)
    assert rewrites(before) == ["public.t"]  # int -> bigint rewrites

    first.write_text("CREATE TABLE t (a bigint);\n")  # 0002 did not change, its result does
    after = lint_paths([str(project)], config)
    assert rewrites(after) == []
    fresh = LintConfig(select=config.select, cache=False)
    assert as_json(after) == as_json(lint_paths([str(project)], fresh))


def test_config_and_schema_are_part_of_the_key(tmp_path: Path, cache_dir: Path) -> None:
    mig = tmp_path / "0001.sql"
    mig.write_text("ALTER TABLE t ALTER COLUMN a TYPE bigint;\n")
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE t (a int);\n")
    with_schema = LintConfig(schema=(str(schema),))
    assert lint_paths([str(mig)], with_schema).files[0].statements[0].rewrites == ["public.t"]
    schema.write_text("CREATE TABLE t (a bigint);\n")
    assert lint_paths([str(mig)], with_schema).files[0].statements[0].rewrites == []
    v12 = lint_paths([str(mig)], LintConfig(pg_version=12, cache=False))
    assert as_json(lint_paths([str(mig)], LintConfig(pg_version=12))) == as_json(v12)


def test_broken_or_unwritable_cache_only_means_misses(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mig = tmp_path / "0001.sql"
    mig.write_text("CREATE INDEX i ON t (a);\nSELEC;\n")
    good = tmp_path / "0002.sql"
    good.write_text("CREATE INDEX j ON t (b);\n")
    fresh = as_json(lint_paths([str(tmp_path)], LintConfig(cache=False)))
    assert as_json(lint_paths([str(tmp_path)], LintConfig())) == fresh
    for pack in cache_dir.glob("v*/*.pack"):
        lines = pack.read_text().splitlines()
        pack.write_text(lines[0][:60] + "\n" + "garbage\n" + lines[-1][: len(lines[-1]) // 2])
    assert as_json(lint_paths([str(tmp_path)], LintConfig())) == fresh
    shutil.rmtree(cache_dir)
    cache_dir.write_text("a file where the cache directory should be")
    assert as_json(lint_paths([str(tmp_path)], LintConfig())) == fresh


def test_fileout_round_trips_through_json(tmp_path: Path, cache_dir: Path) -> None:
    mig = tmp_path / "0001.sql"
    mig.write_text(
        "-- pgwarden: ignore[nonexistent-rule]\nBEGIN;\nALTER TABLE t ADD COLUMN c serial;\n"
        "CREATE INDEX i ON t (c);\nCOMMIT;\n\\set x 1\n"
    )
    result = lint_paths([str(mig)], LintConfig(cache=False))
    cache = ResultCache(cache_dir, "roundtrip")
    cache.put("k", result.files[0])
    cache.save(["k"], "k", document(cache.files_json(["k"]), []), 0, [])
    again = ResultCache(cache_dir, "roundtrip").get("k", str(mig))
    assert again == result.files[0]
    assert result.files[0].notices and result.files[0].all_findings()


def test_cli_cache_location_and_switches(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    (tmp_path / "m.sql").write_text("CREATE INDEX i ON t (a);\n")
    env = {k: v for k, v in os.environ.items() if k != ENV_DIR}

    def lint(*args: str, cwd: Path = tmp_path, **extra: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "pgwarden", "lint", "--format", "json", *args, "m.sql"],
            cwd=cwd,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 1, proc.stderr
        return proc.stdout

    first = lint("--no-cache")
    assert not (tmp_path / ".pgwarden_cache").exists()
    (tmp_path / "pgwarden.toml").write_text("cache = false\n")
    assert lint() == first
    assert not (tmp_path / ".pgwarden_cache").exists()
    (tmp_path / "pgwarden.toml").unlink()
    assert lint() == first
    assert (tmp_path / ".pgwarden_cache" / ".gitignore").read_text().endswith("*\n")
    assert list((tmp_path / ".pgwarden_cache").glob("v*/*.pack"))
    assert lint() == first  # a hit
    elsewhere = tmp_path / "elsewhere"
    assert lint(**{ENV_DIR: str(elsewhere)}) == first
    assert list(elsewhere.glob("v*/*.pack"))


@pytest.mark.parametrize("rendered", [False, True])
def test_a_damaged_entry_of_the_same_length_is_a_miss(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch, rendered: bool
) -> None:
    """JSON output splices cached entries in without decoding them: one byte changed inside
    an entry (its length intact) must still be caught, or the output would be broken."""
    mig = tmp_path / "0001.sql"
    mig.write_text("CREATE INDEX i ON t (a);\n")
    fresh = as_json(lint_paths([str(tmp_path)], LintConfig(cache=False)))
    lint_paths([str(tmp_path)], LintConfig())
    (pack,) = cache_dir.glob("v*/*.pack")
    data = pack.read_bytes()
    at = data.index(b'"mode":"ShareLock"')
    pack.write_bytes(data[:at] + b'"mode":"ShareLoc!"' + data[at + 18 :])
    calls = {"n": 0}
    real = pipeline.parse_item

    def counting(*args: object) -> object:
        calls["n"] += 1
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_item", counting)
    result = lint_paths([str(tmp_path)], LintConfig(), rendered=rendered)
    assert as_json(result) == fresh
    assert calls["n"] == 1  # linted again: the entry was a miss


def test_a_pack_holds_its_runs_json_output(
    tmp_path: Path, cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pack stores the whole JSON output of the run that wrote it, each file's entry once:
    `replay` gives it, with that run's exit code and parse failures, to that run only; the
    entries are found in it again by a later run."""
    mig = tmp_path / "migrations"
    mig.mkdir()
    (mig / "0001.sql").write_text("CREATE INDEX i ON t (a);\n")
    (mig / "0002.sql").write_text("SELEC;\n")
    (mig / "0003.sql").write_text('CREATE TABLE "ü" (a int);\nDROP TABLE "ü";\n')
    config = LintConfig()
    result = lint_paths([str(mig)], config, rendered=True)
    expected = b"".join(json_document(result))
    (pack,) = cache_dir.glob("v*/*.pack")
    assert pack.read_bytes().count(b'"CREATE INDEX i ON t (a)"') == 1
    run = pipeline.read_inputs([str(mig)], config).key
    assert run is not None
    replay = ResultCache.replay([str(mig)], config, run)
    assert replay is not None
    with replay.file as fh:
        assert fh.read(replay.size) == expected and replay.size == len(expected)
    assert replay.exit_code == result.exit_code == 2
    assert replay.stderr == tuple(str(e) for e in result.errors) and len(replay.stderr) == 1
    assert ResultCache.replay([str(mig)], config, "another run") is None
    with monkeypatch.context() as m:
        no_parsing(m)
        again = lint_paths([str(mig)], config, rendered=True)
    assert b"".join(json_document(again)) == expected


@pytest.mark.parametrize("display", ["m/0001_init.sql", "é/ü.sql", "bad\udcff.sql", "", "x" * 300])
@pytest.mark.parametrize("data", [b"", b"CREATE TABLE t (id int);\n", b"\xff" * 70_000, None])
def test_a_files_key_is_the_digest_of_what_it_chains(display: str, data: bytes | None) -> None:
    """chain_key is digest() written out for speed: the same key for the same parts."""
    previous = digest("run", "configuration")
    expected = digest(previous, display, b"\x00unreadable" if data is None else data)
    assert chain_key(previous, display, data) == expected
    assert chain_key(previous, display + "x", data) != expected
