"""The waiting line shows how far a backup blocker has got: pg_dump's share of the dump, a
`COPY ... TO stdout`'s share of its table (pg_stat_progress_copy and the tables' sizes)."""

from __future__ import annotations

import io
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from _runner_helpers import Cli, Db18, wait_until, write_migrations
from rich.console import Console

from pgwarden.replay.blockers import Blocker
from pgwarden.report.runner_json import JsonLinesSink
from pgwarden.report.runner_text import LiveSink, PlainSink, format_event
from pgwarden.runner import Abort, migrate
from pgwarden.runner import events as ev

BIG_ROWS = 200_000  # several MB of COPY text: more than the socket and pipe buffers hold
MIGRATION = {"0001_note.sql": "ALTER TABLE orders ADD COLUMN note text;\n"}


def _tables(db: Db18) -> None:
    with db.connect() as c:
        c.execute("CREATE TABLE big (id int, payload text)")
        c.execute(
            "INSERT INTO big SELECT g, repeat('x', 40) FROM generate_series(1, %s) g", (BIG_ROWS,)
        )
        c.execute("CREATE TABLE orders (id int PRIMARY KEY, total numeric)")
        c.execute("INSERT INTO orders SELECT g, g FROM generate_series(1, 1000) g")
        c.execute("ANALYZE big, orders")


def _copied(db: Db18, pid: int) -> bool:
    """pg_stat_progress_copy counts rows the session has sent already."""
    n = db.scalar("SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = %s", (pid,))
    return bool(n)


def _columns(db: Db18) -> list[str]:
    rows = db.scalar(
        "SELECT array_agg(attname::text) FROM pg_attribute "
        "WHERE attrelid = 'orders'::regclass AND attnum > 0"
    )
    return list(rows or [])


@pytest.fixture
def dump(db18: Db18) -> Iterator[Blocker]:
    """A real pg_dump of big then orders, its output read slowly: it stays in COPY of big."""
    _tables(db18)
    b = Blocker(
        "backup",
        db18.dsn,
        "big",
        60.0,
        pg_dump=db18.cluster.bin("pg_dump"),
        tables=("big", "orders"),
    )
    b.start()
    try:
        assert b.error is None and b.pid is not None, b.error
        yield b
    finally:
        b.release()
        b.join(timeout=30)


def test_waiting_behind_pg_dump_shows_its_share_of_the_dump(
    db18: Db18, dump: Blocker, tmp_path: Path
) -> None:
    assert dump.pid is not None
    pid = dump.pid
    wait_until(lambda: _copied(db18, pid), what="pg_dump to copy rows of big")
    d = write_migrations(tmp_path, MIGRATION)
    seen: list[ev.Event] = []
    abort = Abort()
    outcome: list[object] = []
    screen = io.StringIO()
    live = LiveSink(Console(file=screen, force_terminal=True, width=400, color_system=None))

    def both(e: ev.Event) -> None:
        seen.append(e)
        live(e)

    def run() -> None:
        try:
            outcome.append(migrate(d, db18.dsn, events=both, abort=abort))
        except Exception as exc:  # reported by the assertion below
            outcome.append(exc)

    def waits(refresh: bool) -> list[ev.Waiting]:
        return [e for e in list(seen) if isinstance(e, ev.Waiting) and e.refresh is refresh]

    worker = threading.Thread(target=run, daemon=True)
    try:
        with live:
            worker.start()
            wait_until(lambda: waits(False), timeout=30, what="a waiting event")
            # The display's refresh comes with newer progress, between the events logs keep.
            wait_until(
                lambda: waits(True), timeout=30, what="a progress refresh of the waiting event"
            )
            wait_until(
                lambda: re.search(r"\d+ % done", screen.getvalue()),
                timeout=30,
                what="the live panel to draw the backup's progress",
            )
            dump.release()
            worker.join(timeout=30)
    finally:
        dump.release()
        worker.join(timeout=30)
        abort.request()
    # The live panel's state row carried the progress too.
    assert re.search(r"blocked by pid \d+ `pg_dump` .* \d+ % done, ~.+ left", screen.getvalue())
    assert outcome and not isinstance(outcome[0], Exception), outcome
    assert "note" in _columns(db18)

    first = waits(False)[0]
    (b,) = [x for x in first.blockers if x.pid == pid]
    assert b.backup and b.progress is not None
    p = b.progress
    # pg_dump holds both tables and copies big first: the share of all rows done so far.
    assert (p.scope, p.table) == ("dump", "public.big")
    assert p.fraction is not None and 0 < p.fraction < 1
    assert p.rows is not None and 0 < p.rows <= BIG_ROWS
    assert p.eta is not None and p.eta > 0
    line = format_event(first)
    assert line is not None
    assert f"blocked by pid {pid} `pg_dump` (backup)" in line
    assert f"{p.fraction * 100:.0f} % done, ~" in line and "(copying public.big)" in line

    # The pre-flight (pgwarden check) names the same backup with check's own estimate.
    pre = [e for e in seen if isinstance(e, ev.PreflightDone)]
    assert pre and pre[0].source == "inspect", pre
    (pb,) = [x for x in pre[0].blockers if x.pid == pid]
    assert pb.progress is not None and pb.progress.scope == "dump"
    assert pb.progress.fraction is not None and 0 < pb.progress.fraction < 1

    # Refreshes are for the live panel: plain log lines and the JSON log leave them out.
    refresh = waits(True)[0]
    assert all(x.progress is not None for x in refresh.blockers if x.pid == pid)
    plain, js = io.StringIO(), io.StringIO()
    for sink in (PlainSink(plain), JsonLinesSink(js)):
        sink(refresh)
    assert plain.getvalue() == "" and js.getvalue() == ""


