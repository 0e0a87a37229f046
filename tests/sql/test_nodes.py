"""Tree walks over pglast nodes: every table a statement reads, CTE names, deep trees."""

from __future__ import annotations

from typing import Any

from pglast import ast, enums

from pgwarden.sql import ParsedFile, SqlSource, parse_source
from pgwarden.sql.nodes import cte_names, enum_name, find_nodes, iter_nodes, range_vars


def node(sql: str) -> Any:
    parsed = parse_source(SqlSource("n.sql", None, sql))
    assert isinstance(parsed, ParsedFile), str(parsed)
    return parsed.statements[0].node


def test_range_vars_and_ctes() -> None:
    n = node(
        "WITH c AS (SELECT * FROM s.a WHERE x IN (SELECT y FROM b)) "
        "UPDATE t SET v = (SELECT max(v) FROM c JOIN d ON true) FROM e WHERE t.id = e.id"
    )
    names = sorted(f"{rv.schemaname or ''}.{rv.relname}" for rv in range_vars(n))
    assert names == [".b", ".c", ".d", ".e", ".t", "s.a"]
    assert cte_names(n) == {"c"}


def test_walk_sees_values_behind_every_kind_of_attribute() -> None:
    # A_Const.val (a union), lists, typed pointers (TypeName*, RangeVar*) all hold nodes.
    n = node("ALTER TABLE t ADD COLUMN c varchar(10) DEFAULT 'x' CHECK (c <> 'y')")
    strings = sorted(s.sval for s in find_nodes(n, ast.String))
    assert {"x", "y", "varchar", "c"} <= set(strings)
    assert type(next(iter_nodes(n))).__name__ == "AlterTableStmt"
    assert len(list(iter_nodes(n, (ast.AlterTableCmd,)))) == 3  # stmt, RangeVar, pruned cmd


def test_deep_trees_are_walked_without_recursion() -> None:
    n = node("SELECT " + "1+" * 5000 + "1")
    assert len(find_nodes(n, ast.A_Const)) == 5001


def test_enum_name() -> None:
    assert enum_name(enums.ObjectType.OBJECT_TABLE) == "OBJECT_TABLE"
    assert enum_name("AT_AddColumn") == "AT_AddColumn"
