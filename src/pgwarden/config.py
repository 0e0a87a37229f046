"""Frozen settings; the only reader of `[tool.pgwarden]` (pyproject.toml) and `pgwarden.toml`."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pgwarden.errors import ConfigError
from pgwarden.locks.versions import DEFAULT_PG_VERSION, SUPPORTED_VERSIONS


@dataclass(frozen=True, slots=True)
class LintConfig:
    """What a lint run is configured with (pyproject.toml, pgwarden.toml, the command line)."""

    pg_version: int = DEFAULT_PG_VERSION
    select: frozenset[str] = frozenset()  # empty: all default rules
    ignore: frozenset[str] = frozenset()
    extend_select: frozenset[str] = frozenset()  # opt-in rules to add
    assume_in_transaction: bool = False
    runner_timeouts: bool = False  # files run under pgwarden's runner, which sets timeouts
    schema: tuple[str, ...] = ()
    cache: bool = True
    source: str = "defaults"
    options: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **kw: Any) -> LintConfig:
        return replace(self, **{k: v for k, v in kw.items() if v is not None})


_KEYS = {
    "pg-version",
    "pg_version",
    "select",
    "ignore",
    "extend-select",
    "extend_select",
    "assume-in-transaction",
    "assume_in_transaction",
    "runner-timeouts",
    "runner_timeouts",
    "schema",
    "cache",
}


def _load_toml(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        with path.open("rb") as fh:
            data: dict[str, Any] = tomllib.load(fh)
            return data
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read config: {exc}") from exc


def _mentions_pgwarden(path: Path) -> bool:
    """False when the file cannot hold a [tool.pgwarden] table: parsing it is skipped (and
    so is importing the TOML parser, on every run). An unreadable file is parsed, to say why."""
    try:
        return b"pgwarden" in path.read_bytes()
    except OSError:
        return True


def find_config(start: Path | None = None) -> tuple[Path, dict[str, Any]] | None:
    """`pgwarden.toml` or `[tool.pgwarden]` in `pyproject.toml`, walking up from `start`."""
    here = (start or Path.cwd()).resolve()
    for d in (here, *here.parents):
        own = d / "pgwarden.toml"
        if own.is_file():
            data = _load_toml(own)
            return own, data.get("tool", {}).get("pgwarden", data)
        py = d / "pyproject.toml"
        if py.is_file() and _mentions_pgwarden(py):
            data = _load_toml(py)
            section = data.get("tool", {}).get("pgwarden")
            if section is not None:
                return py, section
    return None


def _rule_list(path: Path, key: str, value: Any) -> frozenset[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: `{key}` must be a list of rule names or codes")
    return frozenset(value)


def load_config(start: Path | None = None) -> LintConfig:
    found = find_config(start)
    if found is None:
        return LintConfig()
    path, section = found
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [tool.pgwarden] must be a table")
    unknown = set(section) - _KEYS
    if unknown:
        raise ConfigError(
            f"{path}: unknown key(s) in [tool.pgwarden]: {', '.join(sorted(unknown))}"
        )
    cfg: dict[str, Any] = {"source": str(path)}
    for key, value in section.items():
        k = key.replace("-", "_")
        if k == "pg_version":
            cfg[k] = parse_pg_version(value, f"{path}: pg-version")
        elif k in ("select", "ignore", "extend_select"):
            cfg[k] = _rule_list(path, key, value)
        elif k in ("assume_in_transaction", "runner_timeouts", "cache"):
            if not isinstance(value, bool):
                raise ConfigError(f"{path}: `{key}` must be true or false")
            cfg[k] = value
        elif k == "schema":
            vals = [value] if isinstance(value, str) else value
            if not isinstance(vals, list):
                raise ConfigError(f"{path}: `schema` must be a path or a list of paths")
            cfg[k] = tuple(str(path.parent / v) for v in vals)
    return LintConfig(**cfg)


def parse_pg_version(value: Any, where: str = "--pg-version") -> int:
    try:
        major = int(str(value).split(".")[0])
    except ValueError:
        raise ConfigError(
            f"{where}: expected a PostgreSQL major version such as 15, got {value!r}"
        ) from None
    if major not in SUPPORTED_VERSIONS:
        raise ConfigError(
            f"{where}: PostgreSQL {major} is not supported; use {SUPPORTED_VERSIONS.start}"
            f" to {SUPPORTED_VERSIONS.stop - 1}"
        )
    return major
