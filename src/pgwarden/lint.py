"""`lint` as a library function: sources -> parsed statements -> lock model -> rule findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgwarden.catalog import Catalog
from pgwarden.catalog.apply import apply_statement
from pgwarden.config import LintConfig
from pgwarden.errors import UsageError
from pgwarden.locks.modes import Blocks, blocks
from pgwarden.locks.session import Analysed, simulate
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, all_rules, get_rule
from pgwarden.sql import ParsedFile, ParseFailure, SqlSource, parse_source
from pgwarden.sql.directives import ALL
from pgwarden.sql.discover import discover

if TYPE_CHECKING:
    from pgwarden.locks.effects import RelationLock
    from pgwarden.pipeline import EarlyStart, Inputs

_BLOCKS: dict[str, Blocks] = {}  # per mode name: asked once per lock, ~30k times a corpus


@dataclass(slots=True)
class LockOut:
    """One lock as reported; its fields are the keys of docs/json-output.md, in order (the
    JSON output serialises it as it is)."""

    relation: str
    mode: str
    kind: str  # the relation's kind: table, index, sequence, ...
    new: bool
    blocks_reads: bool
    blocks_writes: bool
    reason: str
    per_row: bool = False  # see locks.effects.RelationLock
    partition_copy: bool = False  # likewise

    @property
    def relkind(self) -> str:
        return self.kind

    def as_dict(self) -> dict[str, Any]:
        return {
            "relation": self.relation,
            "mode": self.mode,
            "kind": self.kind,
            "new": self.new,
            "blocks_reads": self.blocks_reads,
            "blocks_writes": self.blocks_writes,
            "reason": self.reason,
            "per_row": self.per_row,
            "partition_copy": self.partition_copy,
        }


@dataclass(slots=True)
class StatementOut:
    """One statement as reported (the JSON shape of docs/json-output.md)."""

    line: int
    column: int
    end_line: int
    sql: str
    kind: str
    locks: list[LockOut]
    held: list[LockOut]
    rewrites: list[str]
    index_rebuilds: list[str]
    scans: list[str]
    transactional: bool
    in_transaction: bool
    unknown: bool
    note: str
    findings: list[Finding] = field(default_factory=list)


@dataclass(slots=True)
class FileOut:
    """A linted file as reported: its statements (with their findings) and the rest."""

    path: str
    statements: list[StatementOut] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)  # not tied to one statement
    notices: list[tuple[int, int, str]] = field(default_factory=list)

    def all_findings(self) -> list[Finding]:
        out = list(self.findings)
        for s in self.statements:
            out.extend(s.findings)
        return sorted(out, key=lambda f: (f.line, f.column, f.code))

    def error_count(self) -> int:
        """How many error-severity findings the file has (a non-zero count fails the run)."""
        error = Severity.ERROR
        n = 0
        for f in self.findings:
            n += f.severity is error
        for s in self.statements:
            for f in s.findings:  # plain loops: a generator per statement cost more
                n += f.severity is error
        return n


@dataclass(slots=True)
class LintResult:
    """A run's files and parse failures.

    `lint_paths(..., rendered=True)` (for `--format json`) leaves `files` empty and gives
    each file as its JSON instead (`rendered`, see report.json_out.file_json), with the
    number of error findings in all of them (`error_findings`).
    """

    files: list[FileOut] = field(default_factory=list)
    errors: list[ParseFailure] = field(default_factory=list)
    rendered: list[bytes | memoryview] | None = None
    error_findings: int = 0
    # The whole JSON output as pieces, when the run made it already (for its result pack).
    document: list[bytes | memoryview] | None = None

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        if self.error_findings or any(fo.error_count() for fo in self.files):
            return 1
        return 0


def select_rules(config: LintConfig) -> list[Rule]:
    """Rules in force: `select` (or all non-opt-in) plus `extend_select`, minus `ignore`."""
    for key in (*config.select, *config.ignore, *config.extend_select):
        if key.upper() != "ALL" and get_rule(key) is None:
            raise UsageError(f"unknown rule {key!r}; `pgwarden rules` lists them")

    def matches(cls: type[Rule], keys: Iterable[str]) -> bool:
        ks = set(keys)
        return bool({cls.code, cls.name, *cls.aliases, "ALL", "all"} & ks)

    out = []
    for cls in all_rules():
        on = matches(cls, config.select) if config.select else not cls.opt_in
        on = on or matches(cls, config.extend_select)
        if matches(cls, config.ignore) and not (
            config.ignore & {"ALL", "all"} and matches(cls, config.select)
        ):
            on = False
        if on:
            out.append(cls())
    return out


def load_schema(paths: Iterable[str], catalog: Catalog) -> list[ParseFailure]:
    """Apply `--schema` files (pg_dump --schema-only or setup scripts) to the catalog.

    Statements the catalog cannot model (INSERTs, DO blocks, functions) are skipped.
    """
    errors: list[ParseFailure] = []
    for src in discover(list(paths), must_exist=True):
        parsed = parse_source(src)
        if isinstance(parsed, ParseFailure):
            errors.append(parsed)
            continue
        for st in parsed.statements:
            try:
                apply_statement(st.node, catalog, False)
            except (AttributeError, TypeError, KeyError, IndexError, ValueError):
                continue  # unmodellable schema statement: skipped, not fatal
    catalog.mark_all_existing()
    return errors


def lint_paths(
    paths: list[str],
    config: LintConfig,
    inputs: Inputs | None = None,
    *,
    rendered: bool = False,
    waits: list[Callable[[], None]] | None = None,
    early: EarlyStart | None = None,
) -> LintResult:
    """Lint files/directories/stdin in migration order, sharing one evolving catalog.

    Results are cached by content (see pgwarden.cache) unless `config.cache` is off; see
    pgwarden.pipeline for how files, cache and catalog fit together. `inputs`: the files
    as `pipeline.read_inputs(paths, config)` read them, when the caller already did.
    `rendered`: files as JSON rather than objects (see LintResult). `waits`: the cache is
    written in the background, and what waits for it is appended (see pipeline.run).
    `early`: the run's worker, started by `pipeline.start_early` for these inputs.
    """
    from pgwarden.pipeline import run

    return run(paths, config, inputs, rendered=rendered, waits=waits, early=early)


def lint_text(
    sql: str, config: LintConfig, display: str = "<sql>", schema_sql: str = ""
) -> LintResult:
    """Lint one SQL string (rule examples, `explain`); `schema_sql` stands for existing tables."""
    catalog = Catalog()
    result = LintResult()
    if schema_sql:
        parsed_schema = parse_source(SqlSource("<schema>", None, schema_sql))
        if isinstance(parsed_schema, ParseFailure):
            result.errors.append(parsed_schema)
            return result
        for st in parsed_schema.statements:
            apply_statement(st.node, catalog, False)
        catalog.mark_all_existing()
    result.errors.extend(load_schema(config.schema, catalog))
    parsed = parse_source(SqlSource(display, None, sql))
    if isinstance(parsed, ParseFailure):
        result.errors.append(parsed)
        return result
    result.files.append(lint_parsed(parsed, catalog, config, select_rules(config)))
    return result


def lock_out(lk: RelationLock) -> LockOut:
    """A lock of the model as reported."""
    # (`_name_`: an Enum's `.name` is a descriptor; `".".join`: str() of a QualifiedName
    # without calling its __str__, in C; ~15k locks a corpus)
    name = lk.mode._name_
    b = _BLOCKS.get(name) or _BLOCKS.setdefault(name, blocks(lk.mode))
    return LockOut(
        ".".join(lk.relation),
        name,
        lk.relkind,
        lk.new,
        b.reads,
        b.writes,
        lk.reason,
        lk.per_row,
        lk.partition_copy,
    )


def _suppressed(f: Finding, a: Analysed | None, parsed: ParsedFile, used: set[int]) -> bool:
    if parsed.file_ignores is None and (a is None or not a.stmt.ignores):
        return False  # nearly every finding: no directive to look at
    keys = {f.rule, f.code, ALL}
    if parsed.file_ignores is not None and keys & parsed.file_ignores:
        return True
    if a is not None and keys & a.stmt.ignores:
        if a.stmt.directive is not None:
            used.add(a.stmt.directive.offset)
        return True
    return False


class _Plan:
    """Which rules to call for a statement, from their pre-filters (Rule.kinds, Rule.causes).

    Rules are called in their order in `rules` whatever the filters select, so findings come
    out in the same order as when every rule is called on every statement.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = tuple(rules)
        self.unused_ignore = next((r for r in rules if r.name == "unused-ignore"), None)
        self.every: list[tuple[int, Rule]] = []
        self.by_kind: dict[str, list[tuple[int, Rule]]] = {}
        self.by_cause: dict[str, list[tuple[int, Rule]]] = {}
        self.file_rules = [r for r in rules if type(r).check_file is not Rule.check_file]
        for i, rule in enumerate(rules):
            if type(rule).check is Rule.check:
                continue  # finds nothing per statement
            if rule.causes:
                for prefix in rule.causes:
                    self.by_cause.setdefault(prefix, []).append((i, rule))
            elif rule.kinds:
                for kind in rule.kinds:
                    self.by_kind.setdefault(kind, []).append((i, rule))
            else:
                self.every.append((i, rule))
        self._every_rules = [r for _, r in self.every]
        # A corpus has ~10k statements but few (kind, causes) pairs: each is planned once.
        self._memo: dict[tuple[str, tuple[str, ...]], list[Rule]] = {}

    def for_statement(self, a: Analysed) -> list[Rule]:
        causes = a.effect.causes
        key = (a.stmt.kind, tuple([c.code for c in causes]) if causes else ())
        rules = self._memo.get(key)
        if rules is None:
            rules = self._memo[key] = self._plan(*key)
        return rules

    def _plan(self, kind: str, causes: tuple[str, ...]) -> list[Rule]:
        picked = self.by_kind.get(kind)
        extra = list(picked) if picked else []
        if self.by_cause:
            for code in causes:
                while True:  # the cause's code and each prefix of it ending before a `:`
                    for i, rule in self.by_cause.get(code, ()):
                        if (not rule.kinds or kind in rule.kinds) and (i, rule) not in extra:
                            extra.append((i, rule))
                    code, sep, _ = code.rpartition(":")
                    if not sep:
                        break
        if not extra:
            return self._every_rules
        return [r for _, r in sorted(self.every + extra, key=lambda x: x[0])]


