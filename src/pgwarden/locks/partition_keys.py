"""Foreign keys that follow a partition into and out of its partitioned table.

A partition carries a copy of every foreign key its partitioned table (or an ancestor) has,
and every foreign key pointing at the partitioned table has a copy pointing at the partition,
with its triggers. ATTACH PARTITION and CREATE TABLE ... PARTITION OF create those copies;
DETACH PARTITION first reads each referencing table in full for rows still pointing at the
partition (ATDetachCheckNoForeignKeyRefs; FINALIZE relies on the interrupted CONCURRENTLY
having done so), then drops the copies pointing at it (RemoveConstraintById: ACCESS
EXCLUSIVE on the referencing table) and turns the partition's own copies into standalone
keys. Observed with pg_locks on PostgreSQL 15 and 18 (forms in locks/forms/alter_table.py and
ddl.py; FINALIZE in tests/locks/test_live_finalize.py).
"""

from __future__ import annotations

from typing import Literal

from pgwarden.catalog import QualifiedName
from pgwarden.locks.context import Context
from pgwarden.locks.effects import Effect
from pgwarden.locks.modes import LockMode as M

Step = Literal["attach", "create", "detach", "finalize"]


def ancestors(ctx: Context, parent: QualifiedName) -> list[QualifiedName]:
    """The partitioned table, then the tables it is itself a partition of."""
    out = [parent]
    t = ctx.table(parent)
    while t is not None and t.parent is not None and t.parent not in out:
        up = ctx.table(t.parent)
        if up is None or t.name not in up.partitions:
            break  # an inheritance parent: foreign keys are not inherited
        out.append(up.name)
        t = up
    return out


def partition_keys(
    ctx: Context, eff: Effect, parent: QualifiedName, part: QualifiedName, step: Step
) -> None:
    """Lock the other side of every foreign key the partition gains or loses."""
    chain = ancestors(ctx, parent)
    tree = {q for a in chain for q in ctx.each_partition_tree(a)}
    adding = step in ("attach", "create")
    for a in chain:
        t = ctx.table(a)
        for fk in t.foreign_keys() if t is not None else ():
            if fk.references is None or fk.references in tree:
                continue
            # The partition's copy of the key gets (or, detached, keeps as its own) triggers on
            # the referenced table and each of its partitions.
            ctx.lock(
                eff,
                fk.references,
                M.ShareRowExclusiveLock,
                f"referenced by {a}'s foreign key {fk.name}, "
                + (f"copied to {part}" if adding else f"which {part} keeps as its own"),
            )
        for other, fk in ctx.catalog.referencing(a):
            if other.name in tree:
                continue
            if adding:
                ctx.lock(
                    eff,
                    other.name,
                    M.ShareRowExclusiveLock,
                    f"its foreign key {fk.name} gains a copy pointing at {part}",
                    recurse=False,
                )
                continue
            if step == "detach":
                # Rows still pointing at the partition are looked for first (ShareLock on the
                # referencing table, a query reading it and its partitions).
                ctx.lock(eff, other.name, M.AccessShareLock, f"checked for rows referencing {part}")
                ctx.scan(eff, other.name)
                if a != parent:
                    ctx.lock(
                        eff,
                        a,
                        M.AccessShareLock,
                        f"referenced by {other.name}'s foreign key {fk.name}",
                        recurse=False,
                    )
            ctx.lock(
                eff,
                other.name,
                M.AccessExclusiveLock,
                f"its foreign key {fk.name} loses the copy pointing at {part}",
                recurse=False,
            )
            eff.cause("foreign-key-copy-dropped", other.name, fk.name)
