"""Simulate a migration's session: transactions, held locks and timeout settings per statement.

Locks are held until the transaction ends, so the model must know, when a statement starts,
which locks earlier statements of the same transaction still hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.catalog.apply import apply_statement
from pgwarden.catalog.search_path import DEFAULT as DEFAULT_PATH
from pgwarden.catalog.search_path import qualify
from pgwarden.locks.analyze import analyze
from pgwarden.locks.context import Context
from pgwarden.locks.effects import Effect, RelationLock
from pgwarden.sql.nodes import enum_name
from pgwarden.sql.source import Statement


@dataclass(slots=True)
class Analysed:
    """One statement with its modelled effect and the session state when it starts."""

    stmt: Statement
    effect: Effect
    held_before: dict[QualifiedName, RelationLock]
    in_transaction: bool  # explicit block, or the runner wraps the file
    explicit_block: bool
    lock_timeout: bool  # a non-zero lock_timeout is in force
    statement_timeout: bool
    tx_depth_error: bool = False  # BEGIN inside a transaction
    tx_statement_index: int = 0  # position within its transaction

    @property
    def line(self) -> int:
        return self.stmt.line

    @property
    def column(self) -> int:
        return self.stmt.column


@dataclass(slots=True)
class SessionResult:
    """A file's statements as analysed in order, and a transaction left open at its end."""

    statements: list[Analysed] = field(default_factory=list)
    unterminated_begin: Statement | None = None
    # iter_transactions' answer, worked out once: four file rules ask for it
    transactions: list[list[Analysed]] | None = field(default=None, compare=False, repr=False)


def _setting(node: object) -> tuple[str, bool, bool] | None:
    """(name, is_local, enables) for SET/RESET of lock_timeout or statement_timeout."""
    name = getattr(node, "name", None)
    if name not in ("lock_timeout", "statement_timeout"):
        return None
    kind = enum_name(getattr(node, "kind", ""))
    if kind in ("VAR_RESET", "VAR_SET_DEFAULT"):
        return name, bool(getattr(node, "is_local", False)), False
    enables = True
    for a in getattr(node, "args", None) or ():
        val = getattr(a, "val", None)
        raw = getattr(val, "ival", None)
        if raw is None:
            raw = getattr(val, "sval", None)
        if raw is not None and str(raw).strip() in ("0", "0ms", "0s"):
            enables = False
    return name, bool(getattr(node, "is_local", False)), enables


# Settings the lock model reads (Context.setting); e.g. TimeZone decides whether
# timestamp <-> timestamptz rewrites.
_MODEL_SETTINGS = frozenset({"timezone"})


def _track_setting(node: object, ctx: Context) -> None:
    name = (getattr(node, "name", None) or "").lower()
    if name not in _MODEL_SETTINGS:
        return
    values = [
        getattr(getattr(a, "val", None), "sval", None) for a in getattr(node, "args", None) or ()
    ]
    value = next((v for v in values if isinstance(v, str)), None)
    if enum_name(getattr(node, "kind", "")) == "VAR_SET_VALUE" and value is not None:
        ctx.settings[name] = value
    else:  # RESET, SET ... TO DEFAULT, SET TIME ZONE LOCAL: the server default, unknown here
        ctx.settings.pop(name, None)


def simulate(
    statements: list[Statement],
    catalog: Catalog,
    version: int,
    *,
    assume_in_transaction: bool = False,
    runner_timeouts: bool = False,
) -> SessionResult:
    """Run the lock model over a file's statements, updating `catalog` as the schema changes."""
    result = SessionResult()
    ctx = Context(catalog, version)
    session = {"lock_timeout": runner_timeouts, "statement_timeout": runner_timeouts}
    local: dict[str, bool] = {}
    held: dict[QualifiedName, RelationLock] = {}
    in_block = False
    begin_stmt: Statement | None = None
    tx_index = 0

    def end_tx() -> None:
        nonlocal tx_index
        held.clear()
        local.clear()
        tx_index = 0

    for stmt in statements:
        node = stmt.node
        kind = stmt.kind
        ctx.text = stmt.text
        if catalog.search_path != DEFAULT_PATH:  # unqualified names: where SET put them
            qualify(node, catalog)
        effect = analyze(node, ctx)
        in_tx = in_block or assume_in_transaction
        a = Analysed(
            stmt,
            effect,
            dict(held),
            in_tx,
            in_block,
            local.get("lock_timeout", session["lock_timeout"]),
            local.get("statement_timeout", session["statement_timeout"]),
            tx_statement_index=tx_index,
        )
        result.statements.append(a)
        if kind == "TransactionStmt":
            tk = enum_name(node.kind)
            if tk in ("TRANS_STMT_BEGIN", "TRANS_STMT_START"):
                if in_block:
                    a.tx_depth_error = True
                in_block = True
                begin_stmt = stmt
                if not assume_in_transaction:
                    end_tx()
            elif tk in ("TRANS_STMT_COMMIT", "TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE"):
                in_block = False
                begin_stmt = None
                if not assume_in_transaction:
                    end_tx()
            continue
        if kind == "VariableSetStmt":
            _track_setting(node, ctx)
        s = _setting(node) if kind == "VariableSetStmt" else None
        if s is not None:
            name, is_local, enables = s
            if is_local:
                local[name] = enables
            else:
                session[name] = enables
                local.pop(name, None)
        for lk in effect.locks:
            prev = held.get(lk.relation)
            if prev is None or lk.mode > prev.mode:
                held[lk.relation] = lk
        tx_index += 1
        apply_statement(node, catalog, True)
        if not in_tx:
            end_tx()
    result.unterminated_begin = begin_stmt if in_block else None
    return result


def iter_transactions(result: SessionResult) -> list[list[Analysed]]:
    """Group statements by the transaction they run in (the groups are shared: read only)."""
    groups = result.transactions
    if groups is None:
        groups = result.transactions = []
        group: list[Analysed] = []
        for a in result.statements:
            if a.tx_statement_index == 0 and group:
                groups.append(group)
                group = []
            group.append(a)
        if group:
            groups.append(group)
    return groups
