"""PW506 ban-char-field."""

from __future__ import annotations

from pgwarden.rules.base import Severity
from pgwarden.rules.types._columns import ColumnType, ColumnTypeRule


class BanCharField(ColumnTypeRule):
    """`char(n)` pads values with spaces; it is almost never what you want.

    Why:
        `character(n)` blank-pads every value to n characters, ignores trailing spaces in
        comparisons but not in `LIKE` or when converted to text, and is no faster than `text`
        in PostgreSQL. A bare `char` is `char(1)`. Fixed-width codes are better stored as
        `text` with a CHECK on their length.

    Example:
        ```sql
        CREATE TABLE countries (id bigint PRIMARY KEY, code char(2) NOT NULL);
        ```

    Use instead:
        ```sql
        CREATE TABLE countries (
            id bigint PRIMARY KEY,
            code text NOT NULL CONSTRAINT countries_code_length CHECK (length(code) = 2)
        );
        ```

    Notes:
        The one-byte internal type `"char"` (quoted) is not flagged.
    """

    code = "PW506"
    name = "ban-char-field"
    category = "types"
    severity = Severity.WARNING
    peers = {"squawk": "ban-char-field"}

    type_names = frozenset({"bpchar"})

    def matches(self, ct: ColumnType) -> bool:
        # `"char"` parses to the name `char` (the internal one-byte type); `char(n)` to bpchar.
        return ct.type_name == "bpchar" and ct.written[-1:] != ("char",)

    def problem(self, ct: ColumnType) -> str:
        return "values are blank-padded, which surprises comparisons and clients"

    def advice(self, ct: ColumnType) -> str:
        return "use text (with a CHECK on length if the width matters)"