_LAST_PLAN: list[_Plan] = []  # one entry: a run lints every file with the same rules


def _plan(rules: list[Rule]) -> _Plan:
    if _LAST_PLAN and _LAST_PLAN[0].rules == tuple(rules):
        return _LAST_PLAN[0]
    plan = _Plan(rules)
    _LAST_PLAN[:] = [plan]
    return plan


def _in_section(f: Finding, section: str) -> Finding:
    """The finding, its message naming the part of the file it is in (an Alembic revision)."""
    return replace(f, message=f"{section}: {f.message}")


def lint_parsed(
    parsed: ParsedFile, catalog: Catalog, config: LintConfig, rules: list[Rule]
) -> FileOut:
    session = simulate(
        parsed.statements,
        catalog,
        config.pg_version,
        assume_in_transaction=config.assume_in_transaction,
        runner_timeouts=config.runner_timeouts,
    )
    ctx = FileContext(
        parsed,
        session,
        config.pg_version,
        config.assume_in_transaction,
        config.runner_timeouts,
        dict(config.options),
        catalog,
    )
    out = FileOut(parsed.display, notices=[(n.line, n.column, n.message) for n in parsed.notices])
    plan = _plan(rules)
    used: set[int] = set()
    by_line: dict[tuple[int, int], StatementOut] = {}
    by_pos: dict[tuple[int, int], Analysed] = {}
    file_ignores = parsed.file_ignores
    add_statement = out.statements.append
    for a in session.statements:
        e = a.effect
        stmt = a.stmt
        pos = (stmt.line, stmt.column)
        # Most of these lists are empty: a comprehension is a function call on Python 3.11.
        so = StatementOut(
            stmt.line,
            stmt.column,
            stmt.end_line,
            stmt.text,
            e.kind,
            [lock_out(lk) for lk in e.locks] if e.locks else [],
            [lock_out(lk) for lk in a.held_before.values()] if a.held_before else [],
            [".".join(r) for r in e.rewrites] if e.rewrites else [],  # str(r), in C
            [".".join(r) for r in e.index_rebuilds] if e.index_rebuilds else [],
            [".".join(r) for r in e.scans] if e.scans else [],
            e.transactional,
            a.in_transaction,
            e.unknown,
            e.note,
        )
        findings = so.findings
        section = stmt.section
        # Nearly every statement: no directive to look at, no section to name.
        plain = file_ignores is None and not stmt.ignores and not section
        for rule in plan.for_statement(a):
            found = rule.check(a, ctx)
            if not found:  # most calls find nothing (a generator is always true here)
                continue
            if plain:
                findings.extend(found)
                continue
            for f in found:
                if not _suppressed(f, a, parsed, used):
                    findings.append(_in_section(f, section) if section else f)
        add_statement(so)
        by_line[pos] = so
        by_pos[pos] = a
    for rule in plan.file_rules:
        for f in rule.check_file(ctx):
            at = by_pos.get((f.line, f.column))
            if _suppressed(f, at, parsed, used):
                continue
            target = by_line.get((f.line, f.column))
            if at is not None and at.stmt.section:
                f = _in_section(f, at.stmt.section)
            (target.findings if target else out.findings).append(f)
    unused = plan.unused_ignore
    if unused is not None and parsed.directives:
        for d in parsed.directives:
            if d.offset not in used:
                rules_txt = ", ".join(sorted(d.rules))
                out.findings.append(
                    Finding(
                        "unused-ignore",
                        unused.code,
                        unused.severity,
                        f"ignore directive for [{rules_txt}] matched no finding",
                        "remove the directive, or fix the rule name",
                        d.line,
                        d.column,
                    )
                )
    return out


def lint_file_path(path: Path, config: LintConfig) -> LintResult:
    return lint_paths([str(path)], config)
