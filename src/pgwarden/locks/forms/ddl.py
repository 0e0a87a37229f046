"""CREATE/DROP of tables, indexes, views, triggers, policies, rules; TRUNCATE; comments; grants."""

from pgwarden.locks.forms import Form
from pgwarden.locks.forms._setups import (
    DOMAIN,
    FK,
    IDX,
    INH,
    PACCT,
    PD,
    PREF,
    PREFP,
    SERIAL,
    TRG,
    P,
    T,
    V,
)

_IDX = "Indexes"
_CREATE = "CREATE / DROP / TRUNCATE"
_OBJ = "Triggers, policies, rules, comments, grants"
_TYPES = "Types, domains, sequences, statistics, publications"

PIDX = P + "CREATE INDEX p_k_idx ON p (k);\n"
POL = T + "CREATE POLICY t_pol ON t USING (a > 0);\n"
RULE = T + "CREATE RULE t_r AS ON INSERT TO t WHERE NEW.a < 0 DO INSTEAD NOTHING;\n"
CHK = T + "ALTER TABLE t ADD CONSTRAINT t_a_pos CHECK (a > 0);\n"
ENUM = T + "CREATE TYPE mood AS ENUM ('sad', 'ok');\nALTER TABLE t ADD COLUMN m mood;\n"
DOMAIN_NV = DOMAIN + "ALTER DOMAIN pos ADD CONSTRAINT pos_chk CHECK (VALUE > 0) NOT VALID;\n"
STATS = T + "CREATE STATISTICS t_ab (dependencies) ON a, n FROM t;\n"


def _f(id: str, sql: str, setup: str = T, family: str = _CREATE, **kw: object) -> Form:
    return Form(id, sql, setup, family, **kw)  # type: ignore[arg-type]


