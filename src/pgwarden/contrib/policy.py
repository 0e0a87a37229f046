"""The runner's lock policy from a framework's settings (`settings.PGWARDEN`, env.py arguments)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import fields, replace
from typing import Any

from pgwarden.errors import ConfigError, PgwardenError
from pgwarden.runner.policy import Policy, parse_duration

# Key -> Policy field. The keys are the long option names of `pgwarden migrate` with `_`;
# `idle_timeout` is the option's name for idle_in_transaction_timeout.
KEYS: dict[str, str] = {
    "lock_timeout": "lock_timeout",
    "max_wait": "max_wait",
    "max_queue": "max_queue",
    "statement_timeout": "statement_timeout",
    "long_statement_timeout": "long_statement_timeout",
    "idle_timeout": "idle_in_transaction_timeout",
    "idle_in_transaction_timeout": "idle_in_transaction_timeout",
    "backoff_base": "backoff_base",
    "backoff_cap": "backoff_cap",
}
_NULLABLE = {"statement_timeout", "long_statement_timeout"}


def _seconds(value: Any, where: str) -> float | None:
    """`"50ms"`, `"2s"`, `0.05` (seconds) or None (only where the policy allows it)."""
    if value is None:
        return None
    if isinstance(value, float | int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except PgwardenError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    raise ConfigError(f"{where}: expected a duration such as '50ms' or '2s', got {value!r}")


def policy_from(
    options: Mapping[str, Any] | Policy | None,
    where: str,
    *,
    other_keys: Collection[str] = (),
) -> Policy:
    """A Policy from a mapping of duration options; defaults for what is not given.

    Unknown keys are an error naming `where` (e.g. `settings.PGWARDEN`), except `other_keys`,
    which belong to another part of pgwarden (the lint settings in the same dict).
    """
    if isinstance(options, Policy):
        return options
    options = options or {}
    if not isinstance(options, Mapping):
        raise ConfigError(f"{where} must be a dict, not {type(options).__name__}")
    values: dict[str, Any] = {}
    for key, value in options.items():
        if key in other_keys:
            continue
        target = KEYS.get(key)
        if target is None:
            known = ", ".join(sorted(KEYS))
            raise ConfigError(f"{where}: unknown key {key!r} (lock policy keys: {known})")
        seconds = _seconds(value, f"{where}[{key!r}]")
        if seconds is None and target not in _NULLABLE:
            raise ConfigError(f"{where}[{key!r}]: a duration is required (use 0 for none)")
        values[target] = seconds
    try:
        return replace(Policy(), **values)
    except PgwardenError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def defaults() -> dict[str, Any]:
    """Each key's default (for docs and `--help`)."""
    policy = Policy()
    by_field = {f.name: getattr(policy, f.name) for f in fields(Policy)}
    return {key: by_field[target] for key, target in KEYS.items()}
