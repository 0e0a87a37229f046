"""--compare: the lint prediction beside what the server did, statement by statement.

A disagreement is a pre-existing relation whose strongest lock differs between prediction and
observation, or a different set of rewritten tables. Indexes and sequences are compared only when
the model names them (it does not model the index locks every DML and ALTER TABLE takes),
as tests/locks/test_live_model.py does.
"""

from __future__ import annotations

from collections import defaultdict

from pgwarden.lint import StatementOut
from pgwarden.locks.modes import LockMode
from pgwarden.trace.model import Comparison, Difference, ObservedLock, Relation

# Relation kinds always compared; others only when the prediction mentions them.
ALWAYS = frozenset({"table", "partitioned", "matview", "view", "foreign", "sequence"})
STORAGE = frozenset({"table", "matview"})


def _strongest(locks: list[tuple[str, LockMode]]) -> dict[str, LockMode]:
    out: dict[str, LockMode] = {}
    for rel, mode in locks:
        if rel not in out or mode > out[rel]:
            out[rel] = mode
    return out


def compare(
    predicted: StatementOut,
    observed: tuple[ObservedLock, ...],
    held_before: dict[str, set[LockMode]],
    existing: dict[str, Relation],
    rewrites: tuple[str, ...],
    *,
    sampled: bool,
    rows: int | None = None,
) -> Comparison:
    """Compare one statement.

    `held_before`: every mode the session held per relation when the statement started (a mode
    already held is not acquired again, so pg_locks shows nothing new for it); `existing`: the
    relations that existed when the file started, by qualified name; `rows`: the rows it wrote.
    When it wrote none, the locks foreign-key triggers and nextval() take per row were never
    needed, so they are set aside (with a note) rather than reported as missing; so is a
    per-row lock on a partition not seen (no row was routed to it, or a foreign key's check
    pruned it).
    """
    seen = {lk.relation for lk in observed}
    idle = [
        lk
        for lk in predicted.locks
        if lk.relation in existing
        and lk.per_row
        and (rows == 0 or (lk.partition_copy and lk.relation not in seen))
    ]
    pred = _strongest(
        [
            (lk.relation, LockMode[lk.mode])
            for lk in predicted.locks
            if lk.relation in existing and lk not in idle
        ]
    )
    obs = _strongest([(lk.relation, lk.mode) for lk in observed if lk.relation in existing])
    diffs: list[Difference] = []
    notes: list[str] = [
        f"{lk.relation}: {lk.mode} is taken for each row written ({lk.reason}); no row was"
        + (" (none went to this partition)" if rows != 0 else "")
        for lk in idle
        if lk.relation not in obs
    ]
    unconfirmed = False
    for rel in sorted(set(pred) | set(obs)):
        p, o = pred.get(rel), obs.get(rel)
        if p is None and existing[rel].relkind not in ALWAYS:
            continue
        if p == o:
            continue
        held = held_before.get(rel, set())
        if p is not None and p in held and (o is None or o < p):
            notes.append(f"{rel}: {p.name} was already held by an earlier statement")
            continue
        if sampled and p is not None and (o is None or o < p):
            unconfirmed = True
            notes.append(f"{rel}: predicted {p.name} was not seen in the samples")
            continue
        diffs.append(Difference(rel, "lock", p.name if p else "none", o.name if o else "none"))
    storage_before = {name for name, r in existing.items() if r.relkind in STORAGE}
    pred_rw = {r for r in predicted.rewrites if r in storage_before}
    obs_rw = {r for r in rewrites if r in storage_before}
    for rel in sorted(pred_rw ^ obs_rw):
        if rel in pred_rw:
            diffs.append(Difference(rel, "rewrite", "rewrite", "no rewrite"))
        else:
            diffs.append(Difference(rel, "rewrite", "no rewrite", "rewrite"))
    status = "disagree" if diffs else ("unconfirmed" if unconfirmed else "agree")
    return Comparison(status, tuple(diffs), tuple(notes))


def held_modes(locks: tuple[ObservedLock, ...]) -> dict[str, set[LockMode]]:
    out: dict[str, set[LockMode]] = defaultdict(set)
    for lk in locks:
        out[lk.relation].add(lk.mode)
    return dict(out)