FORMS = [
    _f("create-index", "CREATE INDEX t_a_idx ON t (a)", family=_IDX),
    _f("create-unique-index", "CREATE UNIQUE INDEX t_a_key ON t (a)", family=_IDX),
    _f("create-partial-index", "CREATE INDEX t_a_part ON t (a) WHERE a > 1", family=_IDX),
    _f("create-expression-index", "CREATE INDEX t_lower_b ON t (lower(b))", family=_IDX),
    _f("create-index-partitioned", "CREATE INDEX p_k_idx ON p (k)", P, _IDX),
    _f("create-index-only-partitioned", "CREATE INDEX p_k_idx ON ONLY p (k)", P, _IDX),
    _f("create-index-concurrently", "CREATE INDEX CONCURRENTLY t_a_idx ON t (a)", family=_IDX),
    _f("drop-index", "DROP INDEX t_a_idx", IDX, _IDX),
    _f("drop-index-concurrently", "DROP INDEX CONCURRENTLY t_a_idx", IDX, _IDX),
    _f("drop-index-partitioned", "DROP INDEX p_k_idx", PIDX, _IDX),
    _f("reindex-index", "REINDEX INDEX t_a_idx", IDX, _IDX),
    _f("reindex-table", "REINDEX TABLE t", IDX, _IDX),
    _f("reindex-index-concurrently", "REINDEX INDEX CONCURRENTLY t_a_idx", IDX, _IDX),
    _f("reindex-table-concurrently", "REINDEX TABLE CONCURRENTLY t", IDX, _IDX),
    # CREATE TABLE and friends.
    _f("create-table", "CREATE TABLE n1 (id int PRIMARY KEY)"),
    _f(
        "create-table-foreign-key",
        "CREATE TABLE n1 (id int PRIMARY KEY, r_id int REFERENCES r)",
        FK,
    ),
    _f(
        "create-table-table-foreign-key",
        "CREATE TABLE n1 (id int, r_id int, FOREIGN KEY (r_id) REFERENCES r (id))",
        FK,
    ),
    _f(
        "create-table-partition-of",
        "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)",
        P,
    ),
    _f(
        "create-table-partition-of-with-default",
        "CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (20) TO (30)",
        PD,
    ),
    _f(
        "create-table-partition-of-referenced",
        "CREATE TABLE pk4 PARTITION OF pk FOR VALUES FROM (20) TO (30)",
        PREF,
    ),
    _f(
        "create-table-partition-of-with-foreign-key",
        "CREATE TABLE pa4 PARTITION OF pa FOR VALUES FROM (20) TO (30)",
        PACCT,
    ),
    _f(
        "create-table-partition-of-referencing",
        "CREATE TABLE prefp4 PARTITION OF prefp FOR VALUES FROM (20) TO (30)",
        PREFP,
    ),
    _f("create-table-inherits", "CREATE TABLE kid2 (b int) INHERITS (par)", INH),
    _f("create-table-like", "CREATE TABLE n1 (LIKE t INCLUDING ALL)"),
    _f("create-table-as", "CREATE TABLE n1 AS SELECT id, a FROM t"),
    _f("create-table-as-from-view", "CREATE TABLE n1 AS SELECT * FROM v", V),
    _f("select-into", "SELECT id, a INTO n1 FROM t"),
    _f("create-view", "CREATE VIEW v2 AS SELECT id, a FROM t"),
    _f("create-or-replace-view", "CREATE OR REPLACE VIEW v AS SELECT id, a, 1 AS one FROM t", V),
    _f("create-materialized-view", "CREATE MATERIALIZED VIEW mv2 AS SELECT id, a FROM t"),
    _f(
        "create-materialized-view-no-data",
        "CREATE MATERIALIZED VIEW mv2 AS SELECT id, a FROM t WITH NO DATA",
    ),
    _f("refresh-materialized-view", "REFRESH MATERIALIZED VIEW mv", V),
    _f("refresh-materialized-view-concurrently", "REFRESH MATERIALIZED VIEW CONCURRENTLY mv", V),
    _f("drop-table", "DROP TABLE t"),
    _f("drop-table-referencing", "DROP TABLE c", FK),
    _f("drop-table-referenced-cascade", "DROP TABLE r CASCADE", FK),
    _f("drop-table-referenced-by-partitioned-cascade", "DROP TABLE acct CASCADE", PACCT),
    _f("truncate-referenced-by-partitioned-cascade", "TRUNCATE acct CASCADE", PACCT),
    _f("rename-referenced-by-partitioned", "ALTER TABLE acct RENAME TO acct2", PACCT),
    # A detached partition keeps its copy of the partitioned table's foreign key.
    _f(
        "drop-table-referenced-by-detached-partition-cascade",
        "DROP TABLE acct CASCADE",
        PACCT + "ALTER TABLE pa DETACH PARTITION pa1;\n",
    ),
    _f("drop-table-partitioned", "DROP TABLE p", P),
    _f("drop-table-referencing-partitioned", "DROP TABLE pref", PREF),
    _f("drop-table-partitioned-referencing-partitioned", "DROP TABLE prefp", PREFP),
    _f("drop-table-partition", "DROP TABLE p2", P),
    _f("drop-table-serial", "DROP TABLE ts_ser", SERIAL),
    _f("drop-view", "DROP VIEW v", V),
    _f("drop-materialized-view", "DROP MATERIALIZED VIEW mv", V),
    _f("drop-sequence", "DROP SEQUENCE s", "CREATE SEQUENCE s;\n"),
    _f("truncate", "TRUNCATE t"),
    _f("truncate-referencing", "TRUNCATE c", FK),
    _f("truncate-referenced-cascade", "TRUNCATE r CASCADE", FK),
    _f("truncate-both", "TRUNCATE r, c", FK),
    _f("truncate-partitioned", "TRUNCATE p", P),
    _f("truncate-restart-identity", "TRUNCATE ts_ser RESTART IDENTITY", SERIAL),
    # Triggers, policies, rules, comments, grants.
    _f(
        "create-trigger",
        "CREATE TRIGGER trg2 AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        TRG,
        _OBJ,
    ),
    _f(
        "create-or-replace-trigger",
        "CREATE OR REPLACE TRIGGER trg BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg_fn()",
        TRG,
        _OBJ,
        min_pg=14,
    ),
    _f(
        "create-constraint-trigger",
        "CREATE CONSTRAINT TRIGGER trg3 AFTER INSERT ON t DEFERRABLE FOR EACH ROW "
        "EXECUTE FUNCTION trg_fn()",
        TRG,
        _OBJ,
    ),
    _f("drop-trigger", "DROP TRIGGER trg ON t", TRG, _OBJ),
    _f("alter-trigger-rename", "ALTER TRIGGER trg ON t RENAME TO trg_new", TRG, _OBJ),
    _f("create-policy", "CREATE POLICY t_pol ON t USING (a > 0)", T, _OBJ),
    _f("alter-policy", "ALTER POLICY t_pol ON t USING (a > 1)", POL, _OBJ),
    _f("alter-policy-rename", "ALTER POLICY t_pol ON t RENAME TO t_pol2", POL, _OBJ),
    _f("drop-policy", "DROP POLICY t_pol ON t", POL, _OBJ),
    _f(
        "create-rule",
        "CREATE RULE t_r AS ON INSERT TO t WHERE NEW.a < 0 DO INSTEAD NOTHING",
        T,
        _OBJ,
    ),
    _f("drop-rule", "DROP RULE t_r ON t", RULE, _OBJ),
    _f("comment-on-table", "COMMENT ON TABLE t IS 'orders'", T, _OBJ),
    _f("comment-on-column", "COMMENT ON COLUMN t.a IS 'amount'", T, _OBJ),
    _f("comment-on-index", "COMMENT ON INDEX t_pkey IS 'pk'", T, _OBJ),
    _f("comment-on-constraint", "COMMENT ON CONSTRAINT t_a_pos ON t IS 'positive'", CHK, _OBJ),
    _f("comment-on-trigger", "COMMENT ON TRIGGER trg ON t IS 'audit'", TRG, _OBJ),
    _f("comment-on-policy", "COMMENT ON POLICY t_pol ON t IS 'policy'", POL, _OBJ),
    _f("comment-on-rule", "COMMENT ON RULE t_r ON t IS 'rule'", RULE, _OBJ),
    _f("comment-on-view", "COMMENT ON VIEW v IS 'view'", V, _OBJ),
    _f("comment-on-materialized-view", "COMMENT ON MATERIALIZED VIEW mv IS 'mv'", V, _OBJ),
    _f("grant-select", "GRANT SELECT ON t TO PUBLIC", T, _OBJ),
    _f("grant-column", "GRANT UPDATE (a) ON t TO PUBLIC", T, _OBJ),
    _f("revoke-select", "REVOKE SELECT ON t FROM PUBLIC", T, _OBJ),
    _f("grant-all-in-schema", "GRANT SELECT ON ALL TABLES IN SCHEMA public TO PUBLIC", V, _OBJ),
    _f("grant-sequence", "GRANT USAGE ON SEQUENCE s TO PUBLIC", "CREATE SEQUENCE s;\n", _OBJ),
    # Types, domains, sequences, statistics, publications.
    _f("create-statistics", "CREATE STATISTICS t_ab (dependencies) ON a, n FROM t", T, _TYPES),
    _f("drop-statistics", "DROP STATISTICS t_ab", STATS, _TYPES),
    _f("alter-type-add-value", "ALTER TYPE mood ADD VALUE 'happy'", ENUM, _TYPES),
    _f("alter-type-rename-value", "ALTER TYPE mood RENAME VALUE 'ok' TO 'fine'", ENUM, _TYPES),
    _f("create-domain", "CREATE DOMAIN pos2 AS int CHECK (VALUE > 0)", T, _TYPES),
    _f(
        "alter-domain-add-constraint",
        "ALTER DOMAIN pos ADD CONSTRAINT pos_chk CHECK (VALUE > 0)",
        DOMAIN,
        _TYPES,
    ),
    _f(
        "alter-domain-add-constraint-not-valid",
        "ALTER DOMAIN pos ADD CONSTRAINT pos_chk CHECK (VALUE > 0) NOT VALID",
        DOMAIN,
        _TYPES,
    ),
    _f("alter-domain-validate", "ALTER DOMAIN pos VALIDATE CONSTRAINT pos_chk", DOMAIN_NV, _TYPES),
    _f("create-publication", "CREATE PUBLICATION pub FOR TABLE t", T, _TYPES),
    _f("create-publication-all", "CREATE PUBLICATION pub FOR ALL TABLES", T, _TYPES),
    _f(
        "alter-publication-add-table",
        "ALTER PUBLICATION pub ADD TABLE t",
        T + "CREATE PUBLICATION pub;\n",
        _TYPES,
    ),
    _f("create-sequence", "CREATE SEQUENCE s2", T, _TYPES),
]
