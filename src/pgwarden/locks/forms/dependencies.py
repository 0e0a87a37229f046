"""What a statement reaches through dependencies: CASCADE through types, domains, schemas and
sequences, sequence functions in queries, foreign keys pointing at a partition's parent."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import FK, PACCT, PREF, SERIAL, P, T, V

_DEP = "Dependent objects"

NESTED = V + "CREATE VIEW vv AS SELECT * FROM v WHERE a > 0;\n"


def _f(id: str, sql: str, setup: str = T, **kw: object) -> Form:
    return Form(id, sql, setup, _DEP, **kw)  # type: ignore[arg-type]


ENUM = """
CREATE TYPE mood AS ENUM ('a', 'b');
CREATE TABLE te (id int, m mood);
INSERT INTO te VALUES (1, 'a');
"""
DOM = """
CREATE DOMAIN posint AS int CHECK (VALUE > 0);
CREATE TABLE td (id int, n posint);
INSERT INTO td VALUES (1, 1);
"""
SEQ = """
CREATE SEQUENCE s;
CREATE TABLE tq (id int DEFAULT nextval('s'), a int);
INSERT INTO tq (a) VALUES (1);
"""
SCH = """
CREATE SCHEMA s2;
CREATE TABLE s2.a (id int PRIMARY KEY);
CREATE TABLE s2.b (id int REFERENCES s2.a);
CREATE TABLE c2 (id int REFERENCES s2.a);
"""
CHAIN = """
CREATE TABLE a (id int PRIMARY KEY);
CREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a ON DELETE CASCADE);
CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b ON DELETE CASCADE);
INSERT INTO a VALUES (1); INSERT INTO b VALUES (1, 1); INSERT INTO c VALUES (1, 1);
"""
TRG_FN = "CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;\n"
SELF = """
CREATE TABLE tree (id int PRIMARY KEY, parent int REFERENCES tree);
INSERT INTO tree VALUES (1, NULL), (2, 1);
"""
PASETNULL = PACCT.replace("REFERENCES acct)", "REFERENCES acct ON DELETE SET NULL)")
FORMS = [
    _f("drop-owned-sequence-cascade", "DROP SEQUENCE ts_ser_id_seq CASCADE", SERIAL),
    _f("insert-nextval", "INSERT INTO tq (id, a) VALUES (nextval('s'), 2)", SEQ),
    _f("drop-type-cascade", "DROP TYPE mood CASCADE", ENUM),
    _f("drop-domain-cascade", "DROP DOMAIN posint CASCADE", DOM),
    _f("drop-schema-cascade", "DROP SCHEMA s2 CASCADE", SCH),
    _f("delete-chain-cascade", "DELETE FROM a WHERE id = 1", CHAIN),
    _f("delete-self-referenced", "DELETE FROM tree WHERE id = 2", SELF),
    _f("delete-referenced-set-null-partitioned", "DELETE FROM acct WHERE id = 1", PASETNULL),
    _f(
        "insert-on-conflict-update",
        "INSERT INTO c (id, r_id) VALUES (1, 2) ON CONFLICT (id) DO UPDATE SET r_id = 2",
        FK,
    ),
    _f("create-view-partitioned", "CREATE VIEW vp AS SELECT * FROM p", P),
    _f("create-matview-partitioned", "CREATE MATERIALIZED VIEW mvp AS SELECT * FROM p", P),
    _f(
        "refresh-matview-partitioned",
        "REFRESH MATERIALIZED VIEW mvp",
        P + "CREATE MATERIALIZED VIEW mvp AS SELECT * FROM p;\n",
    ),
    _f("comment-partitioned", "COMMENT ON TABLE p IS 'x'", P),
    _f("grant-partitioned", "GRANT SELECT ON p TO PUBLIC", P),
    _f(
        "rename-constraint-partitioned",
        "ALTER TABLE pa RENAME CONSTRAINT pa_acct_fk TO pa_fk2",
        PACCT,
    ),
    _f("create-statistics-partitioned", "CREATE STATISTICS st ON id, k FROM p", P),
    _f(
        "add-generated-partitioned",
        "ALTER TABLE p ADD COLUMN g int GENERATED ALWAYS AS (k * 2) STORED",
        P,
    ),
    _f("alter-sequence-owned-by", "ALTER SEQUENCE s OWNED BY tq.id", SEQ),
    _f("select-nextval", "SELECT nextval('s')", SEQ),
    _f("select-setval", "SELECT setval('s', 10)", SEQ),
    _f("create-policy-partitioned", "CREATE POLICY pol ON p USING (k > 0)", P),
    _f(
        "instead-of-trigger-view",
        "CREATE TRIGGER vtr INSTEAD OF INSERT ON v FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        V + TRG_FN,
    ),
    _f("disable-trigger-all-fk", "ALTER TABLE c DISABLE TRIGGER ALL", FK),
    _f("enable-trigger-all-referenced", "ALTER TABLE r DISABLE TRIGGER ALL", FK),
    _f(
        "drop-constraint-fk-cascade-partition",
        "ALTER TABLE pk DROP CONSTRAINT pk_pkey CASCADE",
        PREF,
    ),
    _f("truncate-partition-referenced", "TRUNCATE pk1 CASCADE", PREF),
    _f("delete-partition-referenced", "DELETE FROM pk1 WHERE id = 1", PREF),
    _f("alter-domain-drop-constraint", "ALTER DOMAIN posint DROP CONSTRAINT posint_check", DOM),
    _f("type-enum-to-text", "ALTER TABLE te ALTER COLUMN m TYPE text", ENUM),
    _f("type-domain-to-base", "ALTER TABLE td ALTER COLUMN n TYPE int", DOM),
    _f("type-base-to-domain", "ALTER TABLE td ALTER COLUMN id TYPE posint", DOM),
    _f("drop-view-with-rule", "DROP VIEW v", V),
    _f(
        "create-or-replace-view-partitioned",
        "CREATE OR REPLACE VIEW vp AS SELECT * FROM p",
        P + "CREATE VIEW vp AS SELECT * FROM p;\n",
    ),
    # Views, policies and joins: what else a statement opens or drops.
    _f(
        "create-policy-with-subquery",
        "CREATE POLICY pol ON c USING (r_id IN (SELECT id FROM r))",
        FK,
    ),
    _f("rename-table-with-view", "ALTER TABLE t RENAME TO t2", V),
    _f("rename-column-with-view", "ALTER TABLE t RENAME COLUMN a TO a2", V),
    _f("drop-column-with-view-cascade", "ALTER TABLE t DROP COLUMN a CASCADE", V),
    _f("delete-using-filtered", "DELETE FROM c USING r WHERE c.r_id = r.id AND r.id = 1", FK),
    _f("refresh-materialized-view-of-view", "REFRESH MATERIALIZED VIEW mv", V),
    _f("create-view-join", "CREATE VIEW vj AS SELECT c.id, r.v FROM c JOIN r ON r.id = c.r_id", FK),
    _f(
        "create-matview-join",
        "CREATE MATERIALIZED VIEW mj AS SELECT c.id, r.v FROM c JOIN r ON r.id = c.r_id",
        FK,
    ),
    _f("ctas-join", "CREATE TABLE tj AS SELECT c.id FROM c JOIN r ON r.id = c.r_id", FK),
    _f("drop-column-unused-by-view-cascade", "ALTER TABLE t DROP COLUMN b CASCADE", V),
    _f(
        "drop-column-star-view-cascade",
        "ALTER TABLE t DROP COLUMN b CASCADE",
        T + "CREATE VIEW vs AS SELECT * FROM t;\n",
    ),
    # Sequences named in defaults and calls; statements of everyday migrations.
    _f("set-constraints-deferred", "SET CONSTRAINTS ALL DEFERRED", FK),
    _f("create-sequence-owned-by", "CREATE SEQUENCE s2 OWNED BY t.id", T),
    _f(
        "setval-serial-sequence",
        "SELECT setval(pg_get_serial_sequence('ts_ser', 'id'), max(id)) FROM ts_ser",
        SERIAL,
    ),
    _f(
        "set-default-nextval",
        "ALTER TABLE t ALTER COLUMN a SET DEFAULT nextval('s')",
        T + "CREATE SEQUENCE s;\n",
    ),
    _f(
        "add-column-default-nextval",
        "ALTER TABLE t ADD COLUMN z int DEFAULT nextval('s')",
        T + "CREATE SEQUENCE s;\n",
    ),
    _f("insert-default-nextval-unowned", "INSERT INTO tq (a) VALUES (2)", SEQ),
    _f(
        "type-collation-indexed",
        'ALTER TABLE t ALTER COLUMN b TYPE text COLLATE "C"',
        T + "CREATE INDEX t_b ON t (b);\n",
    ),
    _f("create-extension-if-not-exists", "CREATE EXTENSION IF NOT EXISTS pg_trgm", T),
    _f("alter-default-privileges", "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO PUBLIC", T),
    _f(
        "create-index-trgm",
        "CREATE INDEX t_b_trgm ON t USING gin (b gin_trgm_ops)",
        T + "CREATE EXTENSION pg_trgm;\n",
    ),
    _f("alter-table-if-exists-absent", "ALTER TABLE IF EXISTS nope ADD COLUMN x int", T),
    _f("drop-table-if-exists-absent", "DROP TABLE IF EXISTS nope", T),
    _f("update-with-subquery", "UPDATE c SET r2 = (SELECT max(id) FROM r) WHERE id = 1", FK),
    _f(
        "insert-select-join",
        "INSERT INTO r (id, v) SELECT c.id + 100, 'x' FROM c JOIN r ON r.id = c.r_id",
        FK,
    ),
    _f(
        "add-fk-deferrable",
        "ALTER TABLE c ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r"
        " DEFERRABLE INITIALLY DEFERRED",
        FK,
    ),
    _f("alter-column-type-fk-varchar", "ALTER TABLE c ALTER COLUMN r2 TYPE bigint", FK),
    _f(
        "create-table-fk-deferrable",
        "CREATE TABLE d (id int, r_id int REFERENCES r DEFERRABLE)",
        FK,
    ),
    _f(
        "add-column-fk-not-null-default",
        "ALTER TABLE c ADD COLUMN r3 int NOT NULL DEFAULT 1 REFERENCES r",
        FK,
    ),
    _f("select-count", "SELECT count(*) FROM t", T),
    # Writes through views, several subcommands at once, self-references, MERGE with keys.
    _f("update-view", "UPDATE v SET a = 1 WHERE id = 1", V),
    _f("delete-view", "DELETE FROM v WHERE id = 1", V),
    _f("update-nested-view", "UPDATE vv SET a = 2 WHERE id = 1", NESTED),
    _f(
        "merge-fk",
        "MERGE INTO c USING r ON c.r_id = r.id WHEN MATCHED THEN UPDATE SET r2 = 1",
        FK,
        min_pg=15,
    ),
    _f(
        "merge-insert-fk",
        "MERGE INTO c USING (SELECT 99 AS id) s ON c.id = s.id"
        " WHEN NOT MATCHED THEN INSERT (id, r_id) VALUES (s.id, 1)",
        FK,
        min_pg=15,
    ),
    _f(
        "alter-multi",
        "ALTER TABLE t ADD COLUMN x int, ALTER COLUMN a SET NOT NULL,"
        " ADD CONSTRAINT t_x_chk CHECK (x > 0)",
        T,
    ),
    _f(
        "alter-multi-type",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN c TYPE varchar(20)",
        T,
    ),
    _f(
        "alter-add-fk-and-index",
        "ALTER TABLE c ADD CONSTRAINT c_u UNIQUE (r2),"
        " ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r",
        FK,
        planner_reads=True,
    ),
    _f(
        "create-table-fk-to-self",
        "CREATE TABLE tree2 (id int PRIMARY KEY, parent int REFERENCES tree2)",
        T,
    ),
    _f(
        "insert-self-fk",
        "INSERT INTO tree (id, parent) VALUES (3, 1)",
        SELF,
    ),
    _f("update-returning", "UPDATE t SET a = a + 1 WHERE id = 1 RETURNING *", T),
    _f(
        "delete-returning-cascade-partitioned",
        "DELETE FROM acct WHERE id = 1 RETURNING *",
        PACCT.replace("INSERT INTO pa VALUES (1, 1), (15, 1);", ""),
    ),
    _f("select-for-share-join", "SELECT * FROM c JOIN r ON r.id = c.r_id FOR SHARE OF r", FK),
    _f("select-exists", "SELECT EXISTS (SELECT 1 FROM t WHERE a > 1)", T),
    _f("lateral-join", "SELECT * FROM r, LATERAL (SELECT * FROM c WHERE c.r_id = r.id) x", FK),
    _f("values-insert-multi", "INSERT INTO r (id, v) VALUES (10, 'a'), (11, 'b')", FK),
]
