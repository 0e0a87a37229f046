"""The catalog's indexes-by-table and new-table bookkeeping answer like a scan of the dicts."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.catalog.model import Index, Table

TABLES = [QualifiedName("public", n) for n in ("a", "b", "c")]
INDEXES = [QualifiedName("public", f"i{n}") for n in range(5)]

OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["set", "del", "pop", "edit", "move", "scratch", "copy", "table", "mark", "clear"]
        ),
        st.sampled_from(INDEXES),
        st.sampled_from(TABLES),
    ),
    max_size=40,
)


def scan(cat: Catalog, table: QualifiedName) -> list[QualifiedName]:
    return [i.name for i in cat.indexes.values() if i.table == table]


def agree(cat: Catalog) -> None:
    for t in TABLES:
        assert [i.name for i in cat.indexes_of(t)] == scan(cat, t)


def apply(cat: Catalog, op: str, index: QualifiedName, table: QualifiedName) -> None:
    if op == "set":
        cat.indexes[index] = Index(index, table)
    elif op == "del" and index in cat.indexes:
        del cat.indexes[index]
    elif op == "pop":
        cat.indexes.pop(index, None)
    elif op == "edit":
        idx = cat.edit_index(index)
        if idx is not None:
            idx.table = table  # as ALTER TABLE ... RENAME moves a table's indexes
    elif op == "move":
        idx = cat.indexes.get(index)
        if idx is not None:  # re-keyed onto another table under the same name
            cat.indexes[index] = Index(index, table, idx.columns)
    elif op == "table":
        cat.tables[table] = Table(table, new=True)
    elif op == "mark":
        cat.mark_all_existing()
        assert not any(t.new for t in cat.tables.values())
    elif op == "clear":
        cat.indexes.clear()


@settings(max_examples=300, deadline=None)
@given(ops=OPS, inner=OPS)
def test_indexes_of_matches_a_scan(
    ops: list[tuple[str, QualifiedName, QualifiedName]],
    inner: list[tuple[str, QualifiedName, QualifiedName]],
) -> None:
    cat = Catalog()
    for op, index, table in ops:
        if op == "scratch":
            before = {t: scan(cat, t) for t in TABLES}
            with cat.scratch() as down:  # a down migration edits a copy
                for op2, index2, table2 in inner:
                    if op2 not in ("scratch", "copy"):
                        apply(down, op2, index2, table2)
                        agree(down)
                agree(cat)
            assert {t: scan(cat, t) for t in TABLES} == before
        elif op == "copy":
            other = cat.copy()
            apply(other, "set", index, table)
            agree(other)
        else:
            apply(cat, op, index, table)
        agree(cat)
    cat.mark_all_existing()
    assert not any(t.new for t in cat.tables.values())


def test_tables_stored_as_new_are_marked_existing_once() -> None:
    cat = Catalog(tables={TABLES[0]: Table(TABLES[0], new=True)})  # built in bulk
    cat.mark_all_existing()
    assert not cat.tables[TABLES[0]].new
    cat.tables[TABLES[1]] = Table(TABLES[1], new=True)
    cat.tables.setdefault(TABLES[2], Table(TABLES[2], new=True))
    cat.mark_all_existing()
    assert not any(t.new for t in cat.tables.values())
    copy = cat.copy()
    copy.tables[TABLES[0]] = Table(TABLES[0], new=True)
    copy.mark_all_existing()
    assert not copy.tables[TABLES[0]].new


# Foreign keys: each op names a table and the table its new key points at (or drops keys).
FK_TABLES = [QualifiedName("public", n) for n in ("a", "b", "c", "d")]
FK_OPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["create", "add-fk"] * 4  # mostly tables and keys, so that orders get mixed
            + ["drop-fks", "del", "pop", "recreate", "update", "clear", "mark", "scratch"]
        ),
        st.sampled_from(FK_TABLES),
        st.sampled_from(FK_TABLES),
    ),
    max_size=40,
)


def fk_scan(cat: Catalog, target: QualifiedName) -> list[tuple[QualifiedName, str]]:
    return [
        (t.name, c.name)
        for t in cat.tables.values()
        for c in t.constraints.values()
        if c.kind == "foreign_key" and c.references == target
    ]


def fk_agree(cat: Catalog) -> None:
    for target in FK_TABLES:
        assert [(t.name, c.name) for t, c in cat.referencing(target)] == fk_scan(cat, target)


def fk_apply(cat: Catalog, op: str, table: QualifiedName, target: QualifiedName) -> None:
    from pgwarden.catalog.model import Constraint

    if op == "create":
        cat.tables[table] = Table(table, new=True)
    elif op == "add-fk":
        t = cat.edit_table(table)
        if t is not None:
            name = f"fk{len(t.constraints)}"
            t.constraints[name] = Constraint(name, "foreign_key", references=target)
    elif op == "drop-fks":
        t = cat.edit_table(table)
        if t is not None:
            t.constraints.clear()
    elif op == "del" and table in cat.tables:
        del cat.tables[table]
    elif op == "pop":
        cat.tables.pop(table, None)
    elif op == "recreate":  # replaced under the same key: it keeps its place
        old = cat.tables.get(table)
        if old is not None:
            t = Table(table)
            t.constraints = dict(old.constraints)
            cat.tables[table] = t
    elif op == "update":
        cat.tables.update({target: Table(target)})
    elif op == "clear":
        cat.tables.clear()
    elif op == "mark":
        cat.mark_all_existing()


_A, _B, _C, _D = FK_TABLES


@settings(max_examples=500, deadline=None)
@given(ops=FK_OPS, inner=FK_OPS)
# A key added to an older table after one on a newer table: the index must keep table order.
@example(
    ops=[("create", _A, _A), ("create", _B, _B), ("add-fk", _B, _D), ("add-fk", _A, _D)], inner=[]
)
def test_referencing_matches_a_scan(
    ops: list[tuple[str, QualifiedName, QualifiedName]],
    inner: list[tuple[str, QualifiedName, QualifiedName]],
) -> None:
    """The foreign-key index, kept current from changed tables, answers like a scan of
    every table, in the tables' order, in a catalog and in the copies down migrations use."""
    cat = Catalog()
    for op, table, target in ops:
        if op == "scratch":
            before = {t: fk_scan(cat, t) for t in FK_TABLES}
            with cat.scratch() as down:
                for op2, table2, target2 in inner:
                    if op2 != "scratch":
                        fk_apply(down, op2, table2, target2)
                        fk_agree(down)
            assert {t: fk_scan(cat, t) for t in FK_TABLES} == before
        else:
            fk_apply(cat, op, table, target)
        fk_agree(cat)


