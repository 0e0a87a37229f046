"""What the live test cannot show: majors we have no server for (12, 13, 14, 16, 17), unknown
statements, locks held across a transaction, and the conflict matrix's own consistency."""

from __future__ import annotations

import pytest

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.catalog.apply import apply_statement
from pgwarden.locks.analyze import analyze
from pgwarden.locks.context import SUPPORTED_VERSIONS, Context
from pgwarden.locks.effects import Effect
from pgwarden.locks.forms import all_forms, catalog_for, predict
from pgwarden.locks.modes import CONFLICTS, Activity, LockMode, blocks, is_dangerous
from pgwarden.locks.session import simulate
from pgwarden.locks.typechange import rewrite_reason
from pgwarden.sql import ParsedFile, SqlSource, parse_source

M = LockMode
T = "CREATE TABLE t (id int PRIMARY KEY, a int, c varchar(10), ts timestamp);"
P = """
CREATE TABLE p (id int NOT NULL, k int NOT NULL) PARTITION BY RANGE (k);
CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);
"""


def q(name: str) -> QualifiedName:
    return QualifiedName("public", name)


def _statements(sql: str) -> ParsedFile:
    parsed = parse_source(SqlSource("<test>", None, sql))
    assert isinstance(parsed, ParsedFile), str(parsed)
    return parsed


def catalog(schema: str) -> Catalog:
    cat = Catalog()
    for st in _statements(schema).statements:
        apply_statement(st.node, cat, False)
    cat.mark_all_existing()
    return cat


def effect(sql: str, schema: str = T, version: int = 18, **settings: str) -> Effect:
    (st,) = _statements(sql).statements
    return analyze(st.node, Context(catalog(schema), version=version, settings=settings))


def modes(eff: Effect) -> dict[str, LockMode]:
    return {lk.relation.name: lk.mode for lk in eff.locks}


# --- versions without a server here ---------------------------------------------------------


@pytest.mark.parametrize("version", [12, 13, 14, 15, 16, 17, 18])
def test_attach_partition_takes_share_update_exclusive_on_parent_since_12(version: int) -> None:
    eff = effect(
        "ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)",
        P + "CREATE TABLE p2 (id int NOT NULL, k int NOT NULL);",
        version,
    )
    assert modes(eff) == {"p": M.ShareUpdateExclusiveLock, "p2": M.AccessExclusiveLock}
    assert q("p2") in eff.scans and not eff.unknown


@pytest.mark.parametrize("version", [12, 13])
def test_detach_concurrently_is_unknown_before_14(version: int) -> None:
    eff = effect("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", P, version)
    assert eff.unknown and "needs PostgreSQL 14" in eff.note


def test_detach_concurrently_from_14_runs_outside_transactions() -> None:
    eff = effect("ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY", P, 14)
    assert not eff.unknown and not eff.transactional
    assert modes(eff) == {"p": M.ShareUpdateExclusiveLock, "p1": M.AccessExclusiveLock}


def test_detach_concurrently_counts_its_second_transaction_on_foreign_keys() -> None:
    """The live form only sees the first lock it queues for; the second transaction's locks
    (observed on 15 and 18 by holding each table, and by test_live_finalize) come from here."""
    from pgwarden.locks.forms._setups import PACCT, PREFP

    eff = effect("ALTER TABLE pk DETACH PARTITION pk1 CONCURRENTLY", PREFP, 15)
    assert modes(eff) == {
        "pk": M.ShareUpdateExclusiveLock,
        "pk1": M.AccessExclusiveLock,
        "prefp": M.AccessExclusiveLock,
        "prefp1": M.AccessShareLock,
        "prefp2": M.AccessShareLock,
    }
    assert [c.relation for c in eff.find("foreign-key-copy-dropped")] == [q("prefp")]
    eff = effect("ALTER TABLE pa DETACH PARTITION pa1 CONCURRENTLY", PACCT, 15)
    assert modes(eff)["acct"] is M.ShareRowExclusiveLock


