"""Fixtures for the runner tests: a fresh PG 18 database for the slow scenarios."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from _runner_helpers import TEMPLATE, Db18

from pgwarden.embedded import Cluster


@pytest.fixture
def db18(pg18: Cluster) -> Iterator[Db18]:
    """A fresh database on the PG 18 cluster, for tests too slow to repeat on every major."""
    name = f"r_{uuid.uuid4().hex[:16]}"
    pg18.create_database(name, template=TEMPLATE)
    yield Db18(pg18, name)
    pg18.drop_database(name)
