"""Naming and "not in use yet" checks shared by the drop, rename and move rules."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pgwarden.locks.effects import RelationLock
from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import lock_on
from pgwarden.rules.base import FileContext, Finding, Rule
from pgwarden.sql.nodes import enum_name, list_qname, qname

# Object classes the lock model does not track (no `new` flag on a lock): what earlier
# statements of the file create, by the class the drop / rename / move rules ask about.
FUNCTION = "function"
TYPE = "type"
EXTENSION = "extension"
RELATION = "relation"  # views and materialized views (recreated after a drop)

_DEFINE = {"OBJECT_AGGREGATE": FUNCTION, "OBJECT_TYPE": TYPE}


def _created(node: Any) -> tuple[str, str] | None:
    """(class, name) of the object a CREATE statement makes; None for anything else.

    CREATE OR REPLACE may replace an object that clients already use: it does not count."""
    kind = type(node).__name__
    if kind == "CreateFunctionStmt" and not node.replace:
        return FUNCTION, dotted(node.funcname)
    if kind == "DefineStmt" and enum_name(node.kind) in _DEFINE and not node.replace:
        return _DEFINE[enum_name(node.kind)], dotted(node.defnames)
    if kind in ("CreateEnumStmt", "CreateRangeStmt"):
        return TYPE, dotted(node.typeName)
    if kind == "CompositeTypeStmt":
        return TYPE, str(qname(node.typevar))
    if kind == "CreateDomainStmt":
        return TYPE, dotted(node.domainname)
    if kind == "CreateExtensionStmt":
        return EXTENSION, node.extname or "?"
    if kind == "ViewStmt":
        return RELATION, str(qname(node.view))
    if kind == "CreateTableAsStmt":
        return RELATION, str(qname(node.into.rel))
    return None


def created_before(a: Analysed, ctx: FileContext, cls: str) -> set[str]:
    """Names of `cls` objects that statements before `a` in this file create (not in use yet)."""
    out: set[str] = set()
    for st in ctx.parsed.statements:
        if st.index >= a.stmt.index:
            break
        made = _created(st.node)
        if made is not None and made[0] == cls:
            out.add(made[1])
    return out


def rest_of_transaction(a: Analysed, ctx: FileContext) -> Iterator[Analysed]:
    """The statements after `a` in the same transaction (none when `a` runs on its own)."""
    if not a.in_transaction:
        return
    after = False
    for b in ctx.session.statements:
        if b is a:
            after = True
        elif after:
            if b.tx_statement_index == 0 or not b.in_transaction:
                return
            yield b


def created_later_in_transaction(a: Analysed, ctx: FileContext, cls: str) -> set[str]:
    """Names of `cls` objects created after `a` in the same transaction: a drop followed by
    a CREATE of the same name there is a replacement no other session sees half done."""
    out: set[str] = set()
    for b in rest_of_transaction(a, ctx):
        made = _created(b.stmt.node)
        if made is not None and made[0] == cls:
            out.add(made[1])
    return out


def altered_existing(a: Analysed, *subtypes: str) -> Iterator[tuple[Any, RelationLock]]:
    """(subcommand, lock on the table) for each ALTER TABLE subcommand of `subtypes`, when the
    table existed before this file."""
    if a.stmt.kind != "AlterTableStmt":
        return
    cmds = [c for c in a.stmt.node.cmds or () if enum_name(c.subtype) in subtypes]
    lk = existing_lock(a) if cmds else None
    if lk is not None:
        for cmd in cmds:
            yield cmd, lk


def existing_lock(a: Analysed) -> RelationLock | None:
    """The lock on the statement's own relation when it existed before this file (in use)."""
    lk = lock_on(a.effect, qname(a.stmt.node.relation))
    return lk if lk is not None and not lk.new else None


def dotted(items: Any) -> str:
    """`public.order_total` from a list of String nodes (unqualified names: public)."""
    if isinstance(items, str):
        return items
    if hasattr(items, "sval"):
        return str(items.sval)
    if type(items).__name__ == "TypeName":
        items = items.names
    return str(list_qname(items or ()))


def object_name(obj: Any) -> str:
    """A readable name for one object of DROP / ALTER ... RENAME / SET SCHEMA.

    Functions keep their argument types (`public.total(int4)`): overloads are distinct."""
    if type(obj).__name__ == "ObjectWithArgs":
        name = dotted(obj.objname)
        if obj.args_unspecified:
            return name
        args = ", ".join(_type_label(t) for t in obj.objargs or ())
        return f"{name}({args})"
    return dotted(obj)


def _type_label(tn: Any) -> str:
    names = [s.sval for s in getattr(tn, "names", None) or () if hasattr(s, "sval")]
    return names[-1] if names else "?"


def base_name(obj: Any) -> str:
    """The object's name without its argument list (what CREATE statements are matched by)."""
    if type(obj).__name__ == "ObjectWithArgs":
        return dotted(obj.objname)
    return dotted(obj)


def drop_objects(node: Any) -> Iterator[tuple[str, Any]]:
    """(readable name, node) of each object a DropStmt names."""
    for obj in node.objects or ():
        yield object_name(obj), obj


def is_cascade(node: Any) -> bool:
    return enum_name(getattr(node, "behavior", "")) == "DROP_CASCADE"


def drop_type_findings(rule: Rule, a: Analysed, ctx: FileContext, what: str) -> Iterator[Finding]:
    """ban-drop-type and ban-drop-domain: a domain is a type, dropped the same way."""
    created = created_before(a, ctx, TYPE)
    cascade = is_cascade(a.stmt.node)
    for name, _obj in drop_objects(a.stmt.node):
        if name in created:
            continue
        effect = (
            "also drops every column of that type and its data (CASCADE)"
            if cascade
            else "fails while a column uses it"
        )
        yield rule.finding(
            a,
            f"dropping {what} {name} breaks running code that uses it and {effect}",
            f"move columns and code off the {what} first, then drop it in a later migration",
        )
