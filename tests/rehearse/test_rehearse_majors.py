"""The copy's major version: the embedded 18 by default, --pg-bin to match the source's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
from rehearse_support import Source, write

from pgwarden.embedded import Cluster, find_pg_bin, start_cluster
from pgwarden.rehearse import RehearseError, RehearseOptions, rehearse

PG15 = find_pg_bin(15)
needs_pg15 = pytest.mark.skipif(PG15 is None, reason="PostgreSQL 15 binaries not installed")


@pytest.fixture(scope="module")
def pg15_source() -> Iterator[Cluster]:
    assert PG15 is not None
    with start_cluster(PG15) as cluster:
        cluster.create_database("shop")
        with psycopg.connect(cluster.dsn("shop"), autocommit=True) as conn:
            conn.execute(
                "CREATE TABLE t (id int PRIMARY KEY, c text);"
                "INSERT INTO t SELECT g, g::text FROM generate_series(1, 100) g"
            )
        yield cluster


@needs_pg15
def test_warns_when_majors_differ_and_matches_with_pg_bin(
    pg15_source: Cluster, tmp_path: Path
) -> None:
    mig = write(tmp_path / "m", {"001.sql": "ALTER TABLE t ALTER c TYPE int USING c::int;\n"})
    options = RehearseOptions(source=pg15_source.dsn("shop"), migrations=(str(mig),), budget=3600)
    differ = rehearse(options)
    assert (differ.source.major, differ.copy.major) == (15, 18)
    (warning,) = differ.warnings
    assert "PostgreSQL 15" in warning and f"--pg-bin {PG15}" in warning
    assert differ.exit_code == 0
    # The touched table was found through the PostgreSQL 15 catalog: copied whole.
    assert [(t.table, t.how, t.rows) for t in differ.copy.tables] == [("public.t", "whole", 100)]
    same = rehearse(replace(options, pg_bin=PG15))
    assert same.copy.major == 15 and same.warnings == ()
    assert same.exit_code == 0
    assert str(PG15) in same.copy.label


@needs_pg15
def test_older_pg_dump_than_the_source_is_explained(source: Source) -> None:
    source.run("CREATE TABLE t (id int)")
    with pytest.raises(RehearseError) as info:
        rehearse(RehearseOptions(source=source.dsn, command=("true",), pg_bin=PG15))
    message = str(info.value)
    assert "runs PostgreSQL 18, newer than the copy's 15" in message and "--pg-bin" in message
    assert "Sup3r" not in message
