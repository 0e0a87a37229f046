"""A real Alembic project: offline SQL piped into `pgwarden lint`, online runs against Postgres."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytest.importorskip("alembic", reason="Alembic is in the dev extra")
sqlalchemy = pytest.importorskip("sqlalchemy", reason="SQLAlchemy is in the dev extra")


from _integration_helpers import CAPTURE, sqlalchemy_url  # noqa: E402

from pgwarden.contrib.alembic import session_statements  # noqa: E402
from pgwarden.errors import UsageError  # noqa: E402

PROJECT = Path(__file__).parent / "alembic_project"
CREATE, UNSAFE, SAFE = "5a1f0c3e2b7d", "9c2e4b8d1a63", "d41b7e0f8c25"
RUNNING = re.compile(r"^-- Running upgrade (\S*) -> (\S+)")
TIMEOUT = 120  # seconds; a migration stuck on a lock fails the test instead of hanging it
SESSION_ONLY = ("-x", "pgwarden=session")  # env.py: configure_session() instead of the guard


def alembic_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "alembic", "-c", str(PROJECT / "alembic.ini"), *args]


def alembic(*args: str, url: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ}
    if url is not None:
        env["DATABASE_URL"] = url
    return subprocess.run(
        alembic_argv(*args), capture_output=True, text=True, timeout=TIMEOUT, cwd=PROJECT, env=env
    )


def offline_sql(*args: str) -> str:
    r = alembic(*args, "--sql")
    assert r.returncode == 0, r.stderr
    return r.stdout


def pipe_to_lint(alembic_args: list[str], lint_args: list[str]) -> tuple[int, str, str]:
    """`alembic ... --sql | pgwarden lint ... -` as a real pipeline of two processes."""
    producer = subprocess.Popen(
        alembic_argv(*alembic_args, "--sql"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=PROJECT,
    )
    assert producer.stdout is not None
    try:
        lint = subprocess.run(
            [sys.executable, "-m", "pgwarden", "lint", *lint_args, "-"],
            stdin=producer.stdout,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    finally:
        producer.stdout.close()
        assert producer.wait(timeout=TIMEOUT) == 0
    return lint.returncode, lint.stdout, lint.stderr


def revision_at(script: str, line: int) -> str | None:
    """The revision whose `-- Running upgrade a -> b` comment last precedes `line` (1-based)."""
    current = None
    for n, text in enumerate(script.splitlines(), start=1):
        if n > line:
            break
        m = RUNNING.match(text)
        if m:
            current = m.group(2)
    return current


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    [f] = report["files"]
    return [x for s in f["statements"] for x in s["findings"]] + f["findings"]


# --- offline: alembic upgrade --sql | pgwarden lint - -------------------------------------------


def test_whole_history_creates_its_tables_so_nothing_blocks() -> None:
    # From an empty database the index and the type change hit tables created earlier in the same
    # transaction: nobody else can see them yet, so no lock is a hazard.
    code, out, err = pipe_to_lint(["upgrade", "head"], ["--format", "json"])
    assert code == 0, out + err
    rules = {x["rule"] for x in findings(json.loads(out))}
    assert not rules & {"require-concurrent-index-creation", "changing-column-type"}


def test_unsafe_revision_is_flagged_and_named_by_its_comment() -> None:
    code, out, err = pipe_to_lint(["upgrade", f"{CREATE}:head"], ["--format", "json"])
    assert code == 1, out + err
    found = findings(json.loads(out))
    by_rule = {x["rule"]: x for x in found}
    assert "public.orders" in by_rule["require-concurrent-index-creation"]["message"]
    assert "public.orders.id" in by_rule["changing-column-type"]["message"]
    # env.py writes session_statements() first, so the script sets lock_timeout itself.
    assert "require-lock-timeout" not in by_rule
    script = offline_sql("upgrade", f"{CREATE}:head")
    errors = [x for x in found if x["severity"] == "error"]
    assert {revision_at(script, x["line"]) for x in errors} == {UNSAFE}
    # ... and each message names it too, so a piped script's findings need no mapping.
    assert all(x["message"].startswith(f"revision {UNSAFE}: ") for x in errors), errors


def test_range_after_the_unsafe_revision_passes() -> None:
    code, out, err = pipe_to_lint(["upgrade", f"{UNSAFE}:head"], [])
    assert code == 0, out + err
    assert "CONCURRENTLY" in offline_sql("upgrade", f"{UNSAFE}:head")


def test_earlier_revisions_as_schema_make_findings_exact(tmp_path: Path) -> None:
    schema = tmp_path / "schema.sql"
    schema.write_text(offline_sql("upgrade", CREATE))
    code, out, err = pipe_to_lint(
        ["upgrade", f"{CREATE}:head"], ["--format", "json", "--schema", str(schema)]
    )
    assert code == 1, out + err
    [change] = [x for x in findings(json.loads(out)) if x["rule"] == "changing-column-type"]
    assert "int4 -> int8" in change["message"]
    assert "unknown" not in change["message"]


def test_text_report_quotes_the_offending_line() -> None:
    code, out, _ = pipe_to_lint(["upgrade", f"{CREATE}:head"], ["--no-cache"])
    assert code == 1
    assert "CREATE INDEX ix_orders_account_id ON orders (account_id)" in out
    assert "(require-concurrent-index-creation)" in out


def test_session_statements_quote_and_validate() -> None:
    assert session_statements(application_name="it's") == [
        "SET lock_timeout = '50ms'",
        "SET application_name = 'it''s'",
    ]
    assert session_statements(lock_timeout=None, statement_timeout=5000, application_name=None) == [
        "SET statement_timeout = '5000'"
    ]
    with pytest.raises(UsageError, match="lock_timeout='50 parsecs'"):
        session_statements(lock_timeout="50 parsecs")


# --- online: configure_session() on the migration connection ----------------------------------


def version(conn: psycopg.Connection[Any]) -> str | None:
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


@pytest.mark.pg
def test_migrations_run_with_the_session_settings(db: Any) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute(CAPTURE)  # the server records the settings each DDL statement ran under
        r = alembic(*SESSION_ONLY, "upgrade", "head", url=sqlalchemy_url(db.dsn))
        assert r.returncode == 0, r.stderr
        assert version(conn) == SAFE  # committed: configure_session left no open transaction
        rows = conn.execute("SELECT command, lock_timeout, statement_timeout, app FROM seen")
        seen = rows.fetchall()
    commands = [c for c, *_ in seen]
    assert "ALTER TABLE" in commands and "CREATE INDEX" in commands
    # Every statement, including the one after autocommit_block() switched transactions.
    assert {(lt, app) for _, lt, _, app in seen} == {("50ms", "pgwarden-alembic")}


@pytest.mark.pg
def test_x_argument_overrides_lock_timeout(db: Any) -> None:
    with db.connect(autocommit=True) as conn:
        conn.execute(CAPTURE)
        r = alembic(
            *SESSION_ONLY, "-x", "lock_timeout=3s", "upgrade", CREATE, url=sqlalchemy_url(db.dsn)
        )
        assert r.returncode == 0, r.stderr
        assert {lt for (lt,) in conn.execute("SELECT lock_timeout FROM seen")} == {"3s"}


def hold_access_share(db: Any) -> psycopg.Connection[Any]:
    """A reader in a long transaction: ACCESS SHARE on orders until it ends."""
    blocker = db.connect()
    blocker.execute("SELECT count(*) FROM orders").fetchone()
    return blocker


@pytest.mark.pg
def test_blocked_alter_fails_fast_and_rolls_back(db: Any) -> None:
    url = sqlalchemy_url(db.dsn)
    assert alembic("upgrade", CREATE, url=url).returncode == 0
    blocker = hold_access_share(db)
    try:
        r = alembic(*SESSION_ONLY, "upgrade", "head", url=url)
    finally:
        blocker.rollback()
        blocker.close()
    assert r.returncode != 0
    assert "canceling statement due to lock timeout" in r.stderr
    assert "ALTER TABLE orders ALTER COLUMN id TYPE BIGINT" in r.stderr
    with db.connect(autocommit=True) as conn:
        assert version(conn) == CREATE  # transactional DDL: the revision's index went too
        indexes = conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'orders'")
        assert [n for (n,) in indexes] == ["orders_pkey"]
    assert alembic("upgrade", "head", url=url).returncode == 0  # rerun once the reader is gone


@pytest.mark.pg
def test_without_lock_timeout_the_alter_queues_behind_the_reader(db: Any) -> None:
    # The counterfactual: lock_timeout=0 (no limit) and the migration waits in the lock queue,
    # where every later query on orders would wait behind it.
    url = sqlalchemy_url(db.dsn)
    assert alembic("upgrade", CREATE, url=url).returncode == 0
    blocker = hold_access_share(db)
    proc = subprocess.Popen(
        alembic_argv(*SESSION_ONLY, "-x", "lock_timeout=0", "upgrade", "head"),
        cwd=PROJECT,
        env={**os.environ, "DATABASE_URL": url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with db.connect(autocommit=True) as watcher:
            waiting = None
            deadline = time.monotonic() + TIMEOUT
            while waiting is None and proc.poll() is None and time.monotonic() < deadline:
                waiting = watcher.execute(
                    "SELECT query FROM pg_stat_activity"
                    " WHERE application_name = 'pgwarden-alembic' AND wait_event_type = 'Lock'"
                ).fetchone()
                time.sleep(0.05)
        assert waiting is not None, "the migration never waited for the lock"
        assert "ALTER COLUMN id TYPE BIGINT" in waiting[0]
    finally:
        blocker.rollback()
        blocker.close()
        _, err = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, err
