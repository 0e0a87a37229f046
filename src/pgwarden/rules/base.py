"""Rule base class, findings and the registry (rules register themselves when defined)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from pgwarden.locks.modes import LockMode, blocks

if TYPE_CHECKING:
    from pgwarden.catalog import Catalog
    from pgwarden.locks.session import Analysed, SessionResult
    from pgwarden.sql.source import ParsedFile


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# Not frozen (treated as immutable, hashed by value): a frozen dataclass is built through
# object.__setattr__ per field, ~6x slower, and a corpus run builds ~100k of these.
@dataclass(slots=True, unsafe_hash=True)
class Finding:
    """One problem a rule found, located in the file."""

    rule: str
    code: str
    severity: Severity
    message: str
    help: str
    line: int
    column: int


@dataclass(slots=True)
class FileContext:
    """What a rule may know about the whole file besides the statement at hand."""

    parsed: ParsedFile
    session: SessionResult
    version: int
    assume_in_transaction: bool
    runner_timeouts: bool  # the file will run under pgwarden's runner (it sets timeouts)
    options: dict[str, object] = field(default_factory=dict)
    catalog: Catalog | None = None  # the schema as the file leaves it (for check_file rules)
    # What a rule works out once per file rather than per statement, under a key of its own
    memo: dict[str, Any] = field(default_factory=dict)


class Rule:
    """One check. Subclasses set the class attributes; the docstring is the rule's page.

    Docstring sections (ruff-style): a summary line, then `Why:`, `Example:`, `Use instead:`,
    and optionally `Schema:` (setup SQL standing for existing tables). The Example must trigger
    the rule, the Use instead must not; tests/rules/test_examples.py runs both.
    """

    code: ClassVar[str]
    name: ClassVar[str]
    category: ClassVar[str]
    severity: ClassVar[Severity] = Severity.WARNING
    since: ClassVar[str] = "0.1.0"
    opt_in: ClassVar[bool] = False
    aliases: ClassVar[tuple[str, ...]] = ()
    # Closest equivalents in peer tools: {"squawk": ..., "eugene": ..., "strong_migrations": ...}
    peers: ClassVar[dict[str, str]] = {}
    # Pre-filters, so that lint does not call `check` ~50 times per statement for nothing:
    # `check` finds nothing in a statement whose node type is not in `kinds`, nor in one whose
    # effect has no cause under one of the `causes` prefixes (as Effect.find matches them).
    # Empty: no filter. tests/rules/test_prefilters.py holds every rule to its filters.
    kinds: ClassVar[frozenset[str]] = frozenset()
    causes: ClassVar[tuple[str, ...]] = ()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "code" in cls.__dict__:
            register(cls)

    def check(self, a: Analysed, ctx: FileContext) -> Iterable[Finding]:
        return ()

    def check_file(self, ctx: FileContext) -> Iterable[Finding]:
        return ()

    def finding(self, where: Analysed | tuple[int, int], message: str, help: str) -> Finding:
        if type(where) is tuple:
            line, col = where
        else:
            stmt = where.stmt  # type: ignore[union-attr]
            line, col = stmt.line, stmt.column
        return Finding(self.name, self.code, self.severity, message, help, line, col)

    @classmethod
    def summary(cls) -> str:
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else cls.name

    @classmethod
    def section(cls, title: str) -> str:
        return doc_sections(cls.__doc__ or "").get(title, "")


_REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> None:
    for key in (cls.code, cls.name, *cls.aliases):
        other = _REGISTRY.get(key)
        if other is not None and other is not cls:
            raise RuntimeError(f"rule key {key!r} used by {other.__name__} and {cls.__name__}")
        _REGISTRY[key] = cls


def all_rules() -> list[type[Rule]]:
    load_all()
    return sorted({id(c): c for c in _REGISTRY.values()}.values(), key=lambda c: c.code)


def get_rule(key: str) -> type[Rule] | None:
    load_all()
    return _REGISTRY.get(key)


_LOADED = False


def load_all() -> None:
    """Import every rule module (each registers its class): the modules of each category
    folder under pgwarden.rules (a folder is a package; `_`-modules are shared helpers).
    Listed with os.scandir rather than pkgutil.walk_packages: ~1 ms of every lint start."""
    global _LOADED
    if _LOADED:
        return
    import importlib

    import pgwarden.rules as pkg

    for root in pkg.__path__:
        for modules in _rule_modules(root, pkg.__name__):
            for name in modules:
                importlib.import_module(name)
    _LOADED = True


def _rule_modules(root: str, package: str) -> Iterator[list[str]]:
    """Each category's rule modules, categories and modules in name order."""
    import os

    with os.scandir(root) as entries:
        folders = sorted(
            e.name
            for e in entries
            if e.is_dir() and not e.name.startswith(("_", ".")) and e.name.isidentifier()
        )
    for folder in folders:
        path = os.path.join(root, folder)
        if not os.path.isfile(os.path.join(path, "__init__.py")):
            continue
        with os.scandir(path) as entries:
            names = sorted(
                e.name[:-3]
                for e in entries
                if e.name.endswith(".py") and not e.name.startswith("_") and e.is_file()
            )
        yield [f"{package}.{folder}.{n}" for n in names if n.isidentifier()]


_SECTION = re.compile(r"^(Why|Example|Use instead|Schema|Notes|References|Fix):\s*$", re.MULTILINE)


def doc_sections(doc: str) -> dict[str, str]:
    """Split a rule docstring into its titled sections (dedented)."""
    import textwrap

    text = textwrap.dedent("\n".join(doc.splitlines()[1:])) if doc else ""
    out: dict[str, str] = {}
    matches = list(_SECTION.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[m.group(1)] = textwrap.dedent(text[m.end() : end]).strip("\n")
    return out


def sql_block(section: str) -> str:
    """The SQL inside a ```sql fenced block of a section (or the whole section)."""
    m = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    return (m.group(1) if m else section).strip()


def describe_lock(mode: LockMode) -> str:
    """`ACCESS EXCLUSIVE (blocks reads and writes)`: the wording every message shares."""
    text = _DESCRIBED.get(mode)
    if text is None:  # ~20k findings of a corpus use it: worded once per mode
        text = _DESCRIBED[mode] = f"{mode.sql_name} ({blocks(mode).summary})"
    return text


_DESCRIBED: dict[LockMode, str] = {}


def existing(a: Analysed) -> Iterator[tuple[str, LockMode]]:
    for lk in a.effect.existing_locks():
        yield str(lk.relation), lk.mode