def test_finalize_is_unknown_before_14() -> None:
    eff = effect("ALTER TABLE p DETACH PARTITION p1 FINALIZE", P, 13)
    assert eff.unknown and "DETACH PARTITION FINALIZE needs PostgreSQL 14" in eff.note


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_reindex_concurrently_exists_in_every_supported_version(version: int) -> None:
    eff = effect("REINDEX INDEX CONCURRENTLY t_pkey", T, version)
    assert not eff.unknown and not eff.transactional
    # The table stays at SHARE UPDATE EXCLUSIVE; the old index is dropped at the end.
    assert modes(eff) == {"t": M.ShareUpdateExclusiveLock, "t_pkey": M.AccessExclusiveLock}


@pytest.mark.parametrize(
    ("sql", "since"),
    [
        ("ALTER TABLE t ALTER COLUMN c SET COMPRESSION pglz", 14),
        ("ALTER TABLE t ALTER COLUMN g DROP EXPRESSION", 13),
        ("ALTER TABLE t SET ACCESS METHOD heap", 15),
        ("ALTER TABLE t ALTER COLUMN g SET EXPRESSION AS (a * 3)", 17),
        ("ALTER TABLE t ADD COLUMN v int GENERATED ALWAYS AS (a * 2) VIRTUAL", 18),
        ("MERGE INTO t USING t s ON t.id = s.id WHEN MATCHED THEN DELETE", 15),
        (
            "CREATE OR REPLACE TRIGGER x AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()",
            14,
        ),
    ],
)
def test_syntax_newer_than_the_target_is_unknown(sql: str, since: int) -> None:
    assert effect(sql, version=since - 1).unknown
    assert not effect(sql, version=since).unknown


def test_enum_add_value_is_transactional_from_12() -> None:
    schema = "CREATE TYPE mood AS ENUM ('sad');"
    assert effect("ALTER TYPE mood ADD VALUE 'ok'", schema, 12).transactional
    assert not effect("ALTER TYPE mood ADD VALUE 'ok'", schema, 11).transactional


@pytest.mark.parametrize("version", [12, 15, 17])
def test_grant_locks_nothing_before_18(version: int) -> None:
    assert modes(effect("GRANT SELECT ON t TO PUBLIC", T, version)) == {}


def test_grant_takes_access_share_from_18() -> None:
    assert modes(effect("GRANT SELECT ON t TO PUBLIC", T, 18)) == {"t": M.AccessShareLock}


def test_set_not_null_uses_a_valid_check_from_12() -> None:
    schema = T + "ALTER TABLE t ADD CONSTRAINT a_nn CHECK (a IS NOT NULL);"
    assert q("t") not in effect("ALTER TABLE t ALTER COLUMN a SET NOT NULL", schema, 12).scans
    assert q("t") in effect("ALTER TABLE t ALTER COLUMN a SET NOT NULL", schema, 11).scans


def test_rename_index_takes_share_update_exclusive_from_12() -> None:
    assert modes(effect("ALTER INDEX t_pkey RENAME TO k", T, 12)) == {
        "t_pkey": M.ShareUpdateExclusiveLock
    }


def test_add_column_with_constant_default_rewrites_only_before_11() -> None:
    assert effect("ALTER TABLE t ADD COLUMN x int DEFAULT 0", T, 10).rewrites == [q("t")]
    assert effect("ALTER TABLE t ADD COLUMN x int DEFAULT 0", T, 11).rewrites == []


# --- timestamp/timestamptz and the session TimeZone ---------------------------------------------


@pytest.mark.parametrize(
    ("zone", "rewrites"),
    [("UTC", False), ("Etc/UTC", False), ("GMT", False), ("Europe/Paris", True), (None, True)],
)
def test_timestamp_to_timestamptz_depends_on_the_session_time_zone(
    zone: str | None, rewrites: bool
) -> None:
    settings = {"timezone": zone} if zone else {}
    eff = effect("ALTER TABLE t ALTER COLUMN ts TYPE timestamptz", T, 18, **settings)
    assert bool(eff.rewrites) is rewrites


def test_timestamp_to_timestamptz_always_rewrote_before_12() -> None:
    reason = rewrite_reason(
        "timestamp", (), "timestamptz", (), has_using=False, version=11, timezone="UTC"
    )
    assert reason is not None and "before PostgreSQL 12" in reason


def test_session_tracks_set_time_zone_for_later_statements() -> None:
    parsed = _statements(
        "SET TIME ZONE 'UTC';\n"
        "ALTER TABLE t ALTER COLUMN ts TYPE timestamptz;\n"
        "RESET timezone;\n"
        "ALTER TABLE t ALTER COLUMN ts TYPE timestamp;\n"
    )
    result = simulate(parsed.statements, catalog(T), 18)
    assert result.statements[1].effect.rewrites == []
    assert result.statements[3].effect.rewrites == [q("t")]


