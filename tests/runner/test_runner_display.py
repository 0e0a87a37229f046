"""What people see: log lines per event, the live panel, JSON lines."""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
from pathlib import Path

from _runner_helpers import Blocker, Db18, wait_until, write_migrations
from rich.console import Console

from pgwarden.report.runner_json import JsonLinesSink
from pgwarden.report.runner_text import LiveSink, PlainSink, format_event
from pgwarden.runner import events as ev
from pgwarden.runner import migrate

DUMP = ev.BlockerInfo(
    pid=24484,
    application_name="pg_dump",
    backend_type="client backend",
    state="active",
    relation="public.orders",
    mode="AccessShareLock",
    xact_age=612.0,
    query="COPY public.orders (id, total) TO stdout;",
)


def test_waiting_line_names_the_backup_and_its_age() -> None:
    line = format_event(ev.Waiting("0002_drop", 3, (DUMP,), time.time() - 5))
    assert line is not None
    assert "0002_drop:3: waiting for locks without queueing" in line
    assert "pid 24484 `pg_dump` (backup)" in line
    assert "holds AccessShareLock on public.orders" in line and "10 m 12 s" in line


def test_provider_backups_are_recognised() -> None:
    heroku = ev.BlockerInfo(pid=1, application_name="Heroku Postgres Backups")
    copy = ev.BlockerInfo(pid=2, query='COPY "public"."t" ("id") TO stdout;')
    app = ev.BlockerInfo(pid=3, application_name="web", query="SELECT 1")
    assert (heroku.backup, copy.backup, app.backup) == (True, True, False)


def test_runner_recognises_every_backup_check_does() -> None:
    """The waiting line and `pgwarden check` share one recogniser (agents, tools, COPY)."""
    agents = ["pgbackrest", "barman_cloud", "wal-g", "pg_probackup", "pgcopydb", "pg_dumpall"]
    assert all(ev.BlockerInfo(pid=1, application_name=a).backup for a in agents)
    walsender = ev.BlockerInfo(
        pid=2, application_name="pg_basebackup 123", backend_type="walsender"
    )
    assert walsender.backup
    assert not ev.BlockerInfo(pid=3, application_name="psql", query="COPY t FROM stdin").backup


def test_quiet_events_print_nothing() -> None:
    assert format_event(ev.AttemptStarted("v", 1)) is None
    assert format_event(ev.StatementDone("v", 1, 1, 0.01)) is None
    assert format_event(ev.StatementDone("v", 1, 1, 12.0)) == "v:1: done in 12.0 s"


def test_json_lines_are_plain_json() -> None:
    out = io.StringIO()
    JsonLinesSink(out)(ev.LockTimeout("v", 2, 1, "watchdog", (DUMP,), queued=3))
    doc = json.loads(out.getvalue())
    assert doc["event"] == "lock_timeout" and doc["queued"] == 3
    assert doc["blockers"][0]["backup"] is True and doc["blockers"][0]["label"].startswith("pid")


def test_live_panel_and_plain_log_during_a_wait(db18: Db18, tmp_path: Path) -> None:
    with db18.connect() as c:
        c.execute("CREATE TABLE t (id int)")
    d = write_migrations(tmp_path, {"0001_add.sql": "ALTER TABLE t ADD COLUMN b int;\n"})
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=160, color_system=None)
    plain = io.StringIO()
    backup = Blocker(db18.dsn, "t")
    time.sleep(0.2)

    def release_once_shown() -> None:
        # The backup goes once the panel has drawn the wait (a refresh thread does it, at
        # its own pace), or after 30 s: the assertions below then fail.
        with contextlib.suppress(AssertionError):
            wait_until(lambda: "waiting for lock" in screen.getvalue(), timeout=30)
        backup.release()

    releaser = threading.Thread(target=release_once_shown, daemon=True)
    releaser.start()
    with LiveSink(console) as live:
        log = PlainSink(plain)

        def both(e: ev.Event) -> None:
            live(e)
            log(e)

        migrate(d, db18.dsn, events=both)
    releaser.join(timeout=30)
    shown = screen.getvalue()
    assert "waiting for lock" in shown and f"pid {backup.pid} `pg_dump` (backup)" in shown
    assert "0001_add: applied in" in shown
    lines = plain.getvalue().splitlines()
    assert any("waiting for locks without queueing" in x for x in lines)
    assert lines[-1].split(" ", 1)[1].startswith("done: 1 applied")
