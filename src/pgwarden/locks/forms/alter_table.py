"""ALTER TABLE table-level subcommands: constraints, renames, storage, triggers, partitions."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import (
    FK,
    IDENT,
    INH,
    P3,
    PACCT,
    PD,
    PKSUB,
    PREF,
    PREFP,
    SEQ,
    TRG,
    P,
    T,
    V,
)

_CON = "ALTER TABLE: constraints"
_TBL = "ALTER TABLE: table properties"
_PART = "ALTER TABLE: partitions and inheritance"
_OTHER = "ALTER INDEX / VIEW / MATERIALIZED VIEW / SEQUENCE"

CHK_NV = T + "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID;\n"
FK_NV = FK + "ALTER TABLE c ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r NOT VALID;\n"
UIDX = T + "CREATE UNIQUE INDEX t_a_key ON t (a);\n"
NOPK = """
CREATE TABLE np (id int NOT NULL, a int);
INSERT INTO np VALUES (1, 1), (2, 2);
CREATE UNIQUE INDEX np_id_idx ON np (id);
CREATE UNIQUE INDEX np_a_idx ON np (a);
"""
UNLOGGED = "CREATE UNLOGGED TABLE ul (id int PRIMARY KEY, a int);\nINSERT INTO ul VALUES (1, 1);\n"
RULE = T + "CREATE RULE t_r AS ON INSERT TO t WHERE NEW.a < 0 DO INSTEAD NOTHING;\n"
TYPED = """
CREATE TYPE ct AS (id int, a int);
CREATE TABLE tt (id int, a int);
CREATE TABLE tof OF ct;
"""
P3_CHECK = P3 + "ALTER TABLE p3 ADD CONSTRAINT p3_k CHECK (k IS NOT NULL AND k >= 20 AND k < 30);\n"
P_TRG = (
    P
    + """
CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;
CREATE TRIGGER p_trg AFTER UPDATE ON p FOR EACH ROW EXECUTE FUNCTION trg_fn();
"""
)
LIST = """
CREATE TABLE lp (id int, cc text NOT NULL) PARTITION BY LIST (cc);
CREATE TABLE lp_us PARTITION OF lp FOR VALUES IN ('us');
CREATE TABLE lp_eu (id int, cc text NOT NULL, CONSTRAINT lp_eu_cc CHECK (cc IN ('fr', 'de')));
INSERT INTO lp_eu VALUES (1, 'fr');
"""
SUB = """
CREATE TABLE p3 (id int NOT NULL, k int NOT NULL, v text) PARTITION BY RANGE (k);
CREATE TABLE p3a PARTITION OF p3 FOR VALUES FROM (20) TO (25);
CREATE TABLE p3b PARTITION OF p3 FOR VALUES FROM (25) TO (30);
INSERT INTO p3 VALUES (5, 21, 'e'), (6, 26, 'f');
"""
GIN = """
CREATE TABLE g (id int PRIMARY KEY, tags text[], pt point);
CREATE INDEX g_tags ON g USING gin (tags);
CREATE INDEX g_pt ON g USING gist (pt);
"""
PIDX = P + "CREATE INDEX p_k_idx ON ONLY p (k);\nCREATE INDEX p1_k_idx ON p1 (k);\n"


def _f(id: str, sql: str, setup: str = T, family: str = _TBL, **kw: object) -> Form:
    return Form(id, sql, setup, family, **kw)  # type: ignore[arg-type]


FORMS = [
    _f("add-check", "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0)", family=_CON),
    _f(
        "add-check-not-valid",
        "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0) NOT VALID",
        T,
        _CON,
    ),
    _f("validate-check", "ALTER TABLE t VALIDATE CONSTRAINT t_a_pos", CHK_NV, _CON),
    _f(
        "add-foreign-key",
        "ALTER TABLE c ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r",
        FK,
        _CON,
    ),
    _f(
        "add-foreign-key-not-valid",
        "ALTER TABLE c ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r NOT VALID",
        FK,
        _CON,
    ),
    _f("validate-foreign-key", "ALTER TABLE c VALIDATE CONSTRAINT c_r2_fk", FK_NV, _CON),
    _f("add-unique", "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a)", family=_CON),
    _f(
        "add-unique-using-index",
        "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE USING INDEX t_a_key",
        UIDX,
        _CON,
    ),
    _f("add-primary-key", "ALTER TABLE np ADD PRIMARY KEY (id)", NOPK, _CON),
    _f("add-primary-key-nullable", "ALTER TABLE np ADD PRIMARY KEY (a)", NOPK, _CON),
    _f(
        "add-primary-key-using-index",
        "ALTER TABLE np ADD CONSTRAINT np_pkey PRIMARY KEY USING INDEX np_id_idx",
        NOPK,
        _CON,
    ),
    _f(
        "add-primary-key-using-index-nullable",
        "ALTER TABLE np ADD CONSTRAINT np_pkey PRIMARY KEY USING INDEX np_a_idx",
        NOPK,
        _CON,
    ),
    _f(
        "add-exclude",
        "ALTER TABLE t ADD CONSTRAINT t_a_excl EXCLUDE USING btree (a WITH =)",
        T,
        _CON,
    ),
    _f(
        "add-not-null-constraint",
        "ALTER TABLE t ADD CONSTRAINT t_a_nn NOT NULL a",
        T,
        _CON,
        min_pg=18,
    ),
    _f("add-check-partitioned", "ALTER TABLE p ADD CONSTRAINT p_k CHECK (k >= 0)", P, _CON),
    _f(
        "add-foreign-key-partitioned",
        "ALTER TABLE p ADD CONSTRAINT p_r_fk FOREIGN KEY (id) REFERENCES r",
        P + FK,
        _CON,
    ),
    _f(
        "add-foreign-key-partitioned-not-valid",
        "ALTER TABLE pa ADD CONSTRAINT pa_acct_fk2 FOREIGN KEY (acct_id) REFERENCES acct NOT VALID",
        PACCT,
        _CON,
        min_pg=18,
    ),
    _f("drop-foreign-key-partitioned", "ALTER TABLE pa DROP CONSTRAINT pa_acct_fk", PACCT, _CON),
    _f("drop-check", "ALTER TABLE t DROP CONSTRAINT t_a_pos", CHK_NV, _CON),
    _f("drop-foreign-key", "ALTER TABLE c DROP CONSTRAINT c_r_fk", FK, _CON),
    _f(
        "drop-foreign-key-to-partitioned",
        "ALTER TABLE pref DROP CONSTRAINT pref_pk_fk",
        PREF,
        _CON,
    ),
    _f(
        "drop-foreign-key-partitioned-to-partitioned",
        "ALTER TABLE prefp DROP CONSTRAINT prefp_pk_fk",
        PREFP,
        _CON,
    ),
    _f(
        "drop-unique",
        "ALTER TABLE t DROP CONSTRAINT t_a_key",
        T + "ALTER TABLE t ADD CONSTRAINT t_a_key UNIQUE (a);\n",
        _CON,
    ),
    _f("drop-primary-key-referenced", "ALTER TABLE r DROP CONSTRAINT r_pkey CASCADE", FK, _CON),
    _f(
        "alter-constraint-deferrable",
        "ALTER TABLE c ALTER CONSTRAINT c_r_fk DEFERRABLE INITIALLY DEFERRED",
        FK,
        _CON,
    ),
    _f(
        "alter-constraint-not-enforced",
        "ALTER TABLE c ALTER CONSTRAINT c_r_fk NOT ENFORCED",
        FK,
        _CON,
        min_pg=18,
    ),
    _f(
        "alter-constraint-enforced",
        "ALTER TABLE c ALTER CONSTRAINT c_r2_fk ENFORCED",
        FK + "ALTER TABLE c ADD CONSTRAINT c_r2_fk FOREIGN KEY (r2) REFERENCES r NOT ENFORCED;\n",
        _CON,
        min_pg=18,
    ),
    _f(
        "rename-constraint", "ALTER TABLE t RENAME CONSTRAINT t_a_pos TO t_a_positive", CHK_NV, _CON
    ),
    # Renames, schema, owner, storage.
    _f("rename-table", "ALTER TABLE t RENAME TO t_old"),
    _f("rename-column", "ALTER TABLE t RENAME COLUMN a TO a2"),
    _f("rename-column-partitioned", "ALTER TABLE p RENAME COLUMN v TO v2", P),
    _f("set-schema", "ALTER TABLE t SET SCHEMA s2", T + "CREATE SCHEMA s2;\n"),
    _f("owner-to", "ALTER TABLE t OWNER TO CURRENT_USER"),
    _f("owner-to-identity", "ALTER TABLE ti OWNER TO CURRENT_USER", IDENT),
    _f("owner-to-partitioned", "ALTER TABLE p OWNER TO CURRENT_USER", P),
    _f("set-schema-identity", "ALTER TABLE ti SET SCHEMA s2", IDENT + "CREATE SCHEMA s2;\n"),
    _f("rename-table-identity", "ALTER TABLE ti RENAME TO ti2", IDENT),
    _f("set-tablespace-same", "ALTER TABLE t SET TABLESPACE pg_default"),
    _f("set-logged", "ALTER TABLE ul SET LOGGED", UNLOGGED),
    _f("set-unlogged", "ALTER TABLE t SET UNLOGGED"),
    _f("set-logged-already-logged", "ALTER TABLE t SET LOGGED"),
    _f("set-access-method-same", "ALTER TABLE t SET ACCESS METHOD heap", min_pg=15),
    _f("set-fillfactor", "ALTER TABLE t SET (fillfactor = 70)"),
    _f("reset-fillfactor", "ALTER TABLE t RESET (fillfactor)"),
    _f(
        "set-autovacuum-options",
        "ALTER TABLE t SET (autovacuum_enabled = false, autovacuum_vacuum_scale_factor = 0.01)",
    ),
    _f("set-toast-autovacuum", "ALTER TABLE t SET (toast.autovacuum_enabled = false)"),
    _f("set-parallel-workers", "ALTER TABLE t SET (parallel_workers = 2)"),
    _f("set-user-catalog-table", "ALTER TABLE t SET (user_catalog_table = true)"),
    _f(
        "set-fillfactor-and-user-catalog",
        "ALTER TABLE t SET (fillfactor = 70, user_catalog_table = true)",
    ),
    _f("cluster-on", "ALTER TABLE t CLUSTER ON t_pkey"),
    _f(
        "set-without-cluster",
        "ALTER TABLE t SET WITHOUT CLUSTER",
        T + "ALTER TABLE t CLUSTER ON t_pkey;\n",
    ),
    _f("enable-trigger", "ALTER TABLE t ENABLE TRIGGER trg", TRG),
    _f("disable-trigger", "ALTER TABLE t DISABLE TRIGGER trg", TRG),
    _f("enable-always-trigger", "ALTER TABLE t ENABLE ALWAYS TRIGGER trg", TRG),
    _f("enable-replica-trigger", "ALTER TABLE t ENABLE REPLICA TRIGGER trg", TRG),
    _f("disable-trigger-user", "ALTER TABLE t DISABLE TRIGGER USER", TRG),
    _f("disable-trigger-all", "ALTER TABLE c DISABLE TRIGGER ALL", FK),
    _f("enable-trigger-all", "ALTER TABLE c ENABLE TRIGGER ALL", FK),
    _f("enable-rule", "ALTER TABLE t ENABLE RULE t_r", RULE),
    _f("disable-rule", "ALTER TABLE t DISABLE RULE t_r", RULE),
    _f("enable-always-rule", "ALTER TABLE t ENABLE ALWAYS RULE t_r", RULE),
    _f("replica-identity-full", "ALTER TABLE t REPLICA IDENTITY FULL"),
    _f("replica-identity-default", "ALTER TABLE t REPLICA IDENTITY DEFAULT"),
    _f("replica-identity-nothing", "ALTER TABLE t REPLICA IDENTITY NOTHING"),
    _f("replica-identity-using-index", "ALTER TABLE t REPLICA IDENTITY USING INDEX t_pkey"),
    _f("enable-row-level-security", "ALTER TABLE t ENABLE ROW LEVEL SECURITY"),
    _f("enable-row-level-security-partitioned", "ALTER TABLE p ENABLE ROW LEVEL SECURITY", P),
    _f("disable-row-level-security", "ALTER TABLE t DISABLE ROW LEVEL SECURITY"),
    _f("force-row-level-security", "ALTER TABLE t FORCE ROW LEVEL SECURITY"),
    _f("no-force-row-level-security", "ALTER TABLE t NO FORCE ROW LEVEL SECURITY"),
    _f("of-type", "ALTER TABLE tt OF ct", TYPED),
    _f("not-of", "ALTER TABLE tof NOT OF", TYPED),
    # Partitions and inheritance.
    _f("inherit", "ALTER TABLE loner INHERIT par", INH, _PART),
    _f("no-inherit", "ALTER TABLE kid NO INHERIT par", INH, _PART),
    _f("add-column-inheritance-parent", "ALTER TABLE par ADD COLUMN x int", INH, _PART),
    _f(
        "attach-partition",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        P + P3,
        _PART,
    ),
    _f(
        "attach-partition-with-check",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        P + P3_CHECK,
        _PART,
    ),
    _f(
        "attach-partition-with-default",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        PD + P3,
        _PART,
    ),
    _f("detach-partition", "ALTER TABLE p DETACH PARTITION p2", P, _PART),
    _f("detach-partition-with-default", "ALTER TABLE p DETACH PARTITION p2", PD, _PART),
    _f(
        "detach-partition-concurrently",
        "ALTER TABLE p DETACH PARTITION p2 CONCURRENTLY",
        P,
        _PART,
        min_pg=14,
    ),
    # Foreign keys to or from a partitioned table follow the partition in and out.
    _f("detach-partition-referenced", "ALTER TABLE pk DETACH PARTITION pk1", PREF, _PART),
    _f(
        "detach-partition-referenced-by-partitioned",
        "ALTER TABLE pk DETACH PARTITION pk1",
        PREFP,
        _PART,
    ),
    _f(
        "detach-partitioned-partition-referenced",
        "ALTER TABLE pk DETACH PARTITION pk1",
        PKSUB,
        _PART,
    ),
    _f("detach-subpartition-referenced", "ALTER TABLE pk1 DETACH PARTITION pk1a", PKSUB, _PART),
    _f(
        "detach-partition-concurrently-referenced",
        "ALTER TABLE pk DETACH PARTITION pk1 CONCURRENTLY",
        PREF,
        _PART,
        min_pg=14,
    ),
    _f(
        "attach-partition-referenced",
        "ALTER TABLE pk ATTACH PARTITION pk3 FOR VALUES FROM (20) TO (30)",
        PREF,
        _PART,
    ),
    _f(
        "attach-partition-referenced-by-partitioned",
        "ALTER TABLE pk ATTACH PARTITION pk3 FOR VALUES FROM (20) TO (30)",
        PREFP,
        _PART,
    ),
    _f("detach-partition-with-foreign-key", "ALTER TABLE pa DETACH PARTITION pa1", PACCT, _PART),
    _f(
        "drop-primary-key-referenced-by-partitioned-cascade",
        "ALTER TABLE acct DROP CONSTRAINT acct_pkey CASCADE",
        PACCT,
        _PART,
    ),
    _f(
        "drop-primary-key-referenced-by-detached-partition-cascade",
        "ALTER TABLE acct DROP CONSTRAINT acct_pkey CASCADE",
        PACCT + "ALTER TABLE pa DETACH PARTITION pa1;\n",
        _PART,
    ),
    _f(
        "attach-partition-with-foreign-key",
        "ALTER TABLE pa ATTACH PARTITION pa3 FOR VALUES FROM (20) TO (30)",
        PACCT,
        _PART,
    ),
    _f(
        "detach-partition-of-referencing",
        "ALTER TABLE prefp DETACH PARTITION prefp1",
        PREFP,
        _PART,
    ),
    _f(
        "attach-partition-of-referencing",
        "ALTER TABLE prefp ATTACH PARTITION prefp3 FOR VALUES FROM (20) TO (30)",
        PREFP,
        _PART,
    ),
    _f("enable-trigger-partitioned", "ALTER TABLE p DISABLE TRIGGER USER", P, _PART),
    _f("disable-row-trigger-partitioned", "ALTER TABLE p DISABLE TRIGGER p_trg", P_TRG, _PART),
    _f("disable-user-triggers-partitioned", "ALTER TABLE p DISABLE TRIGGER USER", P_TRG, _PART),
    _f(
        "attach-partition-with-weak-check",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        P + P3 + "ALTER TABLE p3 ADD CONSTRAINT p3_k CHECK (k >= 0);\n",
        _PART,
    ),
    _f(
        "attach-list-partition-with-check",
        "ALTER TABLE lp ATTACH PARTITION lp_eu FOR VALUES IN ('fr', 'de')",
        LIST,
        _PART,
    ),
    _f(
        "attach-partition-partitioned",
        "ALTER TABLE p ATTACH PARTITION p3 FOR VALUES FROM (20) TO (30)",
        P + SUB,
        _PART,
    ),
    # Other relation kinds through ALTER INDEX/VIEW/MATERIALIZED VIEW/SEQUENCE.
    _f("alter-index-rename", "ALTER INDEX t_pkey RENAME TO t_pk", T, _OTHER),
    _f(
        "alter-index-deduplicate",
        "ALTER INDEX t_pkey SET (deduplicate_items = off)",
        T,
        _OTHER,
        min_pg=13,
    ),
    _f("alter-index-gin-fastupdate", "ALTER INDEX g_tags SET (fastupdate = off)", GIN, _OTHER),
    _f(
        "alter-index-gin-pending-list",
        "ALTER INDEX g_tags SET (gin_pending_list_limit = 128)",
        GIN,
        _OTHER,
    ),
    _f("alter-index-gist-buffering", "ALTER INDEX g_pt SET (buffering = on)", GIN, _OTHER),
    _f("alter-index-set-fillfactor", "ALTER INDEX t_pkey SET (fillfactor = 70)", T, _OTHER),
    _f("alter-index-reset-fillfactor", "ALTER INDEX t_pkey RESET (fillfactor)", T, _OTHER),
    _f("alter-index-set-tablespace", "ALTER INDEX t_pkey SET TABLESPACE pg_default", T, _OTHER),
    _f(
        "alter-index-set-statistics",
        "ALTER INDEX t_lower_b ALTER COLUMN 1 SET STATISTICS 500",
        T + "CREATE INDEX t_lower_b ON t (lower(b));\n",
        _OTHER,
    ),
    _f(
        "alter-index-attach-partition",
        "ALTER INDEX p_k_idx ATTACH PARTITION p1_k_idx",
        PIDX,
        _OTHER,
    ),
    _f("alter-view-rename", "ALTER VIEW v RENAME TO v2", V, _OTHER),
    _f("alter-view-set-option", "ALTER VIEW v SET (security_barrier = true)", V, _OTHER),
    _f("alter-view-column-default", "ALTER VIEW v ALTER COLUMN a SET DEFAULT 0", V, _OTHER),
    _f("alter-matview-rename", "ALTER MATERIALIZED VIEW mv RENAME TO mv2", V, _OTHER),
    _f(
        "alter-matview-set-fillfactor",
        "ALTER MATERIALIZED VIEW mv SET (fillfactor = 70)",
        V,
        _OTHER,
    ),
    _f("alter-sequence", "ALTER SEQUENCE s INCREMENT BY 2", SEQ, _OTHER),
    _f("alter-sequence-restart", "ALTER SEQUENCE s RESTART WITH 10", SEQ, _OTHER),
    _f("alter-sequence-rename", "ALTER SEQUENCE s RENAME TO s2", SEQ, _OTHER),
    _f("alter-table-rename-view", "ALTER TABLE v RENAME TO v2", V, _OTHER),
]
