"""PW504 prefer-timestamptz."""

from __future__ import annotations

from pgwarden.rules.base import Severity
from pgwarden.rules.types._columns import ColumnType, ColumnTypeRule


class PreferTimestamptz(ColumnTypeRule):
    """`timestamp` (without time zone) drops the offset; `timestamptz` stores an instant.

    Why:
        `timestamp without time zone` stores wall-clock digits and throws away which zone
        they were in. Values written by servers or clients in different time zones, or across
        a daylight-saving change, can no longer be compared or converted correctly.
        `timestamptz` stores an absolute instant (in UTC) and converts on display; it costs
        the same 8 bytes.

    Example:
        ```sql
        CREATE TABLE logins (id bigint PRIMARY KEY, at timestamp NOT NULL);
        ```

    Use instead:
        ```sql
        CREATE TABLE logins (id bigint PRIMARY KEY, at timestamptz NOT NULL);
        ```
    """

    code = "PW504"
    name = "prefer-timestamptz"
    category = "types"
    severity = Severity.WARNING
    aliases = ("prefer-timestamp-tz",)
    peers = {"squawk": "prefer-timestamp-tz"}

    type_names = frozenset({"timestamp"})

    def matches(self, ct: ColumnType) -> bool:
        return ct.type_name == "timestamp"

    def problem(self, ct: ColumnType) -> str:
        return "it stores no time zone, so values from different zones cannot be compared"

    def advice(self, ct: ColumnType) -> str:
        mods = f"({ct.typmods[0]})" if ct.typmods else ""
        return f"use timestamptz{mods}"
