"""The catalog's indexes-by-table and new-table bookkeeping answer like a scan of the dicts."""

from __future__ import annotations

from hypothesis import given, settings
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
