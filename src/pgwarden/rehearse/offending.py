"""The row behind a failed data migration, as PostgreSQL names it or as found on the copy.

PostgreSQL names the row for a NOT NULL or CHECK violation by INSERT/UPDATE ("Failing row
contains (...)") and the key for unique and foreign-key failures ("Key (...)"). When it does
not, the copy is asked, read-only:
- SET NOT NULL over NULLs: the rows where the column IS NULL;
- ADD CONSTRAINT ... CHECK: the rows where the check is false;
- a failed conversion (invalid input syntax, out of range, value too long, division by zero)
  in ALTER COLUMN ... TYPE [USING] or a single-table UPDATE: each row's new values are computed
  in turn, assigned to variables of the target types as the statement would, and the first row
  that fails is the answer.
Anything else gets no row rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from pgwarden.db import connect, redact
from pgwarden.rehearse.model import Offending
from pgwarden.sql.nodes import enum_name
from pgwarden.trace.model import ServerError

NAMED = ("Failing row contains", "Key (")
SEARCH_TIMEOUT = "60s"  # a search over a --full copy must not outlast the rehearsal
FOUND = "PGW01"  # the SQLSTATE our search raises to hand back the row it found
_NOT_NULL = re.compile(r'^column "(.+)" of relation "(.+)" contains null values$')
_CHECK = re.compile(r'^check constraint "(.+)" of relation "(.+)" is violated by some row$')
_DOLLAR = "$pgwarden$"


@dataclass(frozen=True, slots=True)
class _Search:
    query: sql.Composable
    how: str
    loop: bool = False  # a DO block: the row comes back as an error carrying it


def find_offending(copy_dsn: str, err: ServerError) -> Offending | None:
    if err.detail.startswith(NAMED):
        return Offending((err.detail,), "named by PostgreSQL")
    search = plan_search(err)
    if search is None:
        return None
    return _run(copy_dsn, search)


def plan_search(err: ServerError) -> _Search | None:
    node = _parse(err.statement)
    if node is None:
        return None
    kind = type(node).__name__
    m = _NOT_NULL.match(err.message)
    if err.sqlstate == "23502" and m and kind == "AlterTableStmt":
        return _rows_where(node.relation, sql.SQL("{} IS NULL").format(sql.Identifier(m[1])))
    m = _CHECK.match(err.message)
    if err.sqlstate == "23514" and m and kind == "AlterTableStmt":
        expr = _check_expr(node, m[1])
        return None if expr is None else _rows_where(node.relation, sql.SQL(f"NOT ({expr})"))
    if not err.sqlstate.startswith(("22", "23")):
        return None
    if kind == "AlterTableStmt":
        return _loop(node.relation, _altered_columns(node), None)
    if kind == "UpdateStmt" and not node.fromClause and not node.withClause:
        return _loop(node.relation, _update_targets(node), node.whereClause)
    return None


def _parse(text: str) -> Any:
    import pglast

    try:
        stmts = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return None
    return stmts[0].stmt if len(stmts) == 1 else None


def _deparse(node: Any) -> str:
    from pglast.stream import RawStream

    return str(RawStream()(node))


def _relation(rv: Any) -> tuple[sql.Composable, sql.Composable]:
    """(the relation as written, the name a whole-row reference to it goes by)."""
    name = (
        sql.Identifier(rv.schemaname, rv.relname) if rv.schemaname else sql.Identifier(rv.relname)
    )
    alias = rv.alias.aliasname if rv.alias is not None else None
    if alias:
        return sql.SQL("{} AS {}").format(name, sql.Identifier(alias)), sql.Identifier(alias)
    return name, sql.Identifier(rv.relname)


def _rows_where(rv: Any, cond: sql.Composable) -> _Search:
    rel, ref = _relation(rv)
    query = sql.SQL("SELECT row_to_json({ref})::text FROM {rel} WHERE {cond} LIMIT 3").format(
        ref=ref, rel=rel, cond=cond
    )
    return _Search(query, f"found by pgwarden on the copy: rows where {cond.as_string(None)}")


def _check_expr(node: Any, name: str) -> str | None:
    checks = [
        cmd.def_
        for cmd in node.cmds or ()
        if enum_name(cmd.subtype) == "AT_AddConstraint"
        and type(cmd.def_).__name__ == "Constraint"
        and enum_name(cmd.def_.contype) == "CONSTR_CHECK"
    ]
    named = [c for c in checks if c.conname == name]
    pick = named or (checks if len(checks) == 1 else [])
    return _deparse(pick[0].raw_expr) if pick and pick[0].raw_expr is not None else None


def _altered_columns(node: Any) -> list[tuple[str, str]]:
    """(new type, value expression) for each ALTER COLUMN ... TYPE of the statement."""
    out = []
    for cmd in node.cmds or ():
        if enum_name(cmd.subtype) != "AT_AlterColumnType":
            continue
        col = cmd.def_
        typ = _deparse(col.typeName)
        expr = _deparse(col.raw_default) if col.raw_default is not None else _ident(cmd.name)
        out.append((typ, expr))
    return out


def _update_targets(node: Any) -> list[tuple[str, str]]:
    """(`rel.col%TYPE`, expression) per SET target; empty when one is not a plain column."""
    rel = node.relation
    table = f"{_ident(rel.schemaname)}.{_ident(rel.relname)}" if rel.schemaname else None
    out = []
    for target in node.targetList or ():
        if type(target).__name__ != "ResTarget" or target.indirection:
            return []
        if type(target.val).__name__ in ("MultiAssignRef", "SetToDefault"):
            return []
        column_type = f"{table or _ident(rel.relname)}.{_ident(target.name)}%TYPE"
        out.append((column_type, _deparse(target.val)))
    return out


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _loop(rv: Any, values: list[tuple[str, str]], where: Any) -> _Search | None:
    """A DO block computing each row's new values in turn; the first failing row is raised."""
    if not values:
        return None
    rel, ref = _relation(rv)
    rel_sql, ref_sql = rel.as_string(None), ref.as_string(None)
    cond = f" WHERE {_deparse(where)}" if where is not None else ""
    names = [f"pgw_v{i}" for i in range(len(values))]
    declare = "".join(f"  {n} {typ};\n" for n, (typ, _) in zip(names, values, strict=True))
    exprs = ", ".join(e for _, e in values)
    body = (
        "DECLARE\n  pgw_row record;\n"
        f"{declare}"
        "BEGIN\n"
        f"  FOR pgw_row IN SELECT tableoid AS pgw_rel, ctid AS pgw_tid, "
        f"row_to_json({ref_sql})::text AS pgw_json FROM {rel_sql}{cond} LOOP\n"
        "    BEGIN\n"
        f"      SELECT {exprs} INTO {', '.join(names)} FROM {rel_sql}\n"
        "        WHERE tableoid = pgw_row.pgw_rel AND ctid = pgw_row.pgw_tid;\n"
        "    EXCEPTION WHEN others THEN\n"
        f"      RAISE EXCEPTION USING ERRCODE = '{FOUND}', MESSAGE = pgw_row.pgw_json, "
        "DETAIL = SQLERRM;\n"
        "    END;\n"
        "  END LOOP;\n"
        "END"
    )
    if _DOLLAR in body:
        return None
    query = sql.SQL(f"DO {_DOLLAR}\n{body}\n{_DOLLAR}")
    how = "found by pgwarden on the copy: the first row the statement fails on"
    return _Search(query, how, True)


def _run(copy_dsn: str, search: _Search) -> Offending | None:
    import psycopg

    with connect(copy_dsn, application_name="pgwarden rehearse", autocommit=False) as conn:
        conn.read_only = True
        try:
            conn.execute(f"SET LOCAL statement_timeout = '{SEARCH_TIMEOUT}'")
            if search.loop:
                conn.execute(search.query)
                return None  # every row went through: the failure needs more than one row
            rows = conn.execute(search.query).fetchall()
        except psycopg.Error as exc:
            if search.loop and exc.sqlstate == FOUND and exc.diag.message_primary:
                return Offending((redact(exc.diag.message_primary),), search.how)
            return None
        finally:
            conn.rollback()
    return Offending(tuple(redact(str(r[0])) for r in rows), search.how) if rows else None
