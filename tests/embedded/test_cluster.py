"""Throwaway clusters against real servers: start, identity, databases, clean stop."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgwarden.embedded import Cluster, find_pg_bin, find_wheel_bin_dir, server_major, start_cluster
from pgwarden.errors import ClusterError, PgwardenError


def _uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError(f"no Uid line for pid {pid}")


def test_wheel_cluster_is_pg18(pg18: Cluster) -> None:
    assert server_major(find_wheel_bin_dir()) == 18
    assert pg18.major == 18
    assert pg18.version_num // 10000 == 18
    assert pg18.bin("pg_dump").is_file()
    with psycopg.connect(pg18.dsn()) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)


def test_server_does_not_run_as_root(pg18: Cluster) -> None:
    with psycopg.connect(pg18.dsn()) as conn:
        row = conn.execute("SELECT current_user, pg_backend_pid()").fetchone()
        assert row is not None
        assert row[0] == "postgres"
        # The backend exits with its connection: read its uid while it is still open.
        assert _uid(row[1]) != 0
    assert pg18.pid is not None
    assert _uid(pg18.pid) != 0


def test_each_major(pg_cluster: Cluster, request: pytest.FixtureRequest) -> None:
    expected = int(request.node.callspec.id.removeprefix("pg"))  # pg18, pg15 (and extras)
    assert pg_cluster.major == expected
    assert pg_cluster.version_num // 10000 == expected


def test_db_fixture_gives_a_fresh_database(db: Any) -> None:
    assert db.cluster.major == db.major
    with db.connect() as conn:
        conn.execute("CREATE TABLE t (id int)")
        row = conn.execute("SELECT current_database()").fetchone()
    assert row == (db.name,)
    assert f"dbname={db.name}" in db.dsn


def test_create_database_from_template_and_force_drop(pg18: Cluster) -> None:
    pg18.create_database("tpl_src")
    with psycopg.connect(pg18.dsn("tpl_src"), autocommit=True) as conn:
        conn.execute("CREATE TABLE marker (id int)")
    pg18.create_database("tpl_copy", template="tpl_src")
    held = psycopg.connect(pg18.dsn("tpl_copy"))
    try:
        assert held.execute("SELECT to_regclass('marker') IS NOT NULL").fetchone() == (True,)
        held.rollback()
        pg18.drop_database("tpl_copy")  # terminates `held` first
        pg18.drop_database("tpl_src")
    finally:
        held.close()
    with psycopg.connect(pg18.dsn()) as conn:
        names = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'tpl_%'")
        assert names.fetchall() == []


def test_stop_removes_process_and_files() -> None:
    with start_cluster(settings={"work_mem": "7MB"}) as cluster:
        pid, tmp = cluster.pid, cluster.socket_dir
        assert pid is not None and tmp.is_dir()
        with psycopg.connect(cluster.dsn()) as conn:
            assert conn.execute("SHOW work_mem").fetchone() == ("7MB",)
    assert not tmp.exists()
    assert not Path(f"/proc/{pid}").exists()
    assert cluster.pid is None
    cluster.stop()  # idempotent


def test_pg15_when_present() -> None:
    bin_dir = find_pg_bin(15)
    if bin_dir is None:
        pytest.skip("PostgreSQL 15 binaries not found at /usr/lib/postgresql/15/bin")
    with start_cluster(bin_dir) as cluster:
        assert cluster.major == 15
        assert cluster.bin("psql").parent == bin_dir


def test_bogus_bin_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="no PostgreSQL server binaries") as info:
        start_cluster(tmp_path / "nowhere")
    assert str(tmp_path / "nowhere") in str(info.value)
    assert isinstance(info.value, PgwardenError)


def test_failed_start_shows_log_and_cleans_up(monkeypatch: pytest.MonkeyPatch) -> None:
    base = Path(tempfile.mkdtemp(prefix="pgwarden-test-"))
    os.chmod(base, 0o755)  # reachable by the server's user when we are root
    monkeypatch.setattr(tempfile, "tempdir", str(base))
    try:
        with pytest.raises(ClusterError, match="invalid value for parameter"):
            start_cluster(settings={"shared_buffers": "lots"})
        assert list(base.iterdir()) == []
    finally:
        shutil.rmtree(base)
