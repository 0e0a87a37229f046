"""PW508 ban-domain-constraint."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules._facts import column_ref, on_existing
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock


class BanDomainConstraint(Rule):
    """CHECK constraints on domains are hard to change without blocking the tables that use them.

    Why:
        A domain's constraint applies to every column of that type in every table. Adding or
        changing one (`ALTER DOMAIN ... ADD CONSTRAINT`) checks all of those columns while
        holding a SHARE lock on each table, blocking their writes, and adding a column of a
        constrained domain to an existing table rewrites it. A CHECK constraint on the table
        does the same job and can be added online (`NOT VALID`, then `VALIDATE`).

    Example:
        ```sql
        CREATE DOMAIN email AS text CHECK (VALUE LIKE '%@%');
        ```

    Use instead:
        ```sql
        CREATE TABLE users (
            id bigint PRIMARY KEY,
            email text NOT NULL CONSTRAINT users_email_check CHECK (email LIKE '%@%')
        );
        ```
    """

    code = "PW508"
    name = "ban-domain-constraint"
    causes = ("domain-constraint", "rewrite:domain-constraint")
    category = "types"
    severity = Severity.WARNING
    aliases = ("ban-create-domain-with-constraint", "ban-alter-domain-with-add-constraint")
    peers = {
        "squawk": "ban-create-domain-with-constraint, ban-alter-domain-with-add-constraint",
    }

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        help = "put a CHECK constraint on each table instead (added NOT VALID, then VALIDATE)"
        for cause in a.effect.find("domain-constraint"):
            if a.stmt.kind == "CreateDomainStmt":
                yield self.finding(
                    a,
                    f"domain {cause.detail} has a CHECK constraint: changing it later checks "
                    "every column of the domain in every table while blocking their writes",
                    help,
                )
                continue
            locked = [lk for lk in a.effect.existing_locks()]
            if locked:
                tables = ", ".join(f"{lk.relation}" for lk in locked)
                yield self.finding(
                    a,
                    f"adding a constraint to domain {cause.detail} checks every row of "
                    f"{tables} under {describe_lock(locked[0].mode)}",
                    help,
                )
            else:
                yield self.finding(
                    a,
                    f"adding a constraint to domain {cause.detail}: every table using it is "
                    "checked (and blocked for writes) when it is validated",
                    help,
                )
        for cause, lk in on_existing(a, "rewrite:domain-constraint"):
            yield self.finding(
                a,
                f"adding {column_ref(cause)} of a constrained domain rewrites {lk.relation} "
                f"under {describe_lock(lk.mode)}: {cause.detail}",
                "use the domain's base type and a CHECK constraint added NOT VALID, then VALIDATE",
            )
