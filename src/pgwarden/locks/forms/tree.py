"""Partitioned and inherited tables: plan-time pruning, foreign keys across a partition tree,
what reaches inheritance children (and what does not), maintenance, CASCADE."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import FK, FN, INH, P3, PACCT, PD, PREF, E, P, T, V

_TREE = "Partitioned and inherited tables"
_PRUNE = "Partition pruning"

# A partitioned table whose foreign key cascades deletes.
PACASC = """
CREATE TABLE acct (id int PRIMARY KEY);
INSERT INTO acct VALUES (1), (2);
CREATE TABLE pa (id int NOT NULL, acct_id int REFERENCES acct ON DELETE CASCADE)
  PARTITION BY RANGE (id);
CREATE TABLE pa1 PARTITION OF pa FOR VALUES FROM (0) TO (10);
CREATE TABLE pa2 PARTITION OF pa FOR VALUES FROM (10) TO (20);
INSERT INTO pa VALUES (1, 1), (15, 1);
"""
# The same foreign key, with the partitions split by the key's column (its check prunes).
PACCT_BY_KEY = """
CREATE TABLE acct (id int PRIMARY KEY);
INSERT INTO acct VALUES (1);
CREATE TABLE pa (id int NOT NULL, acct_id int CONSTRAINT pa_acct_fk REFERENCES acct)
  PARTITION BY RANGE (acct_id);
