"""Recognise running backups (pg_dump, COPY TO stdout, provider agents) and estimate their end."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pgwarden.inspect.snapshot import Relation, Session, Snapshot

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


@dataclass(frozen=True, slots=True)
class Backup:
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
    copying: str | None  # relation being copied now
    table_fraction: float | None  # of the table being copied
    tuples_done: int | None
    bytes_done: int | None
    dump_fraction: float | None  # of every table it holds (dump-shaped sessions only)
    eta: float | None  # seconds until it ends (the dump, else the current table)
    eta_scope: str  # "dump", "table" or ""
    holds: tuple[str, ...]  # the given relations it holds locks on
    passed: tuple[str, ...]  # of those, copied already (still locked until the end)
    ahead: tuple[str, ...]  # of those, not copied yet
    tables: int  # tables it holds ACCESS SHARE on


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
    app = s.application
    if app in TOOLS:
        return TOOLS[app], "application_name"
    if s.backend_type == "walsender" and app.startswith("pg_basebackup"):
        return "pg_basebackup", "application_name"
    for p in patterns:
        if p.search(app):
            return app, f"pattern {p.pattern!r}"
    if s.query and _COPY_TO.match(s.query):
        return "COPY TO stdout", "query shape"
    return None


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
    progress = snap.copies.get(s.pid)
    copying = None
    if progress is not None and progress.relid is not None:
        rel = snap.relations.get(progress.relid)
        copying = rel.name if rel else None
    if copying is None:
        copying = copy_relation(s.query)
    current = by_name.get(copying) if copying else None
    tuples = progress.tuples_processed if progress else None
    nbytes = progress.bytes_processed if progress else None
    table_fraction = _table_fraction(current, tuples, nbytes)

    # Tables it holds ACCESS SHARE on: what pg_dump locked up front (dump-shaped session).
    tables = sorted(
        {
            lk.relation
            for lk in s.held
            if lk.relation and lk.mode == "AccessShareLock" and lk.relkind == "r"
        },
        key=_dump_key,
    )
    holds = tuple(sorted({lk.relation for lk in s.locks if lk.relation in wanted and lk.relation}))
    passed: list[str] = []
    ahead: list[str] = []
    dump_fraction = None
    if copying and len(tables) > 1 and copying in tables:
        # pg_dump writes table data in (schema, name) order; -j runs sort by size instead.
        for name in holds:
            if name == copying:
                continue
            (passed if _dump_key(name) < _dump_key(copying) else ahead).append(name)
        dump_fraction = _dump_fraction(by_name, tables, copying, tuples, table_fraction)
    elapsed = s.age
    eta, scope = None, ""
    if dump_fraction is not None and elapsed:
        eta, scope = _eta(elapsed, dump_fraction), "dump"
    elif table_fraction is not None and s.query_age:
        eta, scope = _eta(s.query_age, table_fraction), "table"
    return Backup(
        pid=s.pid,
        tool=tool,
        matched_by=how,
        database=s.database,
        same_database=s.database == snap.database,
        age=elapsed,
        copying=copying,
        table_fraction=table_fraction,
        tuples_done=tuples,
        bytes_done=nbytes,
        dump_fraction=dump_fraction,
        eta=eta,
        eta_scope=scope if eta is not None else "",
        holds=holds,
        passed=tuple(passed),
        ahead=tuple(ahead),
        tables=len(tables),
    )


def _dump_key(name: str) -> tuple[str, str]:
    schema, _, rel = name.partition(".")
    return (schema, rel)


def _table_fraction(rel: Relation | None, tuples: int | None, nbytes: int | None) -> float | None:
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
    by_name: Mapping[str, Relation],
    tables: list[str],
    copying: str,
    tuples: int | None,
    table_fraction: float | None,
) -> float | None:
    """Rows copied so far over rows in every table it holds, assuming (schema, name) order."""
    total = done = 0.0
    for name in tables:
        rel = by_name.get(name)
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
