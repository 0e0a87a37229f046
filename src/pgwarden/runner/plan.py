"""Which migration files are applied, pending, changed or failed: the directory against history."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from pgwarden.errors import InputError
from pgwarden.runner.history import HistoryRow
from pgwarden.sql.discover import discover

_FLYWAY = re.compile(r"^([VR])(\d+(?:[._]\d+)*)?__(.*)$", re.IGNORECASE)
_LEADING_VERSION = re.compile(r"^\d+[-_.]?")


@dataclass(frozen=True, slots=True)
class MigrationFile:
    """One up-migration on disk; `version` is its identity in the history table."""

    version: str  # relative path without `.sql` (and without `/up` for NNN_name/up.sql)
    name: str  # the human part: `add_orders_total`
    path: Path
    checksum: str  # sha256 of the file bytes
    repeatable: bool = False  # Flyway R__x.sql: re-applied whenever its checksum changes

    @property
    def display(self) -> str:
        return str(self.path)


def identify(relpath: str) -> tuple[str, str, bool]:
    """(version, name, repeatable) for a path relative to the migrations directory."""
    rel = relpath.replace("\\", "/")
    stem = rel[:-4] if rel.lower().endswith(".sql") else rel
    parts = stem.split("/")
    if len(parts) > 1 and parts[-1].lower() == "up":
        parts = parts[:-1]
    elif parts[-1].lower().endswith(".up"):
        parts[-1] = parts[-1][:-3]
    version = "/".join(parts)
    last = parts[-1]
    m = _FLYWAY.match(last)
    if m:
        return version, m.group(3) or last, m.group(1).upper() == "R"
    return version, _LEADING_VERSION.sub("", last) or last, False


def load_directory(directory: str | Path) -> list[MigrationFile]:
    """Up-migrations in the same order `pgwarden lint` uses; down/undo files are left out."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{directory}: not a directory of migrations")
    out: list[MigrationFile] = []
    seen: dict[str, Path] = {}
    for src in discover([str(root)]):
        if src.is_down or src.path is None:
            continue
        rel = src.path.relative_to(root).as_posix()
        version, name, repeatable = identify(rel)
        if version in seen:
            raise InputError(
                f"{src.path}: same migration version {version!r} as {seen[version]}; rename one"
            )
        seen[version] = src.path
        try:
            data = src.path.read_bytes()
        except OSError as exc:
            raise InputError(f"{src.path}: cannot read: {exc.strerror or exc}") from None
        checksum = hashlib.sha256(data).hexdigest()
        out.append(MigrationFile(version, name, src.path, checksum, repeatable))
    return out


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """A migration and where it stands; `file` is None for a history row without a file."""

    version: str
    state: str  # applied, pending, changed, failed, aborted, partial, missing
    file: MigrationFile | None
    row: HistoryRow | None

    @property
    def runnable(self) -> bool:
        return self.state in ("pending", "failed", "aborted", "partial") or (
            self.state == "changed" and self.file is not None and self.file.repeatable
        )


def build_plan(files: list[MigrationFile], rows: dict[str, HistoryRow]) -> list[PlanEntry]:
    """Files in migration order, then history rows whose files are gone (`missing`)."""
    out: list[PlanEntry] = []
    for f in files:
        row = rows.get(f.version)
        if row is None:
            state = "pending"
        elif row.outcome == "applied":
            state = "applied" if row.checksum == f.checksum else "changed"
        elif row.outcome == "running" or (row.progress and row.outcome != "applied"):
            state = "partial"  # a non-transactional file stopped part-way
        else:
            state = row.outcome  # failed or aborted: will run again
        out.append(PlanEntry(f.version, state, f, row))
    known = {f.version for f in files}
    for version, row in sorted(rows.items()):
        if version not in known and row.outcome == "applied":
            out.append(PlanEntry(version, "missing", None, row))
    return out
