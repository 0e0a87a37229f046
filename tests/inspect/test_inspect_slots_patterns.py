"""`check` on a replication slot retaining WAL, a custom --backup-pattern, a real pg_basebackup,
and `blockers --watch` stopped with Ctrl-C."""

from __future__ import annotations

import json
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from inspect_scene import Scene, wait_until

from pgwarden.cli.main import main
from pgwarden.config import LintConfig
from pgwarden.inspect.check import CheckOptions, CheckReport, check_once
from pgwarden.inspect.needs import Needs, needs_for_paths
from pgwarden.inspect.verdict import Thresholds, Verdict

ADD_COLUMN = "ALTER TABLE orders ADD COLUMN note text;\n"
REWRITE = "ALTER TABLE orders ALTER COLUMN total TYPE text;\n"  # rewrites orders
SLOT_LAG = 4 << 20  # the --max-slot-lag the slot test uses


def migration(tmp_path: Path, sql: str, name: str = "0042_change.sql") -> str:
    path = tmp_path / name
    path.write_text(sql)
    return str(path)


def needs(tmp_path: Path, sql: str, major: int, name: str = "0042_change.sql") -> Needs:
    return needs_for_paths([migration(tmp_path, sql, name)], LintConfig(), major)


def check(scene: Scene, n: Needs, max_slot_lag: int = SLOT_LAG) -> CheckReport:
    return check_once(scene.admin, n, CheckOptions(Thresholds(max_slot_lag=max_slot_lag), 0))


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    code = main([*argv, "--format", "json", "--sample", "0"])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, json.loads(out)


# --- replication slot lag ---------------------------------------------------------------


def retained(scene: Scene, slot: str) -> int | None:
    return next((s.retained_bytes for s in scene.snapshot().slots if s.name == slot), None)


