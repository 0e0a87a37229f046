"""PW605 unknown-statement."""

from __future__ import annotations

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity


class UnknownStatement(Rule):
    """pgwarden cannot tell which locks this statement takes.

    Why:
        The lock model covers DDL, DML and maintenance statements; a statement it does not
        model (a DO block, CALL, an unusual subcommand) could take any lock. It is reported as
        unknown rather than passed as safe. Check it with `pgwarden trace`, which runs it on a
        throwaway server and reads the real locks.

    Example:
        ```sql
        DO $$ BEGIN PERFORM 1; END $$;
        ```

    Use instead:
        ```sql
        SELECT 1;
        ```
    """

    code = "PW605"
    name = "unknown-statement"
    category = "hygiene"
    severity = Severity.WARNING
    peers = {}

    # A list, not a generator, as in every rule that runs on every statement: ~15% cheaper
    # to call when it finds nothing, which is nearly always.
    def check(self, a: Analysed, ctx: FileContext) -> list[Finding]:
        if not a.effect.unknown:
            return []
        return [
            self.finding(
                a,
                a.effect.note or f"{a.effect.kind}: locks unknown",
                "run `pgwarden trace` on this file to observe its real locks",
            )
        ]