class Export:
    """A provider-style backup: `COPY big TO STDOUT` in a transaction whose client reads one
    block and stops, so the server blocks sending the rest, in the middle of the table."""

    def __init__(self, dsn: str) -> None:
        self.conn = psycopg.connect(dsn, application_name="nightly-export")
        self.pid = self.conn.info.backend_pid
        self._copy = self.conn.cursor().copy("COPY public.big TO STDOUT")
        self._copy.__enter__().read()

    def end(self, db: Db18) -> None:
        db.run("SELECT pg_terminate_backend(%s)", (self.pid,))
        self.conn.close()


def test_copy_to_stdout_progress_in_the_json_log(db18: Db18, tmp_path: Path) -> None:
    _tables(db18)
    export = Export(db18.dsn)
    try:
        wait_until(lambda: _copied(db18, export.pid), what="COPY to send rows")
        d = write_migrations(tmp_path, {"0001_note.sql": "ALTER TABLE big ADD COLUMN note text;\n"})
        cli = Cli("migrate", str(d), "--dsn", db18.dsn, "--format", "json")
        waiting = cli.wait_event("waiting")
    finally:
        export.end(db18)
    code, out, err = cli.finish()
    assert code == 0, out + err

    (b,) = [x for x in waiting["blockers"] if x["pid"] == export.pid]
    assert b["backup"] is True and b["application_name"] == "nightly-export"
    p: dict[str, Any] = b["progress"]
    # One table, no dump around it: the share of that table's rows sent so far.
    assert (p["scope"], p["table"]) == ("table", "public.big")
    assert 0 < p["fraction"] <= 1 and 0 < p["rows"] <= BIG_ROWS
    events = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert all(e["refresh"] is False for e in events if e["event"] == "waiting")
    assert events[-1]["event"] == "run_finished" and events[-1]["outcome"] == "ok"


def test_progress_lines() -> None:
    def line(p: ev.BackupProgress) -> str:
        b = ev.BlockerInfo(pid=7, application_name="pg_dump", xact_age=612.0, progress=p)
        out = format_event(ev.Waiting("0002", 3, (b,), time.time()))
        assert out is not None
        return out.split("blocked by ", 1)[1]

    dump = ev.BackupProgress(0.434, "dump", 785.0, "public.big", 1000)
    assert line(dump) == (
        "pid 7 `pg_dump` (backup), transaction open 10 m 12 s, "
        "43 % done, ~13 m 5 s left (copying public.big)"
    )
    table = ev.BackupProgress(0.5, "table", None, "public.big", 1000)
    assert line(table).endswith("copying public.big: 50 % done for this table")
    # Before PostgreSQL 14 (no pg_stat_progress_copy) and for `COPY (SELECT ...) TO`:
    assert line(ev.BackupProgress(None, "", None, "public.big", None)).endswith(
        "open 10 m 12 s, copying public.big"
    )
    assert line(ev.BackupProgress(None, "", None, "", 1234)).endswith("1234 rows copied")
    assert line(ev.BackupProgress(None, "", None, "", None)).endswith("open 10 m 12 s")


def test_run_waiting_behind_pg_dump_logs_its_progress(
    db18: Db18, dump: Blocker, tmp_path: Path
) -> None:
    """`pgwarden run` waits out a backup through the same waiter as migrate: its JSON waiting
    events carry the backup's progress."""
    assert dump.pid is not None
    pid = dump.pid
    wait_until(lambda: _copied(db18, pid), what="pg_dump to copy rows of big")
    sql = tmp_path / "m.sql"
    sql.write_text("ALTER TABLE orders ADD COLUMN note text;\n")
    psql = [str(db18.cluster.bin("psql")), db18.dsn, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    cli = Cli(
        "run",
        "--dsn",
        db18.dsn,
        "--format",
        "json",
        "--",
        *psql,
        "-1",
        "-f",
        str(sql),
        events_from="stderr",
    )
    try:
        waiting = cli.wait_event("waiting", timeout=60)
    finally:
        dump.release()
    code, _, err = cli.finish()
    assert code == 0, err
    (b,) = [x for x in waiting["blockers"] if x["pid"] == pid]
    assert b["backup"] is True and b["application_name"] == "pg_dump"
    p: dict[str, Any] = b["progress"]
    assert (p["scope"], p["table"]) == ("dump", "public.big")
    assert 0 < p["fraction"] < 1 and 0 < p["rows"] <= BIG_ROWS
    assert "note" in _columns(db18)
