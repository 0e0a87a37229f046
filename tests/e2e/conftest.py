"""Fixtures for the incident end-to-end tests: a fresh PG 18 database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from _e2e import TEMPLATE, Db

from pgwarden.embedded import Cluster


@pytest.fixture
def edb(pg18: Cluster) -> Iterator[Db]:
    """A fresh database on the PG 18 cluster (the scenarios are too slow to repeat per major)."""
    name = f"e_{uuid.uuid4().hex[:16]}"
    pg18.create_database(name, template=TEMPLATE)
    yield Db(pg18, name)
    pg18.drop_database(name)