@pytest.mark.parametrize(
    ("old", "new", "rewrites"),
    [
        (("varchar", (10,)), ("varchar", (20,)), False),
        (("varchar", (20,)), ("varchar", (10,)), True),
        (("varchar", ()), ("varchar", (10,)), True),
        (("text", ()), ("varchar", (10,)), True),
        (("varchar", (10,)), ("text", ()), False),
        (("numeric", (10, 2)), ("numeric", (12, 2)), False),
        (("numeric", (10, 2)), ("numeric", (12, 4)), True),
        (("numeric", (10, 2)), ("numeric", ()), False),
        (("timestamp", (3,)), ("timestamp", (6,)), False),
        (("timestamp", ()), ("timestamp", (6,)), False),
        (("timestamp", ()), ("timestamp", (3,)), True),
        (("timestamp", (6,)), ("timestamp", (0,)), True),
        (("int4", ()), ("int8", ()), True),
        (("cidr", ()), ("inet", ()), False),
        (("bpchar", (5,)), ("text", ()), True),
    ],
)
def test_type_change_rewrite_pairs(
    old: tuple[str, tuple[int, ...]], new: tuple[str, tuple[int, ...]], rewrites: bool
) -> None:
    reason = rewrite_reason(*old, *new, has_using=False, version=18)
    assert (reason is not None) is rewrites, reason


# --- ATTACH PARTITION: constraints that prove the bound skip the scan --------------------------


@pytest.mark.parametrize(
    ("check", "proven"),
    [
        ("k IS NOT NULL AND k >= 10 AND k < 20", True),
        ("k >= 10 AND k < 20", True),  # k is NOT NULL already
        ("k BETWEEN 10 AND 19", True),
        ("10 <= k AND 20 > k", True),
        ("k >= 12 AND k <= 15", True),
        ("k >= 0", False),
        ("k >= 10 AND k <= 20", False),  # 20 belongs to the next partition
        ("k > 10 AND k < 30", False),
    ],
)
def test_attach_scan_skipped_when_check_implies_range_bound(check: str, proven: bool) -> None:
    schema = P + f"CREATE TABLE p2 (id int NOT NULL, k int NOT NULL, CHECK ({check}));"
    eff = effect("ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)", schema)
    assert (q("p2") not in eff.scans) is proven


def test_attach_list_partition_needs_values_within_the_list() -> None:
    parent = "CREATE TABLE lp (cc text) PARTITION BY LIST (cc);"
    within = parent + "CREATE TABLE eu (cc text CHECK (cc IN ('fr', 'de')));"
    wider = parent + "CREATE TABLE eu (cc text CHECK (cc IN ('fr', 'de', 'us')));"
    sql = "ALTER TABLE lp ATTACH PARTITION eu FOR VALUES IN ('fr', 'de', 'it')"
    assert q("eu") not in effect(sql, within).scans
    assert q("eu") in effect(sql, wider).scans


def test_attach_with_a_default_partition_locks_and_scans_it() -> None:
    schema = P + "CREATE TABLE pd PARTITION OF p DEFAULT; CREATE TABLE p2 (id int, k int);"
    eff = effect("ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20)", schema)
    assert modes(eff)["pd"] is M.AccessExclusiveLock and q("pd") in eff.scans


# --- unknown is never safe ------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "DO $$ BEGIN PERFORM 1; END $$",
        "CALL do_things()",
        "DROP OWNED BY someone",
        "REASSIGN OWNED BY a TO b",
        "IMPORT FOREIGN SCHEMA s FROM SERVER x INTO public",
    ],
)
def test_unmodelled_statements_are_unknown(sql: str) -> None:
    eff = effect(sql)
    assert eff.unknown and eff.note


def test_unexpected_parse_tree_is_unknown_not_safe() -> None:
    class Odd:  # a node type nobody registered a handler for
        pass

    eff = analyze(Odd(), Context(Catalog(), 18))
    assert eff.unknown and eff.locks == []


# --- locks accumulate until the transaction ends -------------------------------------------


