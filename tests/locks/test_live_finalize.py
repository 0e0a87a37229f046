"""DETACH PARTITION ... FINALIZE needs a detach left pending by an interrupted DETACH
CONCURRENTLY, which no form's setup can create: this test interrupts one, then compares what
FINALIZE holds in pg_locks with the model, as test_live_model does for the forms."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import psycopg
import pytest

from pgwarden.catalog import QualifiedName
from pgwarden.locks.forms import Form, predict
from pgwarden.locks.forms._setups import PACCT, PKSUB, PREF, PREFP, P
from pgwarden.locks.modes import LockMode

HERE = Path(__file__).parent
RELATIONS = (HERE / "relations.sql").read_text()
OWN_LOCKS = (HERE / "own_locks.sql").read_text()
PENDING = "SELECT count(*) FROM pg_inherits WHERE inhdetachpending"
WAITING = "SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted"

# (setup, partitioned table, partition): no foreign key, referenced, referenced with two
# levels, referencing (pa -> acct), and a partitioned table referencing a partitioned one.
CASES = [
    (P, "p", "p1"),
    (PREF, "pk", "pk1"),
    (PKSUB, "pk", "pk1"),
    (PACCT, "pa", "pa1"),
    (PREFP, "prefp", "prefp1"),
]


def _leave_pending(db: Any, parent: str, part: str) -> None:
    """Start DETACH CONCURRENTLY while a transaction reads the parent, so its second
    transaction waits for that reader; cancel it there: the detach stays pending."""
    with db.connect() as reader, db.connect(autocommit=True) as runner, db.connect(True) as mon:
        pid = runner.execute("SELECT pg_backend_pid()").fetchone()[0]
        runner.execute("SET statement_timeout = '60s'")
        reader.execute(f"SELECT 1 FROM {parent} LIMIT 1")
        errors: list[BaseException] = []

        def run() -> None:
            try:
                runner.execute(f"ALTER TABLE {parent} DETACH PARTITION {part} CONCURRENTLY")
            except psycopg.errors.QueryCanceled as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        done = threading.Event()
        try:
            for _ in range(4000):
                pending = mon.execute(PENDING).fetchone()[0]
                if pending and mon.execute(WAITING, (pid,)).fetchone()[0]:
                    break
                done.wait(0.005)
            else:
                pytest.fail("DETACH CONCURRENTLY never waited in its second transaction")
            mon.execute("SELECT pg_cancel_backend(%s)", (pid,))
        finally:
            thread.join()
            reader.rollback()
        assert errors, "the cancelled DETACH CONCURRENTLY did not fail"
        assert mon.execute(PENDING).fetchone()[0] == 1


@pytest.mark.parametrize(("setup", "parent", "part"), CASES, ids=[c[1] for c in CASES])
def test_finalize_matches_server(db: Any, setup: str, parent: str, part: str) -> None:
    if db.major < 14:
        pytest.skip("DETACH PARTITION CONCURRENTLY needs PostgreSQL 14")
    form = Form("finalize", f"ALTER TABLE {parent} DETACH PARTITION {part} FINALIZE", setup, "")
    with db.connect(autocommit=True) as conn:
        conn.execute(setup)
        rels = {r[0]: (QualifiedName(r[1], r[2]), r[3]) for r in conn.execute(RELATIONS)}
    _leave_pending(db, parent, part)
    with db.connect() as conn:
        pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]
        conn.execute(form.sql)
        rows = conn.execute(OWN_LOCKS, {"pid": pid}).fetchall()
        conn.rollback()
    seen: dict[QualifiedName, LockMode] = {}
    for oid, mode_name, granted in rows:
        if oid in rels and granted and rels[oid][1] in ("r", "p"):
            name, mode = rels[oid][0], LockMode[mode_name]
            seen[name] = max(mode, seen.get(name, mode))
    effect = predict(form, db.major)
    assert not effect.unknown, effect.note
    model = {lk.relation: lk.mode for lk in effect.locks if not lk.new}
    assert seen == model
    # The model's other facts: the partition is what FINALIZE locks ACCESS EXCLUSIVE.
    assert model[QualifiedName("public", part)] is LockMode.AccessExclusiveLock
