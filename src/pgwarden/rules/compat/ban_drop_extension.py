"""PW314 ban-drop-extension."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity
from pgwarden.rules.compat._objects import EXTENSION, created_before, drop_objects, is_cascade
from pgwarden.sql.nodes import enum_name


class BanDropExtension(Rule):
    """Dropping an extension removes its functions, types and operators at once.

    Why:
        Everything the extension installed goes with it: functions the application calls
        (`gen_random_uuid()` from pgcrypto before PostgreSQL 13, `similarity()` from pg_trgm),
        types its columns use (`citext`, `hstore`), operator classes its indexes use. Without
        CASCADE the drop fails while a column, index or default depends on it; with CASCADE,
        PostgreSQL drops those columns, indexes and defaults too.

    Example:
        ```sql
        DROP EXTENSION pg_trgm CASCADE;
        ```

    Use instead:
        ```sql
        COMMENT ON EXTENSION pg_trgm IS 'unused since v42; dropped in the next release';
        ```

    Notes:
        pgwarden does not track what an extension installs or what uses it. An extension
        created earlier in the same file is not flagged. Remove every use first, then drop it
        with `-- pgwarden: ignore[ban-drop-extension]`.
    """

    code = "PW314"
    name = "ban-drop-extension"
    kinds = frozenset({"DropStmt"})
    category = "compat"
    severity = Severity.WARNING
    peers = {"squawk": "ban-drop-extension"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        if a.stmt.kind not in self.kinds:
            return
        if enum_name(a.stmt.node.removeType) != "OBJECT_EXTENSION":
            return
        created = created_before(a, ctx, EXTENSION)
        also = (
            " and the columns, indexes and defaults that use them (CASCADE)"
            if is_cascade(a.stmt.node)
            else ""
        )
        for name, _obj in drop_objects(a.stmt.node):
            if name in created:
                continue
            yield self.finding(
                a,
                f"dropping extension {name} removes its functions, types and operators{also}: "
                "running code that uses them breaks",
                "remove every use of the extension in a release first, then drop it",
            )
