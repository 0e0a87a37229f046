"""PW604 unused-ignore."""

from __future__ import annotations

from pgwarden.rules.base import Rule, Severity


class UnusedIgnore(Rule):
    """An `-- pgwarden: ignore[...]` directive that silenced nothing.

    Why:
        Directives outlive the code they were written for. One that matches no finding hides
        nothing today but will silently hide a future, different problem on that statement.
        The check itself runs in the lint engine, which knows which directives were used.

    Example:
        ```sql
        -- pgwarden: ignore[require-concurrent-index-creation]
        SELECT 1;
        ```

    Use instead:
        ```sql
        SELECT 1;
        ```
    """

    code = "PW604"
    name = "unused-ignore"
    category = "hygiene"
    severity = Severity.WARNING
    peers = {"squawk": "unused-ignore"}
