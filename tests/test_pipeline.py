"""Linting a directory in parallel gives exactly the results of linting it in one process."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from affinity import AffinityLog
from pgwarden import cache as cache_mod
from pgwarden import forking, pipeline
from pgwarden.config import LintConfig
from pgwarden.lint import LintResult, lint_paths
from pgwarden.report.json_out import result_dict

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
LEMMY = CORPUS / "LemmyNet__lemmy" / "migrations"

pytestmark = pytest.mark.skipif(not LEMMY.is_dir(), reason=f"corpus not found at {LEMMY}")


def as_json(result: LintResult) -> str:
    return json.dumps(result_dict(result), sort_keys=True)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "migrations"
    for d in sorted(LEMMY.iterdir())[:70]:  # views, triggers, up and down files
        shutil.copytree(d, dest / d.name)
    return dest


def sequential(project: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    with monkeypatch.context() as m:
        m.setenv("PGWARDEN_JOBS", "1")
        return as_json(lint_paths([str(project)], LintConfig(cache=False)))


def parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "PARALLEL_MIN_BYTES", 1)
    monkeypatch.setattr(pipeline, "_can_fork", lambda: True)  # also under pytest-xdist


def count_forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The pids of the workers forked from now on (0 for a fork that failed)."""
    forks: list[int] = []
    real = pipeline._fork_worker

    def counted(*args: object, **kw: object) -> object:
        worker = real(*args, **kw)  # type: ignore[arg-type]
        forks.append(0 if worker is None else worker.pid)
        return worker

    monkeypatch.setattr(pipeline, "_fork_worker", counted)
    return forks


