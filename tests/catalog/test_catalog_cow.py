"""Catalog copies are independent (copy-on-write) and its reverse maps stay current."""

from __future__ import annotations

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.catalog.apply import apply_statement
from pgwarden.sql import ParsedFile, SqlSource, parse_source


def run(catalog: Catalog, sql: str) -> None:
    parsed = parse_source(SqlSource("c.sql", None, sql))
    assert isinstance(parsed, ParsedFile), str(parsed)
    for st in parsed.statements:
        apply_statement(st.node, catalog, False)


def q(name: str) -> QualifiedName:
    return QualifiedName("public", name)


SCHEMA = """
CREATE TABLE p (id bigint PRIMARY KEY, v int);
CREATE TABLE c (id bigint PRIMARY KEY, p_id bigint REFERENCES p (id));
CREATE INDEX c_p ON c (p_id);
"""


def test_changes_in_a_scratch_copy_do_not_leak() -> None:
    cat = Catalog()
    run(cat, SCHEMA)
    with cat.scratch() as down:
        run(
            down,
            "ALTER TABLE p ALTER COLUMN v TYPE text; ALTER TABLE p RENAME COLUMN id TO pid;"
            "ALTER INDEX c_p RENAME TO c_p2; ALTER TABLE c DROP CONSTRAINT c_p_id_fkey;"
            "DROP TABLE c; CREATE TABLE n (id int);",
        )
        assert q("c") not in down.tables and q("n") in down.tables
    assert cat.tables[q("p")].columns["v"].type_name == "int4"
    assert set(cat.tables[q("p")].columns) == {"id", "v"}
    assert q("c_p") in cat.indexes and q("n") not in cat.tables
    assert [t.name for t, _ in cat.referencing(q("p"))] == [q("c")]
    # The original edits its own objects again afterwards, and a copy still does not see it.
    other = cat.copy()
    run(cat, "ALTER TABLE p ADD COLUMN w int;")
    assert "w" in cat.tables[q("p")].columns and "w" not in other.tables[q("p")].columns


def test_a_catalog_edits_what_it_made_in_place() -> None:
    """Tables and indexes a catalog creates are its own: no clone on their first edit."""
    cat = Catalog()
    run(cat, SCHEMA)
    table, index = cat.tables[q("p")], cat.indexes[q("c_p")]
    run(cat, "ALTER TABLE p ADD COLUMN w int; ALTER INDEX c_p RENAME TO c_p2;")
    assert cat.tables[q("p")] is table and cat.indexes[q("c_p2")] is index
    cat.mark_all_existing()
    assert cat.tables[q("p")] is table


def test_reverse_maps_follow_changes() -> None:
    cat = Catalog()
    run(cat, SCHEMA)
    assert [i.name for i in cat.indexes_of(q("c"))] == [q("c_pkey"), q("c_p")]
    run(cat, "ALTER TABLE c RENAME TO c2;")
    assert cat.indexes_of(q("c")) == []
    assert {i.name for i in cat.indexes_of(q("c2"))} == {q("c_pkey"), q("c_p")}
    assert [t.name for t, _ in cat.referencing(q("p"))] == [q("c2")]
    run(cat, "CREATE TABLE d (p_id bigint); ALTER TABLE d ADD FOREIGN KEY (p_id) REFERENCES p;")
    assert sorted(t.name.name for t, _ in cat.referencing(q("p"))) == ["c2", "d"]
    run(cat, "DROP INDEX c_p; DROP TABLE d;")
    assert [i.name for i in cat.indexes_of(q("c2"))] == [q("c_pkey")]
    assert [t.name for t, _ in cat.referencing(q("p"))] == [q("c2")]
    # A catalog built from plain dicts (no change counting) still answers correctly.
    plain = Catalog(dict(cat.tables), dict(cat.indexes))
    assert [i.name for i in plain.indexes_of(q("c2"))] == [q("c_pkey")]


def test_shallow_copies_carry_every_field() -> None:
    """_shallow (behind clone and edit_index) copies every field, through the class's
    __init__ where its fields allow it, setting each slot where they do not."""
    from dataclasses import dataclass, field, fields

    from pgwarden.catalog.model import Column, Constraint, Index, QualifiedName, Table, _shallow

    name = QualifiedName("public", "t")
    samples = [
        Column("c", "int4", (4,), True, True, True, True, True, name, name),
        Constraint(
            "k", "foreign_key", False, ("a",), "a", name, "i", ("b",), "c", "n", ("a",), "x"
        ),
        Index(name, name, ("a",), True, False, True, "unique", ("a",), name, owner="owner"),
        Table(name, "partitioned", True, True, owner="owner", tablespace="ts"),
    ]

    @dataclass(slots=True)
    class Partly:  # a field __init__ does not take: copied slot by slot
        a: int
        b: list[int] = field(default_factory=list, init=False)

    p = Partly(1)
    p.b.append(2)
    for obj in [*samples, p]:
        copy = _shallow(obj)
        assert copy is not obj and type(copy) is type(obj)
        for f in fields(obj):
            assert getattr(copy, f.name) is getattr(obj, f.name), f.name
