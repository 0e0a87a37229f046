"""A helper process reading the run's files gives exactly what reading them here gives."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from affinity import AffinityLog
from pgwarden.config import LintConfig
from pgwarden.errors import InputError
from pgwarden.pipeline import Inputs, read_inputs
from pgwarden.sql.read_ahead import ReadAhead

pytestmark = pytest.mark.skipif(
    not hasattr(os, "memfd_create") or (os.cpu_count() or 1) < 2,
    reason="the helper runs on Linux with two CPUs or more",
)


@pytest.fixture
def one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """As the CLI runs: pytest's workers may hold threads, which keep the helper off."""
    monkeypatch.setattr(threading, "active_count", lambda: 1)


def _tree(root: Path) -> Path:
    """Migrations with what reading can meet: text, bytes that are not UTF-8, an empty file,
    a directory named like a migration, a dangling symlink, a FIFO nobody writes to."""
    mig = root / "migrations"
    (mig / "0001_init").mkdir(parents=True)
    (mig / "0001_init" / "up.sql").write_text("CREATE TABLE t (id int);\n")
    (mig / "0001_init" / "down.sql").write_text("DROP TABLE t;\n")
    (mig / "0002_bytes.sql").write_bytes(b"SELECT '\xff';\n")
    (mig / "0003_empty.sql").write_bytes(b"")
    (mig / "0004_dir.sql").mkdir()
    (mig / "0005_gone.sql").symlink_to(mig / "nowhere.sql")
    os.mkfifo(mig / "0006_fifo.sql")
    (mig / "0010_later.sql").write_text("ALTER TABLE t ADD COLUMN n int;\n")
    return mig


def _view(inputs: Inputs) -> list[object]:
    return [
        (it.source, it.data if isinstance(it.data, bytes) else str(it.data), it.key)
        for it in (*inputs.items, *inputs.schema)
    ] + [inputs.key]


@pytest.mark.usefixtures("one_thread")
def test_helper_reads_what_this_process_reads(tmp_path: Path) -> None:
    mig = _tree(tmp_path)
    schema = tmp_path / "schema.sql"
    schema.write_text("CREATE TABLE s (id int);\n")
    paths = [str(mig), str(tmp_path / "missing.sql")]
    config = LintConfig(schema=(str(schema),))
    ahead = ReadAhead.start(paths, [str(schema)])
    assert ahead is not None
    with_helper = read_inputs(paths, config, ahead)
    here = read_inputs(paths, config)
    assert _view(with_helper) == _view(here)
    assert len(here.items) == 8  # the seven entries of the tree, and the missing path


@pytest.mark.usefixtures("one_thread")
def test_a_helper_that_fails_leaves_the_reading_here(tmp_path: Path) -> None:
    mig = _tree(tmp_path)
    paths, schema = [str(mig)], [str(tmp_path / "no-such-schema.sql")]
    ahead = ReadAhead.start(paths, schema)
    assert ahead is not None
    assert ahead.result() is None  # the helper stopped at the missing schema file
    with pytest.raises(InputError, match=r"no-such-schema\.sql"):
        read_inputs(paths, LintConfig(schema=tuple(schema)), ReadAhead.start(paths, schema))


@pytest.mark.usefixtures("one_thread")
@pytest.mark.parametrize("case", ["stdin", "files only", "one job"])
def test_no_helper_where_it_cannot_pay_off(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mig = _tree(tmp_path)
    paths = {
        "stdin": [str(mig), "-"],
        "files only": [str(mig / "0010_later.sql")],
        "one job": [str(mig)],
    }[case]
    if case == "one job":
        monkeypatch.setenv("PGWARDEN_JOBS", "1")
    assert ReadAhead.start(paths, []) is None


@pytest.mark.usefixtures("one_thread")
def test_stdin_as_a_schema_is_left_to_this_process(tmp_path: Path) -> None:
    """The helper's stdin is /dev/null: `--schema -` is read here, not by the helper."""
    mig = _tree(tmp_path)
    ahead = ReadAhead.start([str(mig)], ["-"])
    assert ahead is not None
    read = ahead.result()
    assert read is not None
    assert len(read[0]) == 7
    assert read[1] is None  # read_inputs reads the schema itself


def test_the_helper_imports_nothing_heavy() -> None:
    """It runs right after forking from the console script: dataclasses (for SqlSource) or
    typing would cost it several ms before it reads a file."""
    code = (
        "import sys\n"
        "from pgwarden.sql.read_ahead import _pack\n"
        "_pack([sys.argv[1]])\n"
        "heavy = ('dataclasses', 'typing', 'inspect', 'pglast')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "[]"


@pytest.mark.usefixtures("one_thread")
@pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="Linux CPU affinity")
@pytest.mark.parametrize("end", ["result", "cancel"])
def test_with_two_cpus_the_helper_and_this_process_keep_to_one_each(
    end: str, tmp_path: Path, affinity_log: AffinityLog
) -> None:
    """Until the helper is done (its answer taken or not wanted): then this process has all
    its CPUs again, for the worker's pair (pipeline) or whatever comes next."""
    ahead = ReadAhead.start([str(_tree(tmp_path))], None)
    assert ahead is not None
    if end == "result":
        assert ahead.result() is not None
    else:
        ahead.cancel()
    log = affinity_log
    assert os.sched_getaffinity(0) == log.before
    assert log.calls(os.getpid()) == [f"[{log.first}]", str(sorted(log.before))]
    if end == "result":  # (a cancelled helper may be killed before it gets that far)
        assert log.calls(ahead.pid) == [f"[{log.first}]"]