def test_inactive_slot_retaining_wal_is_no_go_for_a_rewrite(
    scene: Scene, tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Slots are cluster-wide: named per test, and dropped whatever happens, since a leftover
    # slot would hold WAL for every later test on this cluster.
    slot = f"pgwarden_test_{tables.name[-8:]}"
    rewrite = needs(tmp_path, REWRITE, tables.major)
    assert rewrite.rewrites == ("public.orders",)
    path = migration(tmp_path, REWRITE)
    try:
        # A physical slot reserves WAL from the last checkpoint's redo point: start it from now.
        scene.admin.execute("CHECKPOINT")
        scene.admin.execute("SELECT pg_create_physical_replication_slot(%s, true)", (slot,))
        (s,) = [s for s in scene.snapshot().slots if s.name == slot]
        assert not s.active and s.slot_type == "physical"
        assert s.retained_bytes is not None and s.retained_bytes < SLOT_LAG
        # Under the threshold: nothing to say.
        assert "replication-lag" not in {r.code for r in check(scene, rewrite).decision.reasons}

        # WAL the slot must keep: a table written in full (wal_level replica logs every row).
        scene.admin.execute(
            "CREATE TABLE wal_filler AS SELECT g, repeat('x', 1000) AS pad "
            "FROM generate_series(1, 3 * %s / 1000) g",
            (SLOT_LAG,),
        )
        wait_until(lambda: (retained(scene, slot) or 0) >= SLOT_LAG, f"{slot} to retain WAL")

        report = check(scene, rewrite)
        assert report.verdict is Verdict.NO_GO and report.decision.exit_code == 4
        (r,) = [r for r in report.decision.reasons if r.code == "replication-lag"]
        assert r.verdict is Verdict.NO_GO
        assert f"replication slot {slot} (physical, inactive)" in r.message
        assert "public.orders" in r.message and f"pg_drop_replication_slot('{slot}')" in r.action
        # The same slot is only a note for a migration that rewrites nothing.
        report = check(scene, needs(tmp_path, ADD_COLUMN, tables.major, "0043_add.sql"))
        assert report.verdict is Verdict.GO
        (note,) = [r for r in report.decision.reasons if r.code == "replication-lag"]
        assert note.verdict is Verdict.GO and slot in note.message
        # ... and under the default threshold (1GB) it is not reported at all.
        assert "replication-lag" not in {
            r.code for r in check(scene, rewrite, 1 << 30).decision.reasons
        }

        # The command line: --max-slot-lag sets the threshold.
        code, doc = cli(capsys, "check", path, "--dsn", tables.dsn, "--max-slot-lag", "4MB")
        assert code == 4 and doc["verdict"] == "NO-GO"
        (j,) = [r for r in doc["reasons"] if r["code"] == "replication-lag"]
        assert j["verdict"] == "NO-GO" and f"replication slot {slot} " in j["message"]
    finally:
        scene.admin.execute(
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots "
            "WHERE slot_name = %s",
            (slot,),
        )
    # Dropped: no slot reason, and the rewrite is GO again.
    assert retained(scene, slot) is None
    code, doc = cli(capsys, "check", path, "--dsn", tables.dsn, "--max-slot-lag", "4MB")
    assert code == 0 and doc["verdict"] == "GO"
    assert [r for r in doc["reasons"] if r["code"] == "replication-lag"] == []


# --- a custom --backup-pattern ----------------------------------------------------------


def test_custom_backup_pattern(
    scene: Scene, tables: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pid = scene.idle_in_transaction("SELECT * FROM orders", "nightly-snapshotter")
    path = migration(tmp_path, ADD_COLUMN)
    base = ["check", path, "--dsn", tables.dsn, "--idle-in-tx", "0s"]

    # No default pattern matches it: a forgotten idle transaction, NO-GO.
    code, doc = cli(capsys, *base)
    assert code == 4 and doc["verdict"] == "NO-GO"
    assert doc["backups"] == []
    codes = {r["code"] for r in doc["reasons"] if r["pid"] == pid}
    assert codes == {"idle-in-transaction"}

    # Named a backup agent: a backup to wait for (it holds ACCESS SHARE until it ends).
    code, doc = cli(capsys, *base, "--backup-pattern", "^nightly-snap")
    assert code == 3 and doc["verdict"] == "WAIT"
    (b,) = doc["backups"]
    assert (b["pid"], b["tool"]) == (pid, "nightly-snapshotter")
    assert b["matched_by"] == "pattern '^nightly-snap'"
    assert b["holds"] == ["public.orders"]
    (r,) = [r for r in doc["reasons"] if r["pid"] == pid]
    assert (r["code"], r["verdict"]) == ("backup", "WAIT")
    assert "nightly-snapshotter" in r["message"] and "ACCESS SHARE on public.orders" in r["message"]
    assert [c["kind"] for c in doc["conflicts"] if c["session"]["pid"] == pid] == ["backup"]

    # A pattern that does not match changes nothing.
    code, doc = cli(capsys, *base, "--backup-pattern", "^snap")
    assert code == 4 and doc["backups"] == []


# --- pg_basebackup ----------------------------------------------------------------------


def test_pg_basebackup_is_a_backup(scene: Scene, tables: Any, tmp_path: Path) -> None:
    """A real, throttled pg_basebackup: its walsender is listed as a backup that takes no table
    lock. initdb --auth=trust allows replication connections from localhost, and the default
    wal_level (replica) and max_wal_senders (10) allow a base backup."""
    c = tables.cluster
    argv = [str(c.bin("pg_basebackup")), "-h", c.host, "-p", str(c.port), "-U", c.user]
    # -X none: one connection and no temporary slot; -c fast: no spread checkpoint to wait
    # for; --max-rate 32k (the minimum) keeps it streaming files for minutes.
    argv += ["-D", str(tmp_path / "base"), "-F", "t", "-X", "none", "-c", "fast"]
    argv += ["--max-rate", "32k", "--no-sync"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:

        def walsender() -> int | None:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else proc.returncode
            row = scene.admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE backend_type = 'walsender' "
                "AND application_name = 'pg_basebackup' AND client_port IS NOT NULL"
            ).fetchone()
            return int(row[0]) if row else None

        pid = wait_until(walsender, "pg_basebackup's walsender")
        report = check(scene, needs(tmp_path, ADD_COLUMN, tables.major))
        (b,) = [b for b in report.backups if b.pid == pid]
        assert (b.tool, b.matched_by) == ("pg_basebackup", "application_name")
        assert b.holds == () and b.tables == 0
        (r,) = [r for r in report.decision.reasons if r.pid == pid]
        assert r.code == "base-backup" and r.verdict is Verdict.GO
        assert report.verdict is Verdict.GO  # it takes no table locks
        assert proc.poll() is None  # still streaming: the check saw a live backup
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stderr is not None:
            proc.stderr.close()


# --- blockers --watch -------------------------------------------------------------------


def test_blockers_watch_until_ctrl_c(scene: Scene, tables: Any) -> None:
    root = scene.idle_in_transaction("SELECT * FROM orders", "analyst")
    alter = scene.running("ALTER TABLE orders ADD COLUMN note text", "migrate")
    scene.wait_waiting(alter)
    argv = [sys.executable, "-m", "pgwarden", "blockers", "--watch", "--interval", "100ms"]
    proc = subprocess.Popen(
        [*argv, "--dsn", tables.dsn],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    seen: list[str] = []

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()

    def refreshes() -> int | None:
        while not lines.empty():
            seen.append(lines.get())
        assert proc.poll() is None, f"exited {proc.returncode}: {''.join(seen)}"
        # One block per refresh, each naming the root blocker and its waiter.
        n = sum(1 for line in seen if line.lstrip().startswith(f"pid {root} "))
        return n if n >= 2 else None

    try:
        wait_until(refreshes, "two refreshes of the blocker tree")
        text = "".join(seen)
        assert f"pid {alter} " in text and "ACCESS EXCLUSIVE" in text
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=20)
        err = proc.stderr.read() if proc.stderr else ""
        assert code == 0, err  # Ctrl-C is how --watch ends: not an error
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        reader.join(timeout=10)
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
