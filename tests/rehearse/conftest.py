"""A "production" cluster for rehearse tests: password authentication, a role `app` owning the
source databases, so every rehearsal reads the source the way it would in real life."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from rehearse_support import PASSWORD, Prod, Source

from pgwarden.embedded import Cluster, start_cluster

# Only the superuser (fixtures, checks) connects without a password; `app` must give one.
HBA = """\
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
"""


def start_prod(bin_dir: Path | None = None) -> tuple[Cluster, Path]:
    hba_dir = Path(tempfile.mkdtemp(prefix="pgwarden-hba"))
    hba_dir.chmod(0o755)  # the server runs as another user (postgres) when we are root
    hba = hba_dir / "pg_hba.conf"
    hba.write_text(HBA)
    hba.chmod(0o644)
    cluster = start_cluster(bin_dir, settings={"hba_file": str(hba)})
    with psycopg.connect(cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE app LOGIN PASSWORD {}").format(sql.Literal(PASSWORD)))
    return cluster, hba_dir


@pytest.fixture(scope="session")
def prod() -> Iterator[Prod]:
    cluster, hba_dir = start_prod()
    yield Prod(cluster)
    cluster.stop()
    for f in hba_dir.iterdir():
        f.unlink()
    os.rmdir(hba_dir)


@pytest.fixture
def source(prod: Prod) -> Iterator[Source]:
    """A fresh database owned by `app`; its `dsn` carries app's password."""
    name = f"src_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(prod.cluster.dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} OWNER app").format(sql.Identifier(name)))
    yield Source(prod.cluster, name)
    prod.cluster.drop_database(name)