def test_parallel_equals_sequential(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = sequential(project, monkeypatch)
    parallel(monkeypatch)
    split = pipeline._plan_split(
        [pipeline._Item(s, b"x" * 100) for s in pipeline.discover([str(project)])], 0
    )
    assert 0 < split < 140
    assert as_json(lint_paths([str(project)], LintConfig(cache=False))) == expected


def test_a_lead_of_this_process_moves_the_split_toward_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What this process does alone after an early fork (hashing keys, setting the cache
    up) is planned for: it lints fewer files, the worker more."""
    parallel(monkeypatch)
    items = [pipeline._Item(s, b"x" * 2000) for s in pipeline.discover([str(project)])]
    even = pipeline._plan_split(items, 0, True)
    led = pipeline._plan_split(items, 0, True, lead=100_000)
    assert 0 < led < even < len(items)
    config = LintConfig()
    inputs = pipeline.Inputs(items, [])
    early = pipeline.start_early(inputs, config, True)
    early.cancel()
    lead = pipeline.EARLY_SETUP + pipeline.EARLY_HASH_FILE * len(items)
    assert early.split == pipeline._plan_split(items, 0, True, lead) < even


@pytest.mark.parametrize(("before", "big"), [(100, 60_000), (40, 60_000), (60, 30_000)])
def test_the_split_is_the_closer_balance_around_a_large_file(
    before: int, big: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where a large file sits at the balance point, the split leaves it to whichever side
    ends closer to the other (not always to this process)."""
    parallel(monkeypatch)
    sizes = [2000] * before + [big] + [2000] * 60
    items = [
        pipeline._Item(pipeline.SqlSource(f"{i:04}.sql", None), b"x" * n)
        for i, n in enumerate(sizes)
    ]

    def gap(split: int) -> float:  # this process's work minus the worker's (see _plan_split)
        here = sum(pipeline.LINT_FILE + n for n in sizes[:split]) + sum(
            pipeline.RECV_FILE + pipeline.RECV_BYTE * n for n in sizes[split:]
        )
        here += sum(pipeline.SEND_FILE + pipeline.SEND_BYTE * n for n in sizes[:split])
        worker = sum(pipeline.REPLAY_FILE + pipeline.REPLAY_BYTE * n for n in sizes[:split])
        worker += sum(
            pipeline.LINT_FILE + pipeline.SEND_FILE + (1 + pipeline.SEND_BYTE) * n
            for n in sizes[split:]
        )
        return here - worker

    split = pipeline._plan_split(items, 0, True)
    assert 0 < split < len(items)
    best = min(range(1, len(items)), key=lambda k: abs(gap(k)))
    assert abs(gap(split)) == abs(gap(best))


def test_a_failing_worker_is_covered_by_the_parent(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = sequential(project, monkeypatch)
    parallel(monkeypatch)
    calls = {"n": 0}
    real = cache_mod.encode_entry

    def flaky(entry: object) -> str:  # runs in the forked worker only (the cache is off)
        calls["n"] += 1
        if calls["n"] == 5:
            raise RuntimeError("worker dies part way")
        return real(entry)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_mod, "encode_entry", flaky)
    assert as_json(lint_paths([str(project)], LintConfig(cache=False))) == expected


def test_parallel_run_with_a_partial_cache(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = sequential(project, monkeypatch)
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    parallel(monkeypatch)
    assert as_json(lint_paths([str(project)], LintConfig())) == expected
    # Edit a file in the middle: the head comes from the cache, the rest is linted again
    # (the worker replays the head first).
    middle = sorted(project.iterdir())[35] / "up.sql"
    middle.write_text(middle.read_text() + "\nCREATE TABLE added_later (id bigint);\n")
    fresh = sequential(project, monkeypatch)
    assert fresh != expected
    assert as_json(lint_paths([str(project)], LintConfig())) == fresh


@pytest.mark.parametrize("rendered", [False, True])
def test_a_worker_started_early_is_the_one_that_lints(
    rendered: bool, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`start_early` forks before the keys are hashed (a run without a cache): the run uses
    that worker, forks no other, and its results are the sequential ones."""
    expected = sequential(project, monkeypatch)
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    parallel(monkeypatch)
    forks = count_forks(monkeypatch)
    config = LintConfig()
    inputs = pipeline.read_inputs([str(project)], config, keys=False)
    assert inputs.key is None and not any(it.key for it in inputs.items)
    early = pipeline.start_early(inputs, config, rendered)
    assert early.worker is not None and forks == [early.worker.pid]
    assert 0 < early.split < len(inputs.items)
    pipeline.chain_keys(inputs, config)
    assert inputs.key and all(it.key for it in inputs.items)
    result = lint_paths([str(project)], config, inputs, rendered=rendered, early=early)
    assert as_json(result) == expected
    assert len(forks) == 1  # no second worker
    assert early.worker.reaped  # (released: reaped once it has exited)
    pipeline.reap_workers(block=True)
    assert not pipeline._EXITING
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)
    # Cached now: an early worker is stopped (the head comes from the cache), and the run
    # forks its own for what is left, if anything.
    again = pipeline.read_inputs([str(project)], config, keys=False)
    stale = pipeline.start_early(again, config, rendered)
    assert stale.worker is not None
    pipeline.chain_keys(again, config)
    assert as_json(lint_paths([str(project)], config, again, rendered=rendered, early=stale)) == (
        expected
    )
    assert stale.worker is None and len(forks) == 2


@pytest.mark.parametrize("rendered", [False, True])
def test_each_result_is_encoded_once(
    rendered: bool, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In one process, a result is encoded once, as it is made, for both the cache and the
    JSON output (not again for each)."""
    expected = sequential(project, monkeypatch)
    monkeypatch.setenv("PGWARDEN_JOBS", "1")
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    calls: list[object] = []
    real = cache_mod.encode_entry

    def counted(entry: object) -> bytes:
        calls.append(entry)
        return real(entry)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_mod, "encode_entry", counted)
    result = lint_paths([str(project)], LintConfig(), rendered=rendered)
    assert as_json(result) == expected
    assert len(calls) == len(pipeline.discover([str(project)]))


@pytest.mark.parametrize("mode", ["sequential", "parallel"])
def test_rendered_json_equals_the_objects(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """`--format json` takes files as the JSON the pipeline (or the cache) already has: the
    same files, errors and exit code as rendering the objects, cold, warm and part warm."""
    (project / "zz_bad.sql").write_text("SELEC 1;\n")  # a parse failure among the files
    expected = sequential(project, monkeypatch)
    if mode == "parallel":
        parallel(monkeypatch)
    else:
        monkeypatch.setenv("PGWARDEN_JOBS", "1")
    fresh = lint_paths([str(project)], LintConfig(cache=False), rendered=True)
    assert fresh.rendered is not None and not fresh.files
    assert as_json(fresh) == expected
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    for _ in range(2):  # cold, then warm (every file from the cache, none decoded)
        res = lint_paths([str(project)], LintConfig(), rendered=True)
        assert as_json(res) == expected
        assert res.exit_code == fresh.exit_code == 2
        assert [e.display for e in res.errors] == [str(project / "zz_bad.sql")]
    middle = sorted(project.iterdir())[35] / "up.sql"
    middle.write_text(middle.read_text() + "\nUPDATE t SET a = 1, a = 2;\n")  # an error finding
    objects = lint_paths([str(project)], LintConfig(cache=False))
    res = lint_paths([str(project)], LintConfig(), rendered=True)
    assert as_json(res) == as_json(objects)
    assert res.error_findings == sum(f.error_count() for f in objects.files) > 0


@pytest.mark.parametrize("rendered", [False, True])
def test_the_pack_written_in_the_background_is_the_one_written_here(
    rendered: bool, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`waits`: the pack comes from a thread, the same bytes, and a later run hits it."""
    monkeypatch.setenv("PGWARDEN_JOBS", "1")
    packs = []
    for background in (False, True):
        monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / f"cache-{background}"))
        waits: list[Callable[[], None]] = []
        result = lint_paths(
            [str(project)], LintConfig(), rendered=rendered, waits=waits if background else None
        )
        assert len(waits) == (1 if background else 0)
        for wait in waits:
            wait()
        (pack,) = (tmp_path / f"cache-{background}").glob("v*/*.pack")
        packs.append(pack.read_bytes())
        hits = pipeline.read_inputs([str(project)], LintConfig())
        pipeline._open_cache([str(project)], LintConfig(), hits.items, rendered)
        assert all(it.done for it in hits.items)
        assert result.exit_code == 1
    assert packs[0] == packs[1]


def test_a_failure_writing_in_the_background_reaches_the_caller(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGWARDEN_JOBS", "1")
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))

    def broken(self: object, *args: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(cache_mod.ResultCache, "save", broken)
    waits: list[Callable[[], None]] = []
    lint_paths([str(project)], LintConfig(), waits=waits)
    with pytest.raises(RuntimeError, match="disk on fire"):
        waits[0]()


class _ClosedPipe:
    """A stdout whose reader has gone: writes raise BrokenPipeError."""

    def __init__(self) -> None:
        self.buffer = self

    def write(self, data: object) -> int:
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self) -> None:
        pass

    def fileno(self) -> int:
        raise OSError("no file descriptor")

    def isatty(self) -> bool:
        return False


def test_the_pack_is_written_whole_when_the_output_fails(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pack's thread is waited for even when writing the output fails (a closed pipe):
    the process does not end under it."""
    from pgwarden.cli import main

    monkeypatch.setenv("PGWARDEN_JOBS", "1")
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr("sys.stdout", _ClosedPipe())
    waited: list[bool] = []
    real = pipeline._in_background

    def tracked(work: Callable[..., None], *args: object) -> Callable[[], None]:
        wait = real(work, *args)

        def counted() -> None:
            wait()
            waited.append(True)

        return counted

    monkeypatch.setattr(pipeline, "_in_background", tracked)
    assert main.main(["lint", "--format", "json", str(project)]) == 0  # BrokenPipeError
    assert waited == [True]
    hits = pipeline.read_inputs([str(project)], LintConfig())
    pipeline._open_cache([str(project)], LintConfig(), hits.items, True)
    assert all(it.done for it in hits.items)


def test_the_lint_command_reaps_its_worker(
    project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The main process takes the worker's last results without waiting for it to exit,
    but the command reaps it before it ends (its time is the command's)."""
    from pgwarden.cli import main

    parallel(monkeypatch)
    monkeypatch.setenv("PGWARDEN_CACHE_DIR", str(tmp_path / "cache"))
    forks = count_forks(monkeypatch)
    real_exit = os._exit

    def slow_exit(code: int) -> None:  # a child lingering after it is done (forked with it)
        time.sleep(0.3)
        real_exit(code)

    monkeypatch.setattr(os, "_exit", slow_exit)
    main.main(["lint", "--format", "json", str(project)])
    assert '"files"' in capsys.readouterr().out
    assert len(forks) == 1 and forks[0] > 0
    assert not pipeline._EXITING
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[0], os.WNOHANG)


@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux CPU affinity")
def test_with_two_cpus_each_process_keeps_to_one_while_both_lint(
    project: Path, monkeypatch: pytest.MonkeyPatch, affinity_log: AffinityLog
) -> None:
    """The worker keeps to one CPU and this process to the other until the worker is done;
    this process has all it had again afterwards (the pack's thread, the output)."""
    expected = sequential(project, monkeypatch)
    parallel(monkeypatch)
    forks = count_forks(monkeypatch)
    assert as_json(lint_paths([str(project)], LintConfig(cache=False))) == expected
    log = affinity_log
    assert os.sched_getaffinity(0) == log.before
    assert log.calls(forks[0]) == [f"[{log.first}]"]
    assert log.calls(os.getpid()) == [f"[{log.first}]", str(sorted(log.before))]


def test_the_cpu_pair_is_only_for_exactly_two_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    for cpus, expected in (
        ({0, 1}, ({0, 1}, 0, 1)),
        ({3, 5}, ({3, 5}, 3, 5)),
        ({0}, None),
        ({0, 1, 2, 3}, None),
    ):
        monkeypatch.setattr(os, "sched_getaffinity", lambda pid, c=cpus: set(c), raising=False)
        assert forking.cpu_pair() == expected
