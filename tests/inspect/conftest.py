"""Fixtures for the live-inspection tests; the helpers live in inspect_scene.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from inspect_scene import BIG_ROWS, Scene, make_tables


@pytest.fixture
def scene(db: Any) -> Iterator[Scene]:
    sc = Scene(db.cluster, db.name)
    try:
        yield sc
    finally:
        sc.close()


@pytest.fixture
def tables(db: Any) -> Any:
    make_tables(db)
    return db


@pytest.fixture
def big_tables(db: Any) -> Any:
    make_tables(db, BIG_ROWS)
    return db
