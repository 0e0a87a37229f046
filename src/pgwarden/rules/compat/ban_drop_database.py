"""PW303 ban-drop-database."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class BanDropDatabase(Rule):
    """DROP DATABASE in a migration deletes a whole database.

    Why:
        A migration runs against every environment, production included. DROP DATABASE
        removes every table and row of that database at once, cannot run inside a transaction
        (so it cannot be rolled back) and fails while anyone is connected, or with FORCE
        disconnects them. It belongs in an operator's hands, not in a migration file.

    Example:
        ```sql
        DROP DATABASE analytics;
        ```

    Use instead:
        ```sql
        COMMENT ON DATABASE analytics IS 'retired: drop by hand after the final backup';
        ```
    """

    code = "PW303"
    name = "ban-drop-database"
    causes = ("compat:drop-database",)
    category = "compat"
    severity = Severity.ERROR
    peers = {"squawk": "ban-drop-database"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("compat:drop-database"):
            yield self.finding(
                a,
                f"DROP DATABASE {cause.detail} deletes the whole database and cannot be rolled "
                "back",
                "drop databases by hand, after a backup, outside migrations",
            )