def test_locks_accumulate_across_statements_in_a_transaction() -> None:
    parsed = _statements(
        "BEGIN;\n"
        "ALTER TABLE t ADD COLUMN x int;\n"
        "CREATE INDEX r_a ON r (a);\n"
        "SELECT * FROM t;\n"
        "COMMIT;\n"
        "SELECT * FROM r;\n"
    )
    result = simulate(parsed.statements, catalog(T + "CREATE TABLE r (a int);"), 18)
    held = [{k.name: v.mode for k, v in a.held_before.items()} for a in result.statements]
    assert held[1] == {}
    assert held[2] == {"t": M.AccessExclusiveLock}
    assert held[3] == {"t": M.AccessExclusiveLock, "r": M.ShareLock}
    assert held[5] == {}  # after COMMIT nothing is held
    assert result.statements[3].in_transaction and not result.statements[5].in_transaction


def test_held_mode_is_the_strongest_taken_so_far() -> None:
    parsed = _statements(
        "BEGIN;\nLOCK TABLE t IN SHARE MODE;\nLOCK TABLE t IN ROW SHARE MODE;\nSELECT 1;\n"
    )
    result = simulate(parsed.statements, catalog(T), 18)
    assert result.statements[3].held_before[q("t")].mode is M.ShareLock
    assert result.unterminated_begin is not None


# --- the conflict matrix and what each mode blocks -----------------------------------------


def test_conflict_matrix_is_symmetric() -> None:
    for a in LockMode:
        for b in LockMode:
            assert a.conflicts_with(b) == b.conflicts_with(a), (a, b)


def test_conflicts_grow_with_strength() -> None:
    # Docs, Table 13.2: a stronger mode conflicts with at least what a weaker one does, except
    # that ROW EXCLUSIVE and SHARE UPDATE EXCLUSIVE are incomparable with their neighbours.
    assert CONFLICTS[M.AccessShareLock] == {M.AccessExclusiveLock}
    assert CONFLICTS[M.AccessExclusiveLock] == set(LockMode)
    assert CONFLICTS[M.ExclusiveLock] == set(LockMode) - {M.AccessShareLock}
    assert not M.RowExclusiveLock.conflicts_with(M.RowExclusiveLock)
    assert M.ShareUpdateExclusiveLock.conflicts_with(M.ShareUpdateExclusiveLock)
    assert not M.ShareLock.conflicts_with(M.ShareLock)


@pytest.mark.parametrize(
    ("mode", "reads", "writes", "row_locks", "vacuum"),
    [
        (M.AccessShareLock, False, False, False, False),
        (M.RowShareLock, False, False, False, False),
        (M.RowExclusiveLock, False, False, False, False),
        (M.ShareUpdateExclusiveLock, False, False, False, True),
        (M.ShareLock, False, True, False, True),
        (M.ShareRowExclusiveLock, False, True, False, True),
        (M.ExclusiveLock, False, True, True, True),
        (M.AccessExclusiveLock, True, True, True, True),
    ],
)
def test_blocks_is_derived_from_the_matrix(
    mode: LockMode, reads: bool, writes: bool, row_locks: bool, vacuum: bool
) -> None:
    b = blocks(mode)
    assert (b.reads, b.writes, b.row_locks, b.vacuum) == (reads, writes, row_locks, vacuum)
    assert b.writes == (Activity.WRITE.value in CONFLICTS[mode])
    assert is_dangerous(mode) is writes


def test_sql_names_round_trip() -> None:
    for m in LockMode:
        assert LockMode.from_sql(m.sql_name.lower()) is m


# --- the statement forms themselves ---------------------------------------------------------


def test_forms_are_many_unique_and_modelled() -> None:
    forms = all_forms()
    assert len(forms) >= 170
    assert len({f.id for f in forms}) == len(forms)
    for f in forms:
        cat = catalog_for(f)
        for version in SUPPORTED_VERSIONS:
            if f.runs_on(version):
                assert not predict(f, version, cat).unknown, (f.id, version)


