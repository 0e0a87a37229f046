"""PW109 ban-exclusion-constraint."""

from __future__ import annotations

from collections.abc import Iterator

from pgwarden.locks.session import Analysed
from pgwarden.rules.base import FileContext, Finding, Rule, Severity, describe_lock
from pgwarden.rules.locking._common import hurting, lock_on


class BanExclusionConstraint(Rule):
    """An EXCLUDE constraint added to an existing table builds its index under ACCESS EXCLUSIVE.

    Why:
        An exclusion constraint is backed by an index that ALTER TABLE builds while holding
        ACCESS EXCLUSIVE: no reads and no writes until every row has been indexed and
        checked. Unlike UNIQUE, there is no `USING INDEX` form, so there is no online way to
        add one to a table in use.

    Schema:
        ```sql
        CREATE TABLE bookings (id bigint PRIMARY KEY, room int, during tsrange);
        ```

    Example:
        ```sql
        ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap
            EXCLUDE USING gist (during WITH &&);
        ```

    Use instead:
        ```sql
        CREATE TABLE room_bookings (
            id bigint PRIMARY KEY,
            during tsrange,
            CONSTRAINT room_bookings_no_overlap EXCLUDE USING gist (during WITH &&)
        );
        ```

    Notes:
        Declare exclusion constraints when the table is created, or add them in a maintenance
        window; a trigger that checks overlaps is an alternative for a table already in use.
    """

    code = "PW109"
    name = "ban-exclusion-constraint"
    causes = ("exclusion-constraint",)
    category = "locking"
    severity = Severity.ERROR
    since = "0.1.0"
    peers = {"eugene": "E8", "strong_migrations": "add_exclusion_constraint"}

    def check(self, a: Analysed, ctx: FileContext) -> Iterator[Finding]:
        for cause in a.effect.find("exclusion-constraint"):
            lk = lock_on(a, cause.relation)
            if lk is None or not hurting(lk):
                continue
            yield self.finding(
                a,
                f"ADD EXCLUDE builds its index on {lk.relation} while holding "
                f"{describe_lock(lk.mode)}, and there is no online alternative",
                "declare the exclusion constraint when the table is created, or schedule a "
                "maintenance window",
            )
