"""A migration file as the runner executes it: units of statements with locks and timeouts.

The lock model (pgwarden.locks) says which existing relations each statement locks and in which
mode; from that the runner derives what to wait for and which timeouts to set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from pgwarden.catalog import Catalog, QualifiedName
from pgwarden.errors import InputError
from pgwarden.locks.context import SUPPORTED_VERSIONS
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode, is_dangerous
from pgwarden.locks.session import Analysed, simulate
from pgwarden.runner.errors import UnsupportedServer
from pgwarden.runner.plan import MigrationFile
from pgwarden.runner.policy import Policy
from pgwarden.sql import ParseFailure, SqlSource, parse_source
from pgwarden.sql.nodes import enum_name

_BEGIN = ("TRANS_STMT_BEGIN", "TRANS_STMT_START")
_END = ("TRANS_STMT_COMMIT",)
_REFUSED = ("TRANS_STMT_ROLLBACK", "TRANS_STMT_PREPARE", "TRANS_STMT_COMMIT_PREPARED")


@dataclass(frozen=True, slots=True)
class Target:
    """An existing relation a statement locks in a mode that blocks application traffic."""

    relation: QualifiedName
    mode: LockMode


@dataclass(frozen=True, slots=True)
class IndexBuild:
    """A concurrent index build or rebuild that leaves an INVALID index behind when it fails."""

    table: str  # regclass text as written (quoted; schema only when the file gave one)
    index: str | None  # same, for the index name; None when Postgres picks the name
    reindex: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    """One statement to send, with its location and the policy the runner applies to it."""

    number: int  # 1-based position among the file's executed statements
    line: int
    column: int
    text: str
    kind: str
    targets: tuple[Target, ...]  # to wait for before sending (not yet held in this tx)
    lock_timeout: float  # 0: no limit (the watchdog and max_wait bound the wait)
    statement_timeout: float | None  # None: leave the server's setting
    index_build: IndexBuild | None = None

    @property
    def first_line(self) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= 100 else text[:97] + "..."


@dataclass(frozen=True, slots=True)
class Unit:
    """Statements committed together: a whole transactional file, or one statement/block."""

    steps: tuple[Step, ...]
    transactional: bool

    @property
    def targets(self) -> tuple[Target, ...]:
        """The strongest mode per relation over all steps: what to wait out before BEGIN."""
        best: dict[QualifiedName, LockMode] = {}
        for s in self.steps:
            for t in s.targets:
                if t.relation not in best or t.mode > best[t.relation]:
                    best[t.relation] = t.mode
        return tuple(Target(r, m) for r, m in best.items())

    @property
    def text(self) -> str:
        return "\n;\n".join(s.text for s in self.steps)


@dataclass(frozen=True, slots=True)
class Script:
    file: MigrationFile
    units: tuple[Unit, ...]
    transactional: bool  # the whole file runs in one transaction with its history row

    @property
    def statements(self) -> int:
        return sum(len(u.steps) for u in self.units)

    def prefix_checksum(self, units_done: int) -> str:
        """Identifies the first `units_done` units, so a re-run resumes only if they are intact."""
        h = hashlib.sha256()
        for u in self.units[:units_done]:
            h.update(u.text.encode())
            h.update(b"\x00")
        return h.hexdigest()


def require_supported(server_version_num: int, command: str) -> None:
    """Refuse a server older than the lock model covers (PostgreSQL 12).

    Clamping such a server to 12 would be wrong, not rough: before 12 `ALTER TYPE ... ADD
    VALUE` cannot run inside a transaction block and `REINDEX CONCURRENTLY` does not exist, so
    the runner would put statements in a transaction that refuses them and expect locks the
    server does not take. A server newer than the model is run as the newest modelled major.
    """
    if server_version_num // 10000 >= SUPPORTED_VERSIONS.start:
        return
    major = server_version_num // 10000
    shown = f"{major}.{server_version_num // 100 % 100}" if major < 10 else str(major)
    raise UnsupportedServer(
        f"{command} needs PostgreSQL {SUPPORTED_VERSIONS.start} or later (the lock model covers "
        f"{SUPPORTED_VERSIONS.start} to {SUPPORTED_VERSIONS.stop - 1}); this server is "
        f"PostgreSQL {shown}; nothing was run. Use your migration tool directly, with "
        "`SET lock_timeout` in each migration"
    )


def model_version(server_version_num: int) -> int:
    """The server major the lock model should assume (clamped to the modelled range)."""
    major = server_version_num // 10000
    return min(max(major, SUPPORTED_VERSIONS.start), SUPPORTED_VERSIONS.stop - 1)


def _regclass_text(schema: str | None, name: str) -> str:
    def q(ident: str) -> str:
        return '"' + ident.replace('"', '""') + '"'

    return f"{q(schema)}.{q(name)}" if schema else q(name)


def _index_build(node: Any, effect: Effect) -> IndexBuild | None:
    kind = type(node).__name__
    if kind == "IndexStmt" and node.concurrent:
        rel = node.relation
        idx = _regclass_text(rel.schemaname, node.idxname) if node.idxname else None
        return IndexBuild(_regclass_text(rel.schemaname, rel.relname), idx)
    if kind == "ReindexStmt" and "CONCURRENTLY" in effect.kind and node.relation is not None:
        rel = node.relation
        return IndexBuild(_regclass_text(rel.schemaname, rel.relname), None, reindex=True)
    return None


def _step(number: int, a: Analysed, policy: Policy) -> Step:
    e = a.effect
    existing = e.existing_locks()
    dangerous = e.unknown or any(is_dangerous(lk.mode) for lk in existing)
    targets = tuple(
        Target(lk.relation, lk.mode)
        for lk in existing
        if is_dangerous(lk.mode)
        and not (lk.relation in a.held_before and a.held_before[lk.relation].mode >= lk.mode)
    )
    long_work = bool(e.scans or e.rewrites or e.index_rebuilds or not e.transactional)
    if long_work and not dangerous:
        statement_timeout = policy.long_statement_timeout
    else:
        statement_timeout = policy.statement_timeout
    return Step(
        number,
        a.line,
        a.column,
        a.stmt.text,
        e.kind,
        targets,
        policy.lock_timeout if dangerous else 0.0,
        statement_timeout,
        _index_build(a.stmt.node, e),
    )


def _where(f: MigrationFile, a: Analysed) -> str:
    return f"{f.display}:{a.line}:{a.column}"


def build_script(
    f: MigrationFile, server_version_num: int, policy: Policy, *, text: str | None = None
) -> Script:
    """Parse and model one file; bad input raises InputError located at file:line:col.

    `text` is the SQL when it is not in `f.path` (a framework generates it: Django's schema
    editor, a statement SQLAlchemy is about to send).
    """
    source = SqlSource(f.display, f.path) if text is None else SqlSource(f.display, None, text)
    parsed = parse_source(source)
    if isinstance(parsed, ParseFailure):
        raise InputError(str(parsed))
    version = model_version(server_version_num)
    first = simulate(parsed.statements, Catalog(), version, assume_in_transaction=True)
    transactional = all(a.effect.transactional for a in first.statements)
    if transactional:
        session = first
    else:
        session = simulate(parsed.statements, Catalog(), version, assume_in_transaction=False)
    units: list[Unit] = []
    steps: list[Step] = []  # transactional file: every statement, one unit
    block: list[Step] | None = None  # non-transactional file: inside BEGIN ... COMMIT
    number = 0
    for a in session.statements:
        if a.stmt.kind == "TransactionStmt":
            tk = enum_name(a.stmt.node.kind)
            if tk in _REFUSED:
                raise InputError(
                    f"{_where(f, a)}: {tk.removeprefix('TRANS_STMT_')} in a migration file; "
                    "the runner owns transactions (each file commits with its history row)"
                )
            if tk in _BEGIN or tk in _END:
                if transactional:
                    continue  # the whole file already runs in one transaction
                if tk in _BEGIN:
                    block = []
                else:
                    if block:
                        units.append(Unit(tuple(block), True))
                    block = None
                continue
            # SAVEPOINT, RELEASE, ROLLBACK TO are sent as they are
        number += 1
        step = _step(number, a, policy)
        if transactional:
            steps.append(step)
        elif block is not None:
            if not a.effect.transactional:
                raise InputError(
                    f"{_where(f, a)}: {a.effect.kind} cannot run inside BEGIN ... COMMIT; "
                    "move it out of the transaction block"
                )
            block.append(step)
        else:
            units.append(Unit((step,), False))
    if block is not None:
        raise InputError(f"{f.display}: BEGIN without COMMIT")
    if transactional:
        return Script(f, (Unit(tuple(steps), True),) if steps else (), True)
    return Script(f, tuple(units), False)
