"""Throwaway clusters (wheel and --pg-bin) and the migration-file selection."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from trace_support import Write

from pgwarden.embedded import find_pg_bin
from pgwarden.errors import UsageError
from pgwarden.trace import TraceOptions, trace_paths
from pgwarden.trace.api import trace_plan
from pgwarden.trace.schema import plan
from pgwarden.trace.target import open_target


@pytest.mark.parametrize("major", [18, 15], ids=["pg18", "pg15"])
def test_throwaway_cluster_is_removed(major: int, write: Write) -> None:
    pg_bin = None if major == 18 else find_pg_bin(15)
    if major == 15 and pg_bin is None:
        pytest.skip("PostgreSQL 15 binaries not found at /usr/lib/postgresql/15/bin")
    mig = write("m.sql", "CREATE TABLE t (id int);\nCREATE INDEX ON t (id);\n")
    with open_target(pg_bin=pg_bin) as target:
        assert target.throwaway and target.commit and target.major == major
        dsn = target.dsn
        result = trace_plan(plan([str(mig)]), target, TraceOptions(pg_bin=pg_bin))
    assert result.major == major and result.throwaway and result.exit_code == 0
    assert result.statements()[1].locks[0].mode.name == "ShareLock"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(dsn, connect_timeout=2)


def test_directory_order_since_last_and_down_files(write: Write, tmp_path: Path) -> None:
    write("migs/0001_init.up.sql", "CREATE TABLE a (id int);\n")
    write("migs/0001_init.down.sql", "DROP TABLE a;\n")
    write("migs/0002_b.sql", "ALTER TABLE a ADD COLUMN b int;\n")
    write("migs/0010_c.sql", "ALTER TABLE a ADD COLUMN c int;\n")
    schema = write("schema.sql", "CREATE EXTENSION IF NOT EXISTS plpgsql;\n")
    d = str(tmp_path / "migs")

    def names(files: tuple[object, ...]) -> list[str]:
        return [Path(f.display).name for f in files]

    everything = plan([d])
    assert names(everything.traced) == ["0001_init.up.sql", "0002_b.sql", "0010_c.sql"]
    assert [Path(s).name for s in everything.skipped] == ["0001_init.down.sql"]
    last = plan([d], [str(schema)], last=1)
    assert names(last.setup) == ["schema.sql", "0001_init.up.sql", "0002_b.sql"]
    assert names(last.traced) == ["0010_c.sql"]
    since = plan([d], since="0002_b.sql")
    assert names(since.setup) == ["0001_init.up.sql"]
    assert names(since.traced) == ["0002_b.sql", "0010_c.sql"]
    with pytest.raises(UsageError, match="--last 0"):
        plan([d], last=0)


def test_last_traces_only_the_newest_file(write: Write, tmp_path: Path) -> None:
    write("migs/0001.sql", "CREATE TABLE a (id int);\n")
    write("migs/0002.sql", "ALTER TABLE a ADD COLUMN b int;\n")
    result = trace_paths([str(tmp_path / "migs")], TraceOptions(last=1, compare=True))
    assert [Path(p).name for p in result.setup] == ["0001.sql"]
    (f,) = result.files
    assert Path(f.path).name == "0002.sql"
    (stmt,) = f.statements
    assert [(lk.relation, lk.mode.name, lk.new) for lk in stmt.locks] == [
        ("public.a", "AccessExclusiveLock", False)
    ]
    assert stmt.comparison is not None and stmt.comparison.status == "agree"
