"""The source is only ever read: the connection refuses writes, whatever the SQL."""

from __future__ import annotations

import psycopg
import pytest
from rehearse_support import Source

from pgwarden.rehearse.source import open_source, read_source


def test_source_connection_refuses_writes(source: Source) -> None:
    source.run("CREATE TABLE t (id int)")
    with open_source(source.dsn) as src:
        assert "***" in src.label and "Sup3r" not in src.label
        assert src.conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        assert src.conn.execute("SHOW transaction_read_only").fetchone() == ("on",)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            src.conn.execute("INSERT INTO t VALUES (1)")
        src.conn.rollback()
        # Even a transaction that does not say READ ONLY is read-only on this connection.
        src.conn.autocommit = True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            src.conn.execute("CREATE TABLE u (id int)")
    with psycopg.connect(source.admin_dsn) as conn:
        assert conn.execute("SELECT count(*) FROM t").fetchone() == (0,)
        assert conn.execute("SELECT to_regclass('u')").fetchone() == (None,)


def test_reads_sizes_and_foreign_keys(source: Source) -> None:
    source.run(
        "CREATE TABLE p (id int PRIMARY KEY);"
        "CREATE TABLE c (id int, p_id int REFERENCES p, g int GENERATED ALWAYS AS (id * 2) STORED);"
        "INSERT INTO p SELECT generate_series(1, 50);"
        "INSERT INTO c SELECT g, 1 + g % 50 FROM generate_series(1, 70) g;"
    )
    with open_source(source.dsn) as src:
        info = read_source(src)
    by_name = {t.qualified: t for t in info.tables}
    assert by_name["public.c"].rows == 70  # never analysed: counted
    assert by_name["public.c"].columns == ("id", "p_id")  # the generated column is computed
    (fk,) = info.foreign_keys
    assert (fk.columns, fk.ref_columns, fk.ref_types) == (("p_id",), ("id",), ("integer",))
    assert fk.parent_leaves == (by_name["public.p"].oid,)
