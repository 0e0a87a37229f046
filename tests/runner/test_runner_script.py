"""How a file becomes units, targets and timeouts (lock model, no database)."""

from __future__ import annotations

from pathlib import Path

import pytest
from _runner_helpers import write_migrations

from pgwarden.errors import InputError
from pgwarden.locks.modes import LockMode
from pgwarden.runner.plan import load_directory
from pgwarden.runner.policy import Policy
from pgwarden.runner.script import Script, build_script, model_version

PG18 = 180000


def _script(tmp_path: Path, sql: str, policy: Policy | None = None, server: int = PG18) -> Script:
    write_migrations(tmp_path, {"0001_x.sql": sql})
    (f,) = load_directory(tmp_path)
    return build_script(f, server, policy or Policy())


def test_transactional_file_is_one_unit_with_traffic_blocking_targets(tmp_path: Path) -> None:
    s = _script(
        tmp_path,
        "BEGIN;\nCREATE TABLE n (id int);\nALTER TABLE n ADD COLUMN x int;\n"
        "ALTER TABLE orders ADD COLUMN y int;\n"
        "ALTER TABLE items ADD CONSTRAINT fk FOREIGN KEY (o) REFERENCES orders (id);\nCOMMIT;\n",
    )
    assert s.transactional
    (unit,) = s.units
    assert unit.transactional
    assert [st.line for st in unit.steps] == [2, 3, 4, 5]  # BEGIN/COMMIT belong to the runner
    targets = {(str(t.relation), t.mode) for t in unit.targets}
    assert targets == {
        ("public.orders", LockMode.AccessExclusiveLock),
        ("public.items", LockMode.ShareRowExclusiveLock),
    }
    # New tables are nobody's traffic; orders is already held (ACCESS EXCLUSIVE) by step 4,
    # so the FK step only needs to wait for items.
    assert unit.steps[1].targets == ()
    assert {str(t.relation) for t in unit.steps[3].targets} == {"public.items"}
    assert [st.lock_timeout for st in unit.steps] == [0.0, 0.0, 0.05, 0.05]


def test_concurrent_statements_make_the_file_non_transactional(tmp_path: Path) -> None:
    s = _script(
        tmp_path,
        "ALTER TABLE t ADD COLUMN c int;\n"
        "CREATE INDEX CONCURRENTLY t_c ON t (c);\n"
        "BEGIN;\nUPDATE t SET c = 1 WHERE id = 1;\nUPDATE t SET c = 2 WHERE id = 2;\nCOMMIT;\n"
        "VACUUM t;\n",
        Policy(statement_timeout=5, long_statement_timeout=600),
    )
    assert not s.transactional
    assert [(len(u.steps), u.transactional) for u in s.units] == [
        (1, False),
        (1, False),
        (2, True),
        (1, False),
    ]
    alter, cic, _, vacuum = (u.steps[0] for u in s.units)
    assert (alter.lock_timeout, alter.statement_timeout) == (0.05, 5)
    # SHARE UPDATE EXCLUSIVE does not block traffic: no lock_timeout, the long timeout.
    assert (cic.lock_timeout, cic.statement_timeout) == (0.0, 600)
    assert cic.index_build is not None and cic.index_build.index == '"t_c"'
    assert (vacuum.lock_timeout, vacuum.statement_timeout) == (0.0, 600)


def test_add_value_runs_in_the_transaction_on_supported_servers(tmp_path: Path) -> None:
    # ALTER TYPE ... ADD VALUE left transactions in PG 12; older servers are modelled as 12.
    assert _script(tmp_path, "ALTER TYPE mood ADD VALUE 'meh';\n").transactional
    assert (model_version(110000), model_version(180006), model_version(190000)) == (12, 18, 18)


def test_prefix_checksum_identifies_done_units(tmp_path: Path) -> None:
    a = _script(tmp_path, "VACUUM a;\nVACUUM b;\n")
    b = _script(tmp_path, "VACUUM a;\nVACUUM c;\n")
    assert a.prefix_checksum(1) == b.prefix_checksum(1)
    assert a.prefix_checksum(2) != b.prefix_checksum(2)


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1;\nROLLBACK;\n", r"0001_x.sql:2:1: ROLLBACK in a migration file"),
        (
            "BEGIN;\nCREATE INDEX CONCURRENTLY i ON t (a);\nCOMMIT;\n",
            r"0001_x.sql:2:1: CREATE INDEX CONCURRENTLY cannot run inside BEGIN",
        ),
        ("VACUUM t;\nBEGIN;\nSELECT 1;\n", r"BEGIN without COMMIT"),
        ("SELECT 1;\nALTER TABLE t ADD COLUMN;\n", r"0001_x.sql:2:\d+: "),
    ],
)
def test_bad_files_are_refused_with_a_location(tmp_path: Path, sql: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        _script(tmp_path, sql)