@pytest.mark.parametrize(
    ("sql", "schema"),
    [
        ("DROP FUNCTION f() CASCADE", "CREATE TABLE tf (id int);"),
        ("DROP EXTENSION postgis CASCADE", ""),
        (
            "DROP SEQUENCE s CASCADE",
            "CREATE SEQUENCE s; CREATE TABLE tq (id int DEFAULT nextval('s'));",
        ),
    ],
)
def test_cascade_to_unknown_dependents_is_unknown(sql: str, schema: str) -> None:
    """CASCADE drops defaults, triggers and columns the catalog cannot tie to the object (a
    function in a default, a sequence another table's default calls): unknown, never safe."""
    eff = effect(sql, schema or T)
    assert eff.unknown and "does not know which" in eff.note
    assert not effect(sql.replace(" CASCADE", ""), schema or T).unknown


def test_sequence_functions_are_found_only_when_the_text_names_them() -> None:
    (st,) = _statements("SELECT setval('s', 10)").statements
    cat = catalog("CREATE SEQUENCE s;")
    seen = analyze(st.node, Context(cat, 18, text=st.text))
    assert modes(seen) == {"s": M.RowExclusiveLock}
    # The text is a pre-check only: a text that does not name a sequence function skips the walk.
    blind = analyze(st.node, Context(cat, 18, text="SELECT 1"))
    assert modes(blind) == {}


def test_drop_function_cascade_locks_the_tables_of_its_triggers() -> None:
    """The triggers calling a dropped function go with it (ACCESS EXCLUSIVE on their tables,
    as PostgreSQL 15 and 18 showed); other dependents stay unknown."""
    schema = (
        "CREATE FUNCTION trg_fn() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$;"
        "CREATE TABLE tt (id int);"
        "CREATE TRIGGER tr BEFORE INSERT ON tt FOR EACH ROW EXECUTE FUNCTION trg_fn();"
        "CREATE TABLE other (id int);"
    )
    eff = effect("DROP FUNCTION trg_fn() CASCADE", schema)
    assert modes(eff) == {"tt": M.AccessExclusiveLock}
    assert eff.unknown and "beyond the triggers" in eff.note
    assert modes(effect("DROP FUNCTION trg_fn() CASCADE", schema + "DROP TRIGGER tr ON tt;")) == {}


UPD = T + "CREATE FUNCTION upd() RETURNS void LANGUAGE sql AS $$ UPDATE t SET a = 1 $$;"


def test_select_calling_a_function_the_migrations_define_is_unknown() -> None:
    """`SELECT backfill()` runs whatever the function does: not a plain read."""
    called = effect("SELECT upd()", UPD)
    assert called.unknown and "public.upd()" in called.note
    assert effect("SELECT * FROM t, upd()", UPD).unknown
    assert not effect("SELECT now(), lower('x'), count(*) FROM t", UPD).unknown
    assert not effect("SELECT upd()", T).unknown  # not defined: a plain function call
    dropped = UPD + "DROP FUNCTION upd();"
    assert not effect("SELECT upd()", dropped).unknown
    other = UPD.replace("FUNCTION upd()", "FUNCTION app.upd()")
    assert not effect("SELECT upd()", "CREATE SCHEMA app;" + other).unknown
    assert effect("SELECT app.upd()", "CREATE SCHEMA app;" + other).unknown


def test_set_search_path_resolves_unqualified_names() -> None:
    """After SET search_path, a name is the first schema's relation of that name, a new
    relation goes to the first schema that exists, and RESET goes back to public."""
    sql = """
    CREATE SCHEMA app;
    CREATE TABLE app.orders (id int);
    CREATE TABLE orders (id int);
    SET search_path TO app, public;
    ALTER TABLE orders ADD COLUMN note text;
    CREATE TABLE events (id int);
    CREATE INDEX events_id ON events (id);
    WITH orders AS (SELECT 1 AS id) SELECT * FROM orders;
    DROP TABLE orders;
    RESET search_path;
    ALTER TABLE orders ADD COLUMN note text;
    """
    app = QualifiedName("app", "orders")
    cat = Catalog()
    effects = [a.effect for a in simulate(_statements(sql).statements, cat, 18).statements]
    assert {lk.relation for lk in effects[4].locks} == {app}
    assert QualifiedName("app", "events") in cat.tables
    assert cat.indexes[QualifiedName("app", "events_id")].table == QualifiedName("app", "events")
    assert not effects[7].locks  # the CTE, not a table
    assert app in {lk.relation for lk in effects[8].locks}
    assert app not in cat.tables and q("orders") in cat.tables
    assert {lk.relation for lk in effects[10].locks} == {q("orders")}