CREATE TABLE pa1 PARTITION OF pa FOR VALUES FROM (0) TO (2);
CREATE TABLE pa2 PARTITION OF pa FOR VALUES FROM (2) TO (20);
"""
NESTED = V + "CREATE VIEW vv AS SELECT * FROM v WHERE a > 0;\n"
INHD = INH + "INSERT INTO par VALUES (1, 1); INSERT INTO kid VALUES (2, 2);\n"
INH_NN = INH.replace(
    "CREATE TABLE par (id int, a int);", "CREATE TABLE par (id int NOT NULL, a int);"
)
# r and c of FK without c's rows, beside par and kid.
INH_FK = INHD + FK.replace("INSERT INTO c VALUES (1, 1, 1), (2, 2, 2);", "")
# LIST partitions with a default; date RANGE partitions from MINVALUE; two levels of RANGE.
PL = """
CREATE TABLE pl (id int NOT NULL, region text NOT NULL, n int NOT NULL) PARTITION BY LIST (n);
CREATE TABLE pl1 PARTITION OF pl FOR VALUES IN (1, 2);
CREATE TABLE pl2 PARTITION OF pl FOR VALUES IN (3);
CREATE TABLE pldef PARTITION OF pl DEFAULT;
INSERT INTO pl VALUES (1, 'a', 1), (2, 'b', 3), (3, 'c', 9);
"""
PDT = """
CREATE TABLE ev (id int NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE ev_2024 PARTITION OF ev FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE ev_2025 PARTITION OF ev FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE ev_old PARTITION OF ev FOR VALUES FROM (MINVALUE) TO ('2024-01-01');
INSERT INTO ev VALUES (1, '2023-05-01'), (2, '2024-05-01'), (3, '2025-05-01');
"""
PSUB = """
CREATE TABLE ps (id int NOT NULL, k int NOT NULL) PARTITION BY RANGE (k);
CREATE TABLE ps1 PARTITION OF ps FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (id);
CREATE TABLE ps1a PARTITION OF ps1 FOR VALUES FROM (0) TO (100);
CREATE TABLE ps1b PARTITION OF ps1 FOR VALUES FROM (100) TO (200);
CREATE TABLE ps2 PARTITION OF ps FOR VALUES FROM (10) TO (20);
INSERT INTO ps VALUES (1, 1), (150, 5), (2, 15);
"""

PS1 = """
CREATE TABLE ps (id int NOT NULL, k int NOT NULL) PARTITION BY RANGE (k);
CREATE TABLE ps1 PARTITION OF ps FOR VALUES FROM (0) TO (10) PARTITION BY RANGE (id);
CREATE TABLE ps1a PARTITION OF ps1 FOR VALUES FROM (0) TO (100);
INSERT INTO ps VALUES (1, 1);
"""

PIDX = P + "CREATE INDEX p_k_idx ON p (k);\n"
PUNIQ = P + "CREATE UNIQUE INDEX p_uk ON p (k, id);\n"


def _f(id: str, sql: str, setup: str = T, family: str = _TREE, **kw: object) -> Form:
    return Form(id, sql, setup, family, **kw)  # type: ignore[arg-type]


def _p(id: str, sql: str, setup: str = P, **kw: object) -> Form:
    return _f(f"prune-{id}", sql, setup, _PRUNE, **kw)


FORMS = [
    # Foreign keys across a partition tree.
    _f("delete-referenced-cascade-partitioned", "DELETE FROM acct WHERE id = 1", PACASC),
    _f("delete-referenced-by-partitioned-by-key", "DELETE FROM acct WHERE id = 1", PACCT_BY_KEY),
    _f("delete-partitioned-referenced", "DELETE FROM pk WHERE id = 1", PREF),
    _f("update-partitioned-referenced-key", "UPDATE pk SET id = 2 WHERE id = 1", PREF),
    _f("truncate-partitioned-referenced-cascade", "TRUNCATE pk CASCADE", PREF),
    _f("drop-partitioned-referenced-cascade", "DROP TABLE pk CASCADE", PREF),
    _f(
        "add-column-references-partitioned",
        "ALTER TABLE pa ADD COLUMN acct2 int REFERENCES acct",
        PACCT,
    ),
    # Partitioned tables: DDL, maintenance, reads and writes.
    _f(
        "create-trigger-partitioned",
        "CREATE TRIGGER tr BEFORE UPDATE ON p FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        P + FN,
    ),
    _f("create-unique-index-partitioned", "CREATE UNIQUE INDEX p_uk ON p (k, id)", P),
    _f("rename-partitioned", "ALTER TABLE p RENAME TO p_new", P),
    _f("set-schema-partitioned", "ALTER TABLE p SET SCHEMA s2", P + "CREATE SCHEMA s2;\n"),
    _f("vacuum-partitioned", "VACUUM p", P),
    _f("vacuum-full-partitioned", "VACUUM FULL p", P),
    _f("analyze-only-partitioned", "ANALYZE ONLY p", P, min_pg=18),
    _f("ctas-partitioned", "CREATE TABLE x AS SELECT * FROM p", P),
    _f("select-for-update-partitioned", "SELECT * FROM p FOR UPDATE", P),
    _f(
        "merge-partitioned",
        "MERGE INTO p USING (SELECT 1 AS id) s ON p.id = s.id WHEN MATCHED THEN UPDATE SET v = 'z'",
        P,
        min_pg=15,
    ),
    # Inheritance: what reaches the children. Indexes and keys do not (from 18 every ADD
    # CONSTRAINT still locks them); VACUUM and ANALYZE process them from 18 (not with ONLY).
    _f("select-inheritance", "SELECT * FROM par", INHD),
    _f("select-only-inheritance", "SELECT * FROM ONLY par", INHD),
    _f("type-inheritance", "ALTER TABLE par ALTER COLUMN a TYPE bigint", INHD),
    _f(
        "add-column-volatile-inheritance",
        "ALTER TABLE par ADD COLUMN b int DEFAULT (random() * 10)::int",
        INHD,
    ),
    _f("rename-column-inheritance", "ALTER TABLE par RENAME COLUMN a TO a2", INHD),
    _f("drop-column-inheritance", "ALTER TABLE par DROP COLUMN a", INHD),
    _f("set-not-null-inheritance", "ALTER TABLE par ALTER COLUMN a SET NOT NULL", INHD),
    _f("drop-not-null-inheritance", "ALTER TABLE par ALTER COLUMN id DROP NOT NULL", INH_NN),
    _f("add-check-inheritance", "ALTER TABLE par ADD CONSTRAINT par_a CHECK (a > 0)", INHD),
    _f("add-unique-inheritance", "ALTER TABLE par ADD CONSTRAINT par_u UNIQUE (id)", INHD),
    _f("add-primary-key-inheritance", "ALTER TABLE par ADD PRIMARY KEY (id)", INHD),
    _f(
        "add-foreign-key-inheritance",
        "ALTER TABLE par ADD CONSTRAINT par_fk FOREIGN KEY (id) REFERENCES r",
        INH_FK,
    ),
    _f("create-index-inheritance", "CREATE INDEX par_a ON par (a)", INHD),
    _f(
        "create-index-concurrently-inheritance",
        "CREATE INDEX CONCURRENTLY par_a ON par (a)",
        INHD,
    ),
    _f("truncate-inheritance", "TRUNCATE par", INHD),
    _f("drop-inheritance-cascade", "DROP TABLE par CASCADE", INHD),
    _f("vacuum-inheritance", "VACUUM par", INHD),
    _f("vacuum-full-inheritance", "VACUUM FULL par", INHD),
    _f("vacuum-only-inheritance", "VACUUM ONLY par", INHD, min_pg=18),
    _f("vacuum-analyze-inheritance", "VACUUM ANALYZE par", INHD),
    _f("analyze-inheritance", "ANALYZE par", INHD),
    # CASCADE drops the views that read what is dropped.
    _f("drop-view-cascade", "DROP VIEW v CASCADE", NESTED),
    _f("drop-table-with-views-cascade", "DROP TABLE t CASCADE", V),
    _f("drop-table-with-nested-views-cascade", "DROP TABLE t CASCADE", NESTED),
    _f(
        "drop-materialized-view-cascade",
        "DROP MATERIALIZED VIEW mv CASCADE",
        V + "CREATE VIEW vmv AS SELECT * FROM mv;\n",
    ),
    # Plan-time pruning: only the partitions a WHERE clause on the key can reach are locked.
    _p("delete-eq", "DELETE FROM p WHERE k = 5"),
    _p("update-eq", "UPDATE p SET v = 'q' WHERE k = 5"),
    _p("select-eq", "SELECT * FROM p WHERE k = 5"),
    _p("lt", "DELETE FROM p WHERE k < 10"),
    _p("le", "DELETE FROM p WHERE k <= 10"),
    _p("gt-not-discrete", "DELETE FROM p WHERE k > 9"),  # the planner keeps [0, 10) for k > 9
    _p("reversed", "DELETE FROM p WHERE 15 = k"),
    _p("in", "UPDATE p SET v = 'x' WHERE k IN (1, 2)"),
    _p("between", "DELETE FROM p WHERE k BETWEEN 12 AND 30"),
    _p("and-other-column", "DELETE FROM p WHERE k = 15 AND v = 'b'"),
    _p("or-not-pruned", "DELETE FROM p WHERE k = 15 OR k = 1"),
    _p("no-key", "DELETE FROM p WHERE v = 'x'"),
    _p("join-not-pruned", "SELECT * FROM p JOIN p AS q ON p.id = q.id WHERE p.k = 5"),
    _p("nothing-left", "DELETE FROM p WHERE k = 50"),
    _p("update-moves-row", "UPDATE p SET k = 16 WHERE k = 1"),
    _p("update-moves-row-unpruned", "UPDATE p SET k = 15 WHERE k = 1"),
    _p("list", "DELETE FROM pl WHERE n = 3", PL),
    _p("list-default", "DELETE FROM pl WHERE n = 9", PL),
    _p("list-in", "SELECT * FROM pl WHERE n IN (1, 2)", PL),
    _p("date", "DELETE FROM ev WHERE at >= '2025-02-01'", PDT),
    _p("date-cast", "DELETE FROM ev WHERE at < '2024-01-01'::date", PDT),
    _p("date-between", "SELECT * FROM ev WHERE at BETWEEN '2024-03-01' AND '2024-04-01'", PDT),
    _p("two-levels", "DELETE FROM ps WHERE k = 5", PSUB),
    _p("two-levels-both-keys", "DELETE FROM ps WHERE k = 5 AND id = 150", PSUB),
    _p("default-point", "DELETE FROM p WHERE k = 5", PD),
    _p("default-only", "DELETE FROM p WHERE k = 50", PD),
    _p("default-covered", "DELETE FROM p WHERE k BETWEEN 5 AND 15", PD),
    _p("default-open-end", "DELETE FROM p WHERE k > 5", PD),
    _p("default-gap", "DELETE FROM p WHERE k BETWEEN 5 AND 25", PD),
    _p("default-covered-edge", "DELETE FROM p WHERE k >= 0 AND k < 20", PD),
    _p("default-past-edge", "DELETE FROM p WHERE k >= 0 AND k <= 20", PD),
    # Writing straight into a partition, DDL on one, and reads through subqueries.
    _f("truncate-parent-and-partition", "TRUNCATE p, p1", P),
    _f(
        "insert-select-pruned",
        "INSERT INTO t (id, a) SELECT id + 1000, k FROM p WHERE k = 5",
        P + T,
    ),
    _f("cte-delete-pruned", "WITH d AS (DELETE FROM p WHERE k = 5 RETURNING *) SELECT * FROM d", P),
    _f("add-unique-partitioned", "ALTER TABLE p ADD CONSTRAINT p_uk UNIQUE (k, id)", P),
    _f(
        "alter-constraint-deferrable-partitioned",
        "ALTER TABLE pa ALTER CONSTRAINT pa_acct_fk DEFERRABLE",
        PACCT,
    ),
    _f(
        "update-from-partitioned",
        "UPDATE p SET v = 'q' FROM t WHERE p.id = t.id AND p.k = 5",
        P + T,
    ),
    _f(
        "select-subquery-partitioned",
        "SELECT * FROM t WHERE id IN (SELECT id FROM p WHERE k = 5)",
        P + T,
    ),
    _f(
        "select-union-partitioned", "SELECT id FROM p WHERE k = 5 UNION ALL SELECT id FROM t", P + T
    ),
    _f("drop-index-on-partition", "DROP INDEX p1_k_idx", P + "CREATE INDEX p1_k_idx ON p1 (k);\n"),
    # The copies an index of a partitioned table gets on each partition, named by the server.
    _f("reindex-partition-copy-of-index", "REINDEX INDEX p1_v_idx", P + "CREATE INDEX ON p (v);\n"),
    _f(
        "alter-partition-copy-of-index",
        "ALTER INDEX p2_v_idx SET (fillfactor = 70)",
        P + "CREATE INDEX ON p (v);\n",
    ),
    _f(
        "reindex-partition-copy-of-key",
        "REINDEX INDEX p1_pkey",
        P + "ALTER TABLE p ADD PRIMARY KEY (k, id);\n",
    ),
    _f(
        "drop-index-named-by-server",
        "DROP INDEX e_a_idx1",
        E + "CREATE INDEX ON e (a);\nCREATE INDEX ON e (a);\n",
    ),
    _f("create-index-on-partition", "CREATE INDEX p1_v ON p1 (v)", P),
    _f("set-default-on-partition", "ALTER TABLE p1 ALTER COLUMN v SET DEFAULT 'x'", P),
    _f("comment-on-column-partitioned", "COMMENT ON COLUMN p.v IS 'x'", P),
    _f("set-statistics-partition", "ALTER TABLE p1 ALTER COLUMN v SET STATISTICS 100", P),
    _f("lock-partition", "LOCK TABLE p1 IN SHARE MODE", P),
    _f("update-partition-directly", "UPDATE p1 SET v = 'z'", P),
    _f("delete-partition-directly", "DELETE FROM p1", P),
    _f("insert-partition-directly", "INSERT INTO p1 VALUES (9, 5, 'z')", P),
    _f("add-primary-key-partitioned", "ALTER TABLE p ADD PRIMARY KEY (k, id)", P),
    _f(
        "add-primary-key-partitioned-nullable",
        "ALTER TABLE p ADD PRIMARY KEY (id, k)",
        P.replace("id int NOT NULL", "id int"),
    ),
    _f(
        "update-subpartition-directly",
        "UPDATE ps1a SET id = 2 WHERE id = 1",
        PS1,
    ),
    # Indexes and triggers a partition tree shares; views and sequences moved or renamed.
    _f(
        "attach-with-parent-index",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        PIDX + P3,
    ),
    _f(
        "attach-with-parent-unique",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        PUNIQ + P3,
    ),
    _f(
        "attach-with-matching-index",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        PIDX + P3 + "CREATE INDEX p3_k ON p3 (k);\n",
    ),
    _f(
        "create-partition-with-parent-index",
        "CREATE TABLE p3x PARTITION OF p FOR VALUES FROM (20) TO (30)",
        PIDX,
    ),
    _f("create-index-concurrently-partition", "CREATE INDEX CONCURRENTLY p1_v ON p1 (v)", P),
    _f(
        "create-index-only-then-attach",
        "ALTER INDEX p_k_idx ATTACH PARTITION p1_k",
        P + "CREATE INDEX p_k_idx ON ONLY p (k);\nCREATE INDEX p1_k ON p1 (k);\n",
    ),
    _f("alter-view-owner", "ALTER VIEW v OWNER TO CURRENT_USER", V),
    _f(
        "alter-matview-set-schema",
        "ALTER MATERIALIZED VIEW mv SET SCHEMA s2",
        V + "CREATE SCHEMA s2;\n",
    ),
    _f(
        "alter-sequence-set-schema",
        "ALTER SEQUENCE s SET SCHEMA s2",
        T + "CREATE SEQUENCE s;\nCREATE SCHEMA s2;\n",
    ),
    _f("alter-view-set-schema", "ALTER VIEW v SET SCHEMA s2", V + "CREATE SCHEMA s2;\n"),
    _f(
        "create-trigger-on-partition",
        "CREATE TRIGGER tr BEFORE UPDATE ON p1 FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        P + FN,
    ),
    _f(
        "create-statement-trigger-partitioned",
        "CREATE TRIGGER tr AFTER INSERT ON p FOR EACH STATEMENT EXECUTE FUNCTION trg_fn()",
        P + FN,
    ),
    _f("create-table-like-partitioned", "CREATE TABLE lp (LIKE p INCLUDING ALL)", PIDX),
    _f("alter-table-rename-column-view-col", "ALTER TABLE v RENAME COLUMN a TO a2", V),
    _f("alter-index-rename-partitioned", "ALTER INDEX p_k_idx RENAME TO p_k_idx2", PIDX),
    _f("truncate-only-partitioned", "TRUNCATE ONLY p1", P),
    _f("alter-table-set-not-null-partition", "ALTER TABLE p1 ALTER COLUMN v SET NOT NULL", P),
    _f(
        "drop-default-partition",
        "DROP TABLE pdef",
        P + "CREATE TABLE pdef PARTITION OF p DEFAULT;\n",
    ),
]
