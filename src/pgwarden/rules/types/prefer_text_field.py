"""PW505 prefer-text-field."""

from __future__ import annotations

from pgwarden.rules.base import Severity
from pgwarden.rules.types._columns import ColumnType, ColumnTypeRule


class PreferTextField(ColumnTypeRule):
    """`varchar(n)` puts a limit in the type, where changing it later is hard.

    Why:
        In PostgreSQL `varchar(n)` is `text` with a length check: it is not faster or smaller.
        Raising the limit is a catalog-only change, but lowering it (or turning `text` into
        `varchar(n)`) checks every row under ACCESS EXCLUSIVE, and any type change takes
        that lock and trips clients. A CHECK constraint says the same thing and can be
        replaced online (`NOT VALID` then `VALIDATE`).

    Example:
        ```sql
        CREATE TABLE customers (id bigint PRIMARY KEY, name varchar(100) NOT NULL);
        ```

    Use instead:
        ```sql
        CREATE TABLE customers (
            id bigint PRIMARY KEY,
            name text NOT NULL CONSTRAINT customers_name_length CHECK (length(name) <= 100)
        );
        ```
    """

    code = "PW505"
    name = "prefer-text-field"
    category = "types"
    severity = Severity.WARNING
    peers = {"squawk": "prefer-text-field"}

    type_names = frozenset({"varchar"})

    def matches(self, ct: ColumnType) -> bool:
        return ct.type_name == "varchar" and bool(ct.typmods)

    def problem(self, ct: ColumnType) -> str:
        return "the length limit lives in the type, where changing it needs ACCESS EXCLUSIVE"

    def advice(self, ct: ColumnType) -> str:
        n = ct.typmods[0]
        return f"use text with CHECK (length({ct.column}) <= {n}) if the limit matters"
