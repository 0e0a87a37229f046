"""Recognise running backups (pg_dump, COPY TO stdout, provider agents) and estimate their end."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from pgwarden.inspect.snapshot import CopyProgress, Relation, Session, Snapshot

# application_name set by the PostgreSQL client tools (their fallback_application_name).
TOOLS = {
    "pg_dump": "pg_dump",
    "pg_dumpall": "pg_dumpall",
    "pg_basebackup": "pg_basebackup",
    "pg_receivewal": "pg_receivewal",
}

# Backup agents that name themselves; extend with --backup-pattern. Matched case-insensitively
# against application_name. "Heroku Postgres Backups" is the agent of incident 000.
DEFAULT_PATTERNS: tuple[str, ...] = (
    r"backup",
    r"^pgbackrest",
    r"^barman",
    r"^wal-g",
    r"^pg_probackup",
    r"^pgcopydb",
)

_COPY_TO = re.compile(r"^\s*COPY\b.*\bTO\s+STDOUT\b", re.IGNORECASE | re.DOTALL)
_IDENT = r'(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)'
_COPY_TABLE = re.compile(rf"^\s*COPY\s+(?P<name>{_IDENT}(?:\s*\.\s*{_IDENT})?)", re.IGNORECASE)


class Sized(Protocol):
    """What the estimates need of a table: a snapshot's Relation, or progress.TableSize."""

    @property
    def rows(self) -> float | None: ...

    @property
    def relpages(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a backup session has got: what `check` shows and the runner's waiting line."""

    copying: str | None  # relation being copied now
    table_fraction: float | None  # of the table being copied
    tuples_done: int | None
    bytes_done: int | None
    dump_fraction: float | None  # of every table it holds (dump-shaped sessions only)
    eta: float | None  # seconds until it ends (the dump, else the current table)
    eta_scope: str  # "dump", "table" or ""


@dataclass(frozen=True, slots=True)
class Backup(Progress):
    """A backup seen in pg_stat_activity, with what can be said about its progress.

    pg_dump takes ACCESS SHARE on every table it will dump when it starts and keeps all of them
    until it ends, so a migration needing ACCESS EXCLUSIVE on any of them waits for the whole
    dump, not just for the table being copied.
    """

    pid: int
    tool: str  # pg_dump, pg_basebackup, COPY TO stdout, or the agent's application_name
    matched_by: str  # how it was recognised
    database: str | None
    same_database: bool
    age: float | None  # seconds since its transaction (or query) started
    holds: tuple[str, ...]  # the given relations it holds locks on
    passed: tuple[str, ...]  # of those, copied already (still locked until the end)
    ahead: tuple[str, ...]  # of those, not copied yet
    tables: int  # tables it holds ACCESS SHARE on
    superuser: bool | None = None  # its role is a superuser (pgwarden cancel needs --force)


def compile_patterns(
    extra: Iterable[str] = (), *, defaults: bool = True
) -> tuple[re.Pattern[str], ...]:
    """Compile agent patterns; a bad regex is a ValueError naming it."""
    out = []
    for p in (*(DEFAULT_PATTERNS if defaults else ()), *extra):
        try:
            out.append(re.compile(p, re.IGNORECASE))
        except re.error as exc:
            raise ValueError(f"invalid --backup-pattern {p!r}: {exc}") from None
    return tuple(out)


def recognise(s: Session, patterns: Sequence[re.Pattern[str]]) -> tuple[str, str] | None:
    """(tool, how) when the session is a backup, else None."""
    return recognise_session(s.application, s.backend_type, s.query, patterns)


def recognise_session(
    app: str,
    backend_type: str | None,
    query: str | None,
    patterns: Sequence[re.Pattern[str]] | None = None,
) -> tuple[str, str] | None:
    """(tool, how) when a session with this application_name, backend type and query is a
    backup, else None; `patterns` default to DEFAULT_PATTERNS (the runner has no option)."""
    if app in TOOLS:
        return TOOLS[app], "application_name"
    if backend_type == "walsender" and app.startswith("pg_basebackup"):
        return "pg_basebackup", "application_name"
    for p in _default_compiled() if patterns is None else patterns:
        if p.search(app):
            return app, f"pattern {p.pattern!r}"
    if query and _COPY_TO.match(query):
        return "COPY TO stdout", "query shape"
    return None


_COMPILED: list[tuple[re.Pattern[str], ...]] = []


def _default_compiled() -> tuple[re.Pattern[str], ...]:
    if not _COMPILED:
        _COMPILED.append(compile_patterns())
    return _COMPILED[0]


def copy_relation(query: str | None) -> str | None:
    """`public.orders` from `COPY public.orders (a, b) TO stdout` (pg_dump's shape); None for
    `COPY (SELECT ...) TO`."""
    if not query:
        return None
    m = _COPY_TABLE.match(query)
    if m is None:
        return None
    parts = [p.strip() for p in re.findall(_IDENT, m["name"])]
    names = [p[1:-1].replace('""', '"') if p.startswith('"') else p.lower() for p in parts]
    return ".".join(names) if len(names) == 2 else f"public.{names[0]}"


def find_backups(
    snap: Snapshot, patterns: Sequence[re.Pattern[str]], relations: Iterable[str] = ()
) -> tuple[Backup, ...]:
    """Every backup session, with progress; `relations` are the ones to place in dump order."""
    wanted = set(relations)
    by_name = {r.name: r for r in snap.relations.values()}
    out = []
    for s in snap.sessions.values():
        found = recognise(s, patterns)
        if found is not None:
            out.append(_backup(snap, by_name, s, found[0], found[1], wanted))
    return tuple(sorted(out, key=lambda b: b.pid))


def _backup(
    snap: Snapshot,
    by_name: Mapping[str, Relation],
    s: Session,
    tool: str,
    how: str,
    wanted: set[str],
) -> Backup:
    copy = snap.copies.get(s.pid)
    rel = snap.relations.get(copy.relid) if copy and copy.relid is not None else None
    # Tables it holds ACCESS SHARE on: what pg_dump locked up front (dump-shaped session).
    tables = sorted(
        {
            lk.relation
            for lk in s.held
            if lk.relation and lk.mode == "AccessShareLock" and lk.relkind == "r"
        },
        key=_dump_key,
    )
    finished = s.state not in (None, "", "active")
    p = estimate(
        by_name,
        tables,
        copy,
        rel.name if rel else None,
        s.query,
        s.age,
        s.query_age,
        finished=finished,
    )
    holds = tuple(sorted({lk.relation for lk in s.locks if lk.relation in wanted and lk.relation}))
    passed: list[str] = []
    ahead: list[str] = []
    # Between two tables, the one its last COPY named is done too.
    done_last = copy_relation(s.query) if finished and p.copying is None else None
    at = p.copying or done_last
    if at and _dump_shaped(tables, at):
        # pg_dump writes table data in (schema, name) order; -j runs sort by size instead.
        for name in holds:
            if name == p.copying:
                continue
            behind = _dump_key(name) < _dump_key(at) or name == done_last
            (passed if behind else ahead).append(name)
    return Backup(
        pid=s.pid,
        tool=tool,
        matched_by=how,
        database=s.database,
        same_database=s.database == snap.database,
        age=s.age,
        holds=holds,
        passed=tuple(passed),
        ahead=tuple(ahead),
        tables=len(tables),
        superuser=s.superuser,
        **dataclasses.asdict(p),
    )


def estimate(
    sizes: Mapping[str, Sized],
    tables: Sequence[str],
    copy: CopyProgress | None,
    copying: str | None,
    query: str | None,
    age: float | None,
    query_age: float | None,
    *,
    finished: bool = False,
) -> Progress:
    """Progress of one backup session, from pg_stat_progress_copy and table size estimates.

    `sizes`: by `schema.name`, at least the tables in `tables` and the one being copied;
    `tables`: those it holds ACCESS SHARE on; `copying`: the relation pg_stat_progress_copy
    names, else the one in `query` (`COPY public.t (a) TO stdout`); `age`: of what it holds
    (its transaction), `query_age`: of the running COPY. `finished`: the session is not
    running a query (pg_dump between two tables), so the COPY in `query` is done.
    """
    if finished and copy is None:
        return _between_tables(sizes, tables, copy_relation(query), age)
    copying = copying or copy_relation(query)
    current = sizes.get(copying) if copying else None
    tuples = copy.tuples_processed if copy else None
    nbytes = copy.bytes_processed if copy else None
    table_fraction = _table_fraction(current, tuples, nbytes)
    dump_fraction = None
    if copying and _dump_shaped(tables, copying):
        dump_fraction = _dump_fraction(sizes, tables, copying, tuples, table_fraction)
    eta, scope = None, ""
    if dump_fraction is not None and age:
        eta, scope = _eta(age, dump_fraction), "dump"
    elif table_fraction is not None and query_age:
        eta, scope = _eta(query_age, table_fraction), "table"
    return Progress(
        copying=copying,
        table_fraction=table_fraction,
        tuples_done=tuples,
        bytes_done=nbytes,
        dump_fraction=dump_fraction,
        eta=eta,
        eta_scope=scope if eta is not None else "",
    )


def _between_tables(
    sizes: Mapping[str, Sized], tables: Sequence[str], last: str | None, age: float | None
) -> Progress:
    """A dump that has sent every row of `last` and not started the next table yet."""
    dump_fraction = None
    if last and _dump_shaped(tables, last):
        rel = sizes.get(last)
        rows = int(rel.rows) if rel is not None and rel.rows is not None else None
        dump_fraction = _dump_fraction(sizes, tables, last, rows, 1.0)
    eta = _eta(age, dump_fraction) if dump_fraction is not None and age else None
    return Progress(
        copying=None,
        table_fraction=None,
        tuples_done=None,
        bytes_done=None,
        dump_fraction=dump_fraction,
        eta=eta,
        eta_scope="dump" if eta is not None else "",
    )


def _dump_shaped(tables: Sequence[str], copying: str) -> bool:
    """Copying one of several tables it holds: a dump, whose order says what is done."""
    return len(tables) > 1 and copying in tables


def _dump_key(name: str) -> tuple[str, str]:
    schema, _, rel = name.partition(".")
    return (schema, rel)


def _table_fraction(rel: Sized | None, tuples: int | None, nbytes: int | None) -> float | None:
    if rel is None:
        return None
    rows = rel.rows
    if tuples is not None and rows:
        return min(tuples / rows, 0.99)
    if nbytes is not None and rel.relpages > 0:
        # COPY text is usually a bit smaller than the heap: a rough, conservative fraction.
        return min(nbytes / (rel.relpages * 8192), 0.99)
    return None


def _dump_fraction(
    sizes: Mapping[str, Sized],
    tables: Sequence[str],
    copying: str,
    tuples: int | None,
    table_fraction: float | None,
) -> float | None:
    """Rows copied so far over rows in every table it holds, assuming (schema, name) order."""
    total = done = 0.0
    for name in tables:
        rel = sizes.get(name)
        rows = rel.rows if rel else None
        if rows is None:
            continue
        total += rows
        if _dump_key(name) < _dump_key(copying):
            done += rows
        elif name == copying:
            if tuples is not None:
                done += min(float(tuples), rows)
            elif table_fraction is not None:
                done += rows * table_fraction
    if total <= 0:
        return None
    return min(done / total, 0.99)


def _eta(elapsed: float, fraction: float) -> float | None:
    if fraction <= 0:
        return None
    return elapsed * (1 - fraction) / fraction