@pytest.mark.parametrize(
    "name",
    [QualifiedName("public", "t"), QualifiedName("my schema", 'Odd."Name"'), QualifiedName("", "")],
)
def test_a_qualified_name_reads_as_its_parts_joined(name: QualifiedName) -> None:
    """lint.lock_out writes ".".join(name) in place of str(name), skipping a Python call."""
    assert str(name) == ".".join(name)


def test_a_copy_after_deletions_closes_their_holes_in_place() -> None:
    """Catalog.copy compacts the tables and indexes dicts first (a dict with holes copies
    entry by entry, a compact one is cloned): the same object keeps its entries, their order,
    its version and what is derived from it, in a smaller table."""
    import sys

    cat = Catalog()
    names = [QualifiedName("public", f"t{n}") for n in range(1000)]
    for name in names:
        cat.tables[name] = Table(name)
        cat.indexes[QualifiedName("public", f"{name.name}_idx")] = Index(
            QualifiedName("public", f"{name.name}_idx"), name
        )
    for name in names[::3] + names[1::3]:
        del cat.tables[name]
        cat.indexes.pop(QualifiedName("public", f"{name.name}_idx"))
    tables, indexes = cat.tables, cat.indexes
    kept = list(tables.items()), list(indexes.items())
    versions = tables.version, indexes.version
    assert [i.name for i in cat.indexes_of(names[2])] == [QualifiedName("public", "t2_idx")]
    sizes = sys.getsizeof(tables), sys.getsizeof(indexes)
    copy = cat.copy()
    assert cat.tables is tables and cat.indexes is indexes
    assert (list(tables.items()), list(indexes.items())) == kept
    assert (tables.version, indexes.version) == versions
    assert sys.getsizeof(tables) < sizes[0] and sys.getsizeof(indexes) < sizes[1]
    assert [i.name for i in cat.indexes_of(names[2])] == [QualifiedName("public", "t2_idx")]
    assert list(copy.tables.items()) == kept[0] and list(copy.indexes.items()) == kept[1]
