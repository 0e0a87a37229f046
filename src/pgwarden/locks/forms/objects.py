"""Domains, composite types, sequences, materialized views, publications and functions; triggers
on partitioned tables; a few more data and maintenance statements. Each form gets the family
(documentation section) of the statements it sits with."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import DOMAIN, FK, FN, IDENT, IDX, INH, PD, SEQ, SERIAL, P, T, V

_TYPES = "Types, domains, sequences, statistics, publications"
_OBJ = "Triggers, policies, rules, comments, grants"
_OTHER = "ALTER INDEX / VIEW / MATERIALIZED VIEW / SEQUENCE"
_CREATE = "CREATE / DROP / TRUNCATE"
_TBL = "ALTER TABLE: table properties"
_CON = "ALTER TABLE: constraints"
_DML = "Data statements (DML)"
_MAINT = "ANALYZE, VACUUM, CLUSTER"
_TREE = "Partitioned and inherited tables"
_LOCK = "LOCK TABLE"
_IDX = "Indexes"

COMP = """
CREATE TYPE addr AS (street text, zip int);
CREATE TABLE ct (id int PRIMARY KEY, a addr);
INSERT INTO ct VALUES (1, ROW('x', 1));
"""
TYPED = "CREATE TYPE addr AS (street text, zip int);\nCREATE TABLE typed OF addr;\n"
MV = T + "CREATE MATERIALIZED VIEW mv AS SELECT id, a FROM t;\n"
MVU = MV + "CREATE UNIQUE INDEX mv_id ON mv (id);\n"
PUB = T + "CREATE PUBLICATION pub FOR TABLE t;\n"
# A partitioned table with a row trigger (cloned onto each partition) or a statement trigger.
P_ROW = P + FN + "CREATE TRIGGER p_trg BEFORE INSERT ON p FOR EACH ROW EXECUTE FUNCTION trg_fn();\n"
PFK = P + "CREATE TABLE acct (id int PRIMARY KEY);\nINSERT INTO acct VALUES (1);\n"
INHI = INH + "INSERT INTO par VALUES (1, 1);\nINSERT INTO kid VALUES (2, 2);\n"
SEQD = "CREATE SEQUENCE s;\nCREATE TABLE sd (id int DEFAULT nextval('s'), a int);\n"
PIO = P + "CREATE INDEX p_k_only ON ONLY p (k);\nCREATE INDEX p1_k ON p1 (k);\n"
PI = P + "CREATE INDEX p_v_idx ON p (v);\n"
PUK = P + "ALTER TABLE p ADD PRIMARY KEY (k, id);\n"
P_CHK_NV = P + "ALTER TABLE p ADD CONSTRAINT p_chk CHECK (id > 0) NOT VALID;\n"
VV = V + "CREATE VIEW vv AS SELECT * FROM v;\n"
SELF = "CREATE TABLE sr (id int PRIMARY KEY, parent int REFERENCES sr);\n"
SELF_ROWS = SELF + "INSERT INTO sr VALUES (1, NULL), (2, 1);\n"
CASC3 = """
CREATE TABLE a1 (id int PRIMARY KEY);
CREATE TABLE a2 (id int PRIMARY KEY, a1_id int REFERENCES a1 ON DELETE CASCADE);
CREATE TABLE a3 (id int PRIMARY KEY, a2_id int REFERENCES a2 ON DELETE CASCADE);
INSERT INTO a1 VALUES (1); INSERT INTO a2 VALUES (1, 1); INSERT INTO a3 VALUES (1, 1);
"""
PH = """
CREATE TABLE ph (id int NOT NULL, v text) PARTITION BY HASH (id);
CREATE TABLE ph0 PARTITION OF ph FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE ph1 PARTITION OF ph FOR VALUES WITH (MODULUS 2, REMAINDER 1);
INSERT INTO ph VALUES (1, 'a'), (2, 'b');
"""
APP = "CREATE SCHEMA app;\nCREATE TABLE app.x (id int);\n"
GEN = """
CREATE TABLE g (id int PRIMARY KEY, a int, b int GENERATED ALWAYS AS (a * 2) STORED);
INSERT INTO g (id, a) VALUES (1, 1);
"""
EXCL = "CREATE TABLE ex (id int, during int4range, EXCLUDE USING gist (during WITH &&));\n"
ENUMT = """
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE TABLE em (id int, m mood);
INSERT INTO em VALUES (1, 'ok');
"""
VC = T + "CREATE VIEW vc AS SELECT * FROM t WHERE a > 0 WITH CHECK OPTION;\n"
# A foreign-data wrapper without a handler is enough to create foreign tables (not to read them).
FDW = "CREATE FOREIGN DATA WRAPPER dummy;\nCREATE SERVER srv FOREIGN DATA WRAPPER dummy;\n"
FT = FDW + "CREATE FOREIGN TABLE ft (a int, b text) SERVER srv;\n"
HSTORE = T + "CREATE EXTENSION hstore;\n"
P_STMT = (
    P + FN + "CREATE TRIGGER p_st AFTER INSERT ON p FOR EACH STATEMENT EXECUTE FUNCTION trg_fn();\n"
)


def _f(id: str, sql: str, setup: str, family: str, **kw: object) -> Form:
    return Form(id, sql, setup, family, **kw)  # type: ignore[arg-type]


FORMS = [
    # Domains: SET NOT NULL checks every column of the domain, as ADD CONSTRAINT does.
    _f("alter-domain-set-not-null", "ALTER DOMAIN pos SET NOT NULL", DOMAIN, _TYPES),
    _f("alter-domain-drop-not-null", "ALTER DOMAIN pos DROP NOT NULL", DOMAIN, _TYPES),
    _f("alter-domain-set-default", "ALTER DOMAIN pos SET DEFAULT 1", DOMAIN, _TYPES),
    _f("alter-domain-rename", "ALTER DOMAIN pos RENAME TO pos2", DOMAIN, _TYPES),
    # Composite types used by a column, and by a typed table.
    _f("alter-type-add-attribute", "ALTER TYPE addr ADD ATTRIBUTE city text", COMP, _TYPES),
    _f("alter-type-drop-attribute", "ALTER TYPE addr DROP ATTRIBUTE zip", COMP, _TYPES),
    _f(
        "alter-type-rename-attribute",
        "ALTER TYPE addr RENAME ATTRIBUTE zip TO postcode",
        COMP,
        _TYPES,
    ),
    _f("not-of-type", "ALTER TABLE typed NOT OF", TYPED, _TBL),
    # Sequences.
    _f("alter-sequence-as-bigint", "ALTER SEQUENCE s AS bigint", SEQ, _OTHER),
    _f(
        "alter-sequence-owned-by-none", "ALTER SEQUENCE ts_ser_id_seq OWNED BY NONE", SERIAL, _OTHER
    ),
    # Materialized views and views.
    _f(
        "create-matview-with-no-data",
        "CREATE MATERIALIZED VIEW mv2 AS SELECT id FROM t WITH NO DATA",
        T,
        _CREATE,
    ),
    _f("create-index-on-matview", "CREATE INDEX mv_a ON mv (a)", MV, _OTHER),
    _f(
        "create-index-concurrently-on-matview",
        "CREATE INDEX CONCURRENTLY mv_a ON mv (a)",
        MVU,
        _OTHER,
    ),
    _f(
        "alter-matview-rename-column",
        "ALTER MATERIALIZED VIEW mv RENAME COLUMN a TO b2",
        MV,
        _OTHER,
    ),
    _f(
        "create-view-security-invoker",
        "CREATE VIEW v2 WITH (security_invoker = true) AS SELECT id FROM t",
        T,
        _CREATE,
    ),
    _f("comment-on-view-column", "COMMENT ON COLUMN v.a IS 'x'", V, _OBJ),
    # Publications.
    _f("alter-publication-drop-table", "ALTER PUBLICATION pub DROP TABLE t", PUB, _TYPES),
    _f("alter-publication-set-table", "ALTER PUBLICATION pub SET TABLE t", PUB, _TYPES),
    _f("drop-publication", "DROP PUBLICATION pub", PUB, _TYPES),
    # Functions: no table is locked, even one whose trigger calls the function.
    _f("alter-function-rename", "ALTER FUNCTION trg_fn() RENAME TO trg_fn2", P_ROW, _OBJ),
    _f(
        "create-or-replace-trigger-function",
        "CREATE OR REPLACE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql"
        " AS $$BEGIN RETURN NULL; END$$",
        P_ROW,
        _OBJ,
    ),
    # Triggers of a partitioned table: a row trigger is cloned onto each partition, and
    # dropped with its clones; 15+ renames the clones too (and looks through the partitions
    # for a statement trigger's, locking each).
    _f(
        "create-row-trigger-partitioned",
        "CREATE TRIGGER p_trg2 AFTER INSERT ON p FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        P_ROW,
        _TREE,
    ),
    _f("drop-row-trigger-partitioned", "DROP TRIGGER p_trg ON p", P_ROW, _TREE),
    _f("rename-row-trigger-partitioned", "ALTER TRIGGER p_trg ON p RENAME TO p_trg3", P_ROW, _TREE),
    _f("drop-statement-trigger-partitioned", "DROP TRIGGER p_st ON p", P_STMT, _TREE),
    _f(
        "rename-statement-trigger-partitioned",
        "ALTER TRIGGER p_st ON p RENAME TO p_st2",
        P_STMT,
        _TREE,
    ),
    # Constraints and data.
    _f("rename-primary-key", "ALTER TABLE t RENAME CONSTRAINT t_pkey TO t_pk", T, _CON),
    _f("select-for-key-share-skip-locked", "SELECT * FROM t FOR KEY SHARE SKIP LOCKED", T, _DML),
    _f("create-temp-table-as", "CREATE TEMP TABLE tt AS SELECT * FROM t", T, _DML),
    _f(
        "insert-on-conflict-do-nothing",
        "INSERT INTO t (id, a) VALUES (1, 2) ON CONFLICT DO NOTHING",
        T,
        _DML,
    ),
    _f(
        "with-update-returning",
        "WITH u AS (UPDATE t SET a = 1 WHERE id = 1 RETURNING id) SELECT * FROM u",
        T,
        _DML,
    ),
    # PREPARE opens what its statement names (no row is written, no partition planned).
    _f("prepare-update", "PREPARE q1 AS UPDATE t SET a = 1 WHERE id = $1", T, _DML),
    _f("prepare-insert-partitioned", "PREPARE q2 AS INSERT INTO p VALUES (1, 5, 'x')", P, _DML),
    _f("prepare-select-view", "PREPARE q3 AS SELECT * FROM v", V, _DML),
    _f("prepare-select-for-update", "PREPARE q4 AS SELECT * FROM t FOR UPDATE", T, _DML),
    _f("prepare-select-partitioned", "PREPARE q5 AS SELECT * FROM p WHERE k = 5", P, _DML),
    _f("prepare-delete-referenced", "PREPARE q6 AS DELETE FROM r WHERE id = $1", FK, _DML),
    # Views, sequences, partitions and inheritance children from data statements.
    _f("select-builtin-functions", "SELECT now(), lower('X'), count(*) FROM t", T, _DML),
    _f("select-count-view", "SELECT count(*) FROM v", V, _DML),
    _f("insert-into-view", "INSERT INTO v (id, a) VALUES (50, 1)", V, _DML),
    _f("update-through-view", "UPDATE v SET a = 2 WHERE id = 1", V, _DML),
    _f("insert-default-nextval", "INSERT INTO sd (a) VALUES (1)", SEQD, _DML),
    _f("insert-select-partitioned", "INSERT INTO t (id, a) SELECT id + 100, k FROM p", P + T, _DML),
    _f("explain-analyze-update", "EXPLAIN ANALYZE UPDATE t SET a = 1 WHERE id = 1", T, _DML),
    _f(
        "merge-delete-partitioned",
        "MERGE INTO p USING (SELECT 1 AS id) s ON p.id = s.id WHEN MATCHED THEN DELETE",
        P,
        _TREE,
        min_pg=15,
    ),
    _f(
        "add-foreign-key-column-partitioned",
        "ALTER TABLE p ADD COLUMN acct_id int REFERENCES acct",
        PFK,
        _TREE,
    ),
    _f(
        "alter-type-partitioned-using",
        "ALTER TABLE p ALTER COLUMN v TYPE varchar(20) USING v::varchar(20)",
        P,
        _TREE,
    ),
    _f("create-view-on-partitioned", "CREATE VIEW pv AS SELECT * FROM p WHERE k = 5", P, _TREE),
    _f(
        "create-matview-on-partitioned", "CREATE MATERIALIZED VIEW pmv AS SELECT * FROM p", P, _TREE
    ),
    _f("delete-only-inheritance-parent", "DELETE FROM ONLY par", INHI, _TREE),
    _f("truncate-only-inheritance-parent", "TRUNCATE ONLY par", INHI, _TREE),
    _f("lock-view-recurses", "LOCK TABLE v IN SHARE MODE", V, _LOCK),
    _f("lock-inheritance-parent", "LOCK TABLE par IN EXCLUSIVE MODE", INHI, _LOCK),
    _f("lock-only-inheritance-parent", "LOCK TABLE ONLY par IN EXCLUSIVE MODE", INHI, _LOCK),
    # Indexes of partitioned tables: REINDEX (14+) and CLUSTER (15+) go partition by
    # partition, each in a transaction of its own, so not inside a transaction block.
    _f("create-index-include", "CREATE INDEX t_a_inc ON t (a) INCLUDE (b)", T, _IDX),
    _f("create-partial-index-partitioned", "CREATE INDEX p_v_part ON p (v) WHERE id > 0", P, _IDX),
    _f("create-expression-index-partitioned", "CREATE INDEX p_lower ON p (lower(v))", P, _IDX),
    _f("attach-index-partition", "ALTER INDEX p_k_only ATTACH PARTITION p1_k", PIO, _IDX),
    _f("reindex-table-partitioned", "REINDEX TABLE p", PI, _IDX, min_pg=14),
    _f("reindex-index-partitioned", "REINDEX INDEX p_v_idx", PI, _IDX, min_pg=14),
    _f("cluster-partitioned", "CLUSTER p USING p_pkey", PUK, _MAINT, min_pg=15),
    # Partitions and inheritance children.
    _f(
        "add-check-only-no-inherit",
        "ALTER TABLE ONLY par ADD CONSTRAINT par_chk CHECK (a > 0) NO INHERIT",
        INHI,
        _TREE,
    ),
    _f("drop-primary-key-partitioned", "ALTER TABLE p DROP CONSTRAINT p_pkey", PUK, _TREE),
    _f("rename-inheritance-parent", "ALTER TABLE par RENAME TO par2", INHI, _TREE),
    _f("comment-on-partition", "COMMENT ON TABLE p1 IS 'x'", P, _TREE),
    _f("drop-default-partitioned", "ALTER TABLE p ALTER COLUMN v DROP DEFAULT", P, _TREE),
    _f(
        "add-check-not-valid-partitioned",
        "ALTER TABLE p ADD CONSTRAINT p_chk CHECK (id > 0) NOT VALID",
        P,
        _TREE,
    ),
    _f("validate-check-partitioned", "ALTER TABLE p VALIDATE CONSTRAINT p_chk", P_CHK_NV, _TREE),
    _f("add-column-default-partitioned", "ALTER TABLE p ADD COLUMN w int DEFAULT 1", P, _TREE),
    _f(
        "add-column-volatile-default-partitioned",
        "ALTER TABLE p ADD COLUMN w float DEFAULT random()",
        P,
        _TREE,
    ),
    _f("detach-default-partition", "ALTER TABLE p DETACH PARTITION pdef", PD, _TREE),
    # A default partition's constraint changes when a partition beside it is dropped.
    _f("drop-partition-beside-default", "DROP TABLE p2", PD, _TREE),
    _f("update-moves-row-across-partitions", "UPDATE p SET k = 15 WHERE id = 1", P, _TREE),
    # Views over views, rules, self-referencing foreign keys.
    _f("select-view-over-view", "SELECT * FROM vv", VV, _DML),
    _f("drop-view-cascade-nested", "DROP VIEW v CASCADE", VV, _CREATE),
    _f(
        "create-rule-on-view",
        "CREATE RULE v_ins AS ON INSERT TO v"
        " DO INSTEAD INSERT INTO t (id, a) VALUES (NEW.id, NEW.a)",
        V,
        _OBJ,
    ),
    _f("alter-view-rename-column", "ALTER VIEW v RENAME COLUMN a TO a2", V, _OTHER),
    _f("add-self-referencing-key", "ALTER TABLE t ADD COLUMN parent_id int REFERENCES t", T, _CON),
    _f("insert-self-referencing", "INSERT INTO sr VALUES (3, 1)", SELF_ROWS, _DML),
    _f("delete-self-referencing", "DELETE FROM sr WHERE id = 2", SELF_ROWS, _DML),
    _f("drop-self-referencing-table", "DROP TABLE sr", SELF, _CREATE),
    _f("drop-referenced-and-referencing", "DROP TABLE c, r", FK, _CREATE),
    # Foreign keys two levels down: TRUNCATE ... CASCADE empties every table down the chain.
    _f("update-referencing-non-key", "UPDATE c SET r2 = 5", FK, _DML),
    _f("insert-select-referencing", "INSERT INTO c (id, r_id) SELECT id + 10, id FROM r", FK, _DML),
    _f("delete-cascade-two-levels", "DELETE FROM a1 WHERE id = 1", CASC3, _DML),
    _f("truncate-cascade-two-levels", "TRUNCATE a1 CASCADE", CASC3, _CREATE),
    _f("drop-table-cascade-two-levels", "DROP TABLE a1 CASCADE", CASC3, _CREATE),
    _f(
        "select-with-recursive",
        "WITH RECURSIVE x(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM x WHERE n < 3)"
        " SELECT * FROM x, t",
        T,
        _DML,
    ),
    # Index methods and options.
    _f("create-index-hash", "CREATE INDEX t_b_hash ON t USING hash (b)", T, _IDX),
    _f("create-index-brin", "CREATE INDEX t_a_brin ON t USING brin (a)", T, _IDX),
    _f(
        "create-index-nulls-not-distinct",
        "CREATE UNIQUE INDEX t_a_nnd ON t (a) NULLS NOT DISTINCT",
        T,
        _IDX,
        min_pg=15,
    ),
    _f(
        "add-unique-nulls-not-distinct",
        "ALTER TABLE t ADD UNIQUE NULLS NOT DISTINCT (a)",
        T,
        _CON,
        min_pg=15,
    ),
    # IF [NOT] EXISTS that finds (or misses) the object: the table is still locked.
    _f(
        "create-index-if-not-exists-existing",
        "CREATE INDEX IF NOT EXISTS t_a_idx ON t (a)",
        IDX,
        _IDX,
    ),
    _f("drop-index-if-exists-missing", "DROP INDEX IF EXISTS nope", T, _IDX),
    _f("create-table-if-not-exists-existing", "CREATE TABLE IF NOT EXISTS t (id int)", T, _CREATE),
    _f(
        "add-column-if-not-exists-existing", "ALTER TABLE t ADD COLUMN IF NOT EXISTS a int", T, _TBL
    ),
    _f("drop-column-if-exists-missing", "ALTER TABLE t DROP COLUMN IF EXISTS nope", T, _TBL),
    # Schemas.
    _f("create-schema-with-table", "CREATE SCHEMA app CREATE TABLE x (id int)", T, _CREATE),
    _f("alter-schema-rename", "ALTER SCHEMA app RENAME TO app2", APP, _CREATE),
    # SET search_path: unqualified names resolve in its schemas.
    _f(
        "alter-table-on-search-path",
        "ALTER TABLE x ADD COLUMN y int",
        APP,
        _TBL,
        settings=(("search_path", "app"),),
    ),
    _f(
        "drop-table-on-search-path",
        "DROP TABLE x",
        APP,
        _CREATE,
        settings=(("search_path", "app"),),
    ),
    _f(
        "update-on-search-path",
        "UPDATE x SET id = 2",
        APP + "CREATE TABLE x (id int);\n",
        _DML,
        settings=(("search_path", "app"),),
    ),
    # Hash partitions (pruning is not modelled for them: every partition is taken as read).
    _f("insert-hash-partitioned", "INSERT INTO ph VALUES (3, 'c')", PH, _TREE),
    _f("detach-hash-partition", "ALTER TABLE ph DETACH PARTITION ph1", PH, _TREE),
    _f("update-partitioned-returning", "UPDATE p SET v = 'z' WHERE k = 15 RETURNING *", P, _TREE),
    _f("delete-partitioned-in-list", "DELETE FROM p WHERE k IN (1, 15)", P, _TREE),
    # Materialized views.
    _f("alter-matview-owner", "ALTER MATERIALIZED VIEW mv OWNER TO CURRENT_USER", MV, _OTHER),
    _f(
        "alter-matview-set-tablespace",
        "ALTER MATERIALIZED VIEW mv SET TABLESPACE pg_default",
        MV,
        _OTHER,
    ),
    _f("alter-matview-fillfactor", "ALTER MATERIALIZED VIEW mv SET (fillfactor = 50)", MV, _OTHER),
    _f("drop-matview", "DROP MATERIALIZED VIEW mv", MV, _CREATE),
    # Generated columns, exclusion constraints, enums, identity and serial columns.
    _f("update-generated-source", "UPDATE g SET a = 5", GEN, _DML),
    _f(
        "drop-expression-stored",
        "ALTER TABLE g ALTER COLUMN b DROP EXPRESSION",
        GEN,
        _TBL,
        min_pg=13,
    ),
    _f("drop-generated-source-cascade", "ALTER TABLE g DROP COLUMN a CASCADE", GEN, _TBL),
    _f("insert-exclusion-constrained", "INSERT INTO ex VALUES (1, '[1,5)')", EXCL, _DML),
    _f("alter-enum-rename", "ALTER TYPE mood RENAME TO feeling", ENUMT, _TYPES),
    _f("alter-enum-add-value-before", "ALTER TYPE mood ADD VALUE 'meh' BEFORE 'ok'", ENUMT, _TYPES),
    _f("type-enum-column-to-text", "ALTER TABLE em ALTER COLUMN m TYPE text", ENUMT, _TBL),
    _f("drop-enum-used-cascade", "DROP TYPE mood CASCADE", ENUMT, _TYPES),
    _f(
        "alter-identity-increment",
        "ALTER TABLE ti ALTER COLUMN id SET INCREMENT BY 5",
        IDENT,
        _TBL,
    ),
    _f(
        "setval-serial-sequence-constant",
        "SELECT setval(pg_get_serial_sequence('ts_ser', 'id'), 100)",
        SERIAL,
        _DML,
    ),
    _f("drop-serial-default", "ALTER TABLE ts_ser ALTER COLUMN id DROP DEFAULT", SERIAL, _TBL),
    # Partitions, views, locks and settings.
    _f("create-default-partition", "CREATE TABLE pdef2 PARTITION OF p DEFAULT", P, _TREE),
    _f("set-unlogged-partition", "ALTER TABLE p1 SET UNLOGGED", P, _TREE),
    _f("update-view-with-check-option", "UPDATE vc SET a = 5 WHERE id = 1", VC, _DML),
    _f("select-for-update-view", "SELECT * FROM v FOR UPDATE", V, _DML),
    _f("alter-view-drop-default", "ALTER VIEW v ALTER COLUMN a DROP DEFAULT", V, _OTHER),
    _f("delete-referencing-returning", "DELETE FROM c WHERE id = 1 RETURNING *", FK, _DML),
    _f("lock-nowait", "LOCK TABLE t IN ACCESS EXCLUSIVE MODE NOWAIT", T, _LOCK),
    _f("comment-on-sequence", "COMMENT ON SEQUENCE ts_ser_id_seq IS 'x'", SERIAL, _OBJ),
    _f("comment-on-column-null", "COMMENT ON COLUMN t.a IS NULL", T, _OBJ),
    _f("reset-all", "RESET ALL", T, _DML),
    _f("set-local-lock-timeout", "SET LOCAL lock_timeout = '1s'", T, _DML),
    _f("analyze-every-table", "ANALYZE", T, _MAINT),
    _f("vacuum-every-table", "VACUUM", T, _MAINT),
    # Maintenance.
    _f("vacuum-analyze-verbose", "VACUUM (ANALYZE, VERBOSE) t", T, _MAINT),
    _f("analyze-column", "ANALYZE t (a)", T, _MAINT),
    # Foreign tables: a foreign partition or child locks its parent as CREATE TABLE does.
    _f("create-foreign-table", "CREATE FOREIGN TABLE ft2 (a int) SERVER srv", FDW, _CREATE),
    _f(
        "create-foreign-table-partition",
        "CREATE FOREIGN TABLE pf PARTITION OF p FOR VALUES FROM (20) TO (30) SERVER srv",
        P + FDW,
        _TREE,
    ),
    _f(
        "create-foreign-table-inherits",
        "CREATE FOREIGN TABLE fk () INHERITS (par) SERVER srv",
        INH + FDW,
        _TREE,
    ),
    _f("drop-foreign-table", "DROP FOREIGN TABLE ft", FT, _CREATE),
    _f("alter-foreign-table-add-column", "ALTER FOREIGN TABLE ft ADD COLUMN c int", FT, _TBL),
    _f("alter-foreign-table-drop-column", "ALTER FOREIGN TABLE ft DROP COLUMN b", FT, _TBL),
    _f(
        "alter-foreign-table-type",
        "ALTER FOREIGN TABLE ft ALTER COLUMN a TYPE bigint",
        FT,
        _TBL,
    ),
    _f("alter-foreign-table-options", "ALTER FOREIGN TABLE ft OPTIONS (ADD x 'y')", FT, _TBL),
    _f("alter-foreign-table-rename", "ALTER FOREIGN TABLE ft RENAME TO ft3", FT, _TBL),
    _f("comment-on-foreign-table", "COMMENT ON FOREIGN TABLE ft IS 'x'", FT, _OBJ),
    # Extensions: their scripts create new objects; membership changes open the relation.
    _f("create-extension", "CREATE EXTENSION hstore", T, _TYPES),
    _f("drop-extension", "DROP EXTENSION hstore", HSTORE, _TYPES),
    _f("alter-extension-add-table", "ALTER EXTENSION hstore ADD TABLE t", HSTORE, _TYPES),
    _f(
        "alter-extension-drop-table",
        "ALTER EXTENSION hstore DROP TABLE t",
        HSTORE + "ALTER EXTENSION hstore ADD TABLE t;\n",
        _TYPES,
    ),
]
