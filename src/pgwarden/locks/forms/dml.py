"""Data statements: reads, writes, row locks, MERGE, COPY, with foreign keys and partitions."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import FK, IDENT, INH, PACCT, SERIAL, P, T, V

_DML = "Data statements (DML)"
CASCADE = """
CREATE TABLE r (id int PRIMARY KEY);
INSERT INTO r VALUES (1), (2);
CREATE TABLE c (id int PRIMARY KEY, r_id int REFERENCES r ON DELETE CASCADE);
INSERT INTO c VALUES (1, 1), (2, 2);
"""
NESTED = V + "CREATE VIEW vv AS SELECT * FROM v WHERE a > 0;\n"
UPD_CASCADE = """
CREATE TABLE r (id int PRIMARY KEY);
INSERT INTO r VALUES (1), (2);
CREATE TABLE c (id int PRIMARY KEY, r_id int REFERENCES r ON UPDATE CASCADE ON DELETE SET NULL);
INSERT INTO c VALUES (1, 1), (2, 2);
"""


def _f(id: str, sql: str, setup: str = T, **kw: object) -> Form:
    return Form(id, sql, setup, _DML, **kw)  # type: ignore[arg-type]


FORMS = [
    _f("select", "SELECT * FROM t"),
    _f("select-join", "SELECT * FROM c JOIN r ON r.id = c.r_id", FK),
    _f("select-view", "SELECT * FROM v", V),
    _f("select-nested-view", "SELECT * FROM vv", NESTED),
    _f("insert-view", "INSERT INTO v (id, a) VALUES (10, 10)", V),
    _f("select-materialized-view", "SELECT * FROM mv", V),
    _f("select-partitioned", "SELECT * FROM p", P),
    _f("select-for-update", "SELECT * FROM t WHERE id = 1 FOR UPDATE"),
    _f("select-for-no-key-update", "SELECT * FROM t WHERE id = 1 FOR NO KEY UPDATE"),
    _f("select-for-share", "SELECT * FROM t FOR SHARE"),
    _f("select-for-key-share", "SELECT * FROM t FOR KEY SHARE"),
    _f("select-for-update-of", "SELECT * FROM c JOIN r ON r.id = c.r_id FOR UPDATE OF c", FK),
    _f("insert", "INSERT INTO t (id, a) VALUES (10, 10)"),
    _f("insert-select", "INSERT INTO t (id, a) SELECT id + 100, a FROM t"),
    _f("insert-on-conflict", "INSERT INTO t (id, a) VALUES (1, 1) ON CONFLICT (id) DO NOTHING"),
    _f("insert-foreign-key", "INSERT INTO c (id, r_id) VALUES (10, 1)", FK),
    _f("insert-serial", "INSERT INTO ts_ser (a) VALUES (1)", SERIAL),
    _f("insert-serial-explicit", "INSERT INTO ts_ser (id, a) VALUES (100, 1)", SERIAL),
    _f("insert-identity", "INSERT INTO ti (a) VALUES (1)", IDENT),
    _f("insert-default-values", "INSERT INTO ti DEFAULT VALUES", IDENT),
    _f("insert-partitioned", "INSERT INTO p VALUES (5, 5, 'x'), (6, 16, 'y')", P),
    # Rows go into the parent itself; a child is not locked (UPDATE and DELETE do lock it).
    _f("insert-inheritance-parent", "INSERT INTO par VALUES (1, 1)", INH),
    _f(
        "update-inheritance-parent",
        "UPDATE par SET a = 2",
        INH + "INSERT INTO kid VALUES (1, 1);\n",
    ),
    # One row: only the partition it is routed to is locked.
    _f("insert-partitioned-one-row", "INSERT INTO pa VALUES (2, 1)", PACCT),
    # The foreign-key check on a partitioned referencing table reads every partition.
    _f(
        "delete-referenced-by-partitioned",
        "DELETE FROM acct WHERE id = 1",
        PACCT + "DELETE FROM pa;\n",
    ),
    _f(
        "update-referenced-by-partitioned",
        "UPDATE acct SET id = 2 WHERE id = 1",
        PACCT + "DELETE FROM pa;\n",
    ),
    _f("update", "UPDATE t SET a = a + 1 WHERE id = 1"),
    _f("update-whole-table", "UPDATE t SET a = 0"),
    _f("update-from", "UPDATE c SET r2 = r.id FROM r WHERE r.id = c.r_id", FK),
    _f("update-foreign-key-column", "UPDATE c SET r_id = 3 WHERE id = 1", FK),
    _f("update-referenced-key", "UPDATE r SET id = 30 WHERE id = 3", FK),
    _f("update-partitioned", "UPDATE p SET v = 'z'", P),
    _f("delete", "DELETE FROM t WHERE id = 1"),
    _f("delete-referenced", "DELETE FROM r WHERE id = 3", FK),
    _f("delete-referenced-cascade", "DELETE FROM r WHERE id = 1", CASCADE),
    _f("delete-referenced-set-null", "DELETE FROM r WHERE id = 1", UPD_CASCADE),
    _f("update-referenced-cascade", "UPDATE r SET id = 10 WHERE id = 1", UPD_CASCADE),
    _f("update-referenced-other-column", "UPDATE r SET v = 'x' WHERE id = 1", FK),
    _f("delete-using", "DELETE FROM c USING r WHERE r.id = c.r_id AND r.v = 'none'", FK),
    _f("delete-partitioned", "DELETE FROM p", P),
    _f(
        "merge",
        "MERGE INTO c USING r ON c.id = r.id WHEN MATCHED THEN UPDATE SET r2 = r.id "
        "WHEN NOT MATCHED THEN INSERT (id, r_id) VALUES (r.id, r.id)",
        FK,
        min_pg=15,
    ),
    _f(
        "with-cte-update",
        "WITH x AS (SELECT id FROM t WHERE a > 1) UPDATE t SET a = 0 FROM x WHERE t.id = x.id",
    ),
    _f("copy-to", "COPY t TO STDOUT"),
    _f("copy-query-to", "COPY (SELECT id FROM t) TO STDOUT"),
    _f("explain", "EXPLAIN SELECT * FROM t"),
]
