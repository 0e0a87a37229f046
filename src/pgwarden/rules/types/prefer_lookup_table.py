"""PW509 prefer-lookup-table."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.sql.nodes import list_qname


class PreferLookupTable(Rule):
    """An enum type is hard to change later: prefer a lookup table with a foreign key.

    Why:
        Values can be added to an enum but never removed or reordered without creating a new
        type and converting every column that uses it (a table rewrite under ACCESS
        EXCLUSIVE, see changing-column-type). Adding a value cannot be used in the transaction
        that adds it (enum-add-value-pitfalls), and no other data (a label, a sort key, an
        "active" flag) can hang off a value. A small lookup table referenced by a foreign key
        changes with ordinary INSERT and DELETE.

    Example:
        ```sql
        CREATE TYPE document_type AS ENUM ('invoice', 'receipt', 'other');
        ```

    Use instead:
        ```sql
        CREATE TABLE document_types (name text PRIMARY KEY);
        INSERT INTO document_types VALUES ('invoice'), ('receipt'), ('other');
        CREATE TABLE documents (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            type text NOT NULL REFERENCES document_types
        );
        ```

    Notes:
        Opt-in: an enum is fine for a closed set of values that will only ever grow (ORMs such
        as Prisma create one per model enum). A `CHECK (type IN (...))` constraint is another
        option: it can be replaced with NOT VALID and validated without a long lock.
    """

    code = "PW509"
    name = "prefer-lookup-table"
    aliases = ("creating-enum",)
    kinds = frozenset({"CreateEnumStmt"})
    category = "types"
    severity = Severity.WARNING
    opt_in = True
    peers = {"eugene": "W13"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        enum = list_qname(a.stmt.node.typeName)
        yield self.finding(
            a,
            f"enum {enum} can gain values but never lose or reorder them without converting "
            "every column that uses it",
            "use a lookup table referenced by a foreign key (or a CHECK constraint)",
        )
