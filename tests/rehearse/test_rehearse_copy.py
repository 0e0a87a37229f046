"""Restoring into the copy: a failing statement is reported with its line, not a psql dump."""

from __future__ import annotations

import uuid

import pytest

from pgwarden.embedded import Cluster
from pgwarden.rehearse import RehearseError
from pgwarden.rehearse.dump import restore


def test_restore_error_names_the_line_and_statement(pg18: Cluster) -> None:
    name = f"c_{uuid.uuid4().hex[:12]}"
    pg18.create_database(name)
    try:
        script = "CREATE TABLE a (id int);\n\nCREATE EXTENSION no_such_extension;\nSELECT 1;\n"
        with pytest.raises(RehearseError) as info:
            restore(pg18, name, script, "the schema")
        message = str(info.value)
        assert "restoring the schema into the copy failed at line 3" in message
        assert "3 | CREATE EXTENSION no_such_extension;" in message
        assert "pass --pg-bin with server binaries that have it" in message
    finally:
        pg18.drop_database(name)
