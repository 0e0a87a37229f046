"""Benchmark: one `check` pass and one `blockers` pass against 300 sessions holding ~20k locks.

Starts a throwaway cluster, opens N client sessions that each hold ACCESS SHARE on a table with
64 partitions (65 relation locks per session, in an open transaction), queues an ALTER TABLE and
a few SELECTs behind them so pg_blocking_pids() has work, then times the library calls that
`pgwarden check` and `pgwarden blockers` make (no traffic sample). Prints median and p95 over
--repeat passes and PASS/MISS against --target-ms.

    .venv/bin/python bench/check_scale.py [--sessions 300] [--partitions 64] [--bin-dir DIR]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from pgwarden.config import LintConfig
from pgwarden.embedded import start_cluster
from pgwarden.inspect.check import CheckOptions, check_once
from pgwarden.inspect.connection import open_connection
from pgwarden.inspect.needs import needs_for_paths
from pgwarden.inspect.snapshot import take_snapshot
from pgwarden.inspect.tree import build_tree

MIGRATION = "ALTER TABLE events ADD COLUMN note text;\nALTER TABLE accounts ADD COLUMN flag bool;\n"


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, -(-len(ordered) * 95 // 100) - 1)]  # nearest rank


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    fn()  # warm-up: plan caches, catalog caches
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=300)
    ap.add_argument("--partitions", type=int, default=64)
    ap.add_argument("--waiters", type=int, default=20, help="SELECTs queued behind the ALTER")
    ap.add_argument("--repeat", type=int, default=10)
    ap.add_argument("--target-ms", type=float, default=200.0)
    ap.add_argument("--bin-dir", type=Path, help="server binaries (default: embedded PG 18)")
    args = ap.parse_args(argv)

    settings = {"max_connections": str(args.sessions + args.waiters + 40)}
    with start_cluster(args.bin_dir, settings=settings) as cluster:
        dsn = cluster.dsn()
        with psycopg.connect(dsn, autocommit=True) as admin:
            admin.execute("CREATE TABLE events (id int, v int) PARTITION BY HASH (id)")
            for i in range(args.partitions):
                admin.execute(
                    f"CREATE TABLE events_{i} PARTITION OF events "
                    f"FOR VALUES WITH (MODULUS {args.partitions}, REMAINDER {i})"
                )
            admin.execute("CREATE TABLE accounts (id int PRIMARY KEY)")
        holders: list[psycopg.Connection[Any]] = []
        threads: list[threading.Thread] = []
        waiter_pids: list[int] = []
        try:
            t0 = time.perf_counter()
            for i in range(args.sessions):
                conn = psycopg.connect(dsn, application_name=f"app-{i % 7}")
                conn.execute("LOCK TABLE events IN ACCESS SHARE MODE")  # parent + partitions
                holders.append(conn)
            setup_s = time.perf_counter() - t0

            def blocked(sql: str, app: str) -> None:
                conn = psycopg.connect(dsn, application_name=app, autocommit=True)
                waiter_pids.append(conn.info.backend_pid)
                try:
                    conn.execute("SET lock_timeout = '120s'")
                    conn.execute(sql)
                except psycopg.Error:
                    pass  # terminated at the end of the benchmark
                finally:
                    conn.close()

            def start(sql: str, app: str) -> None:
                t = threading.Thread(target=blocked, args=(sql, app), daemon=True)
                threads.append(t)
                t.start()

            start("ALTER TABLE events ADD COLUMN note text", "migrate")
            _wait_for_waiters(admin_dsn=dsn, n=1)
            for i in range(args.waiters):
                start("SELECT count(*) FROM events", f"web-{i}")
            _wait_for_waiters(admin_dsn=dsn, n=1 + args.waiters)

            with tempfile.TemporaryDirectory() as tmp:
                path = Path(tmp) / "0001_bench.sql"
                path.write_text(MIGRATION)
                needs = needs_for_paths([str(path)], LintConfig(), cluster.major)
            conn = open_connection(dsn, "bench")
            opts = CheckOptions(sample=0)
            report = check_once(conn, needs, opts)
            tree = build_tree(take_snapshot(conn))
            check_ms = timed(lambda: check_once(conn, needs, opts), args.repeat)
            blockers_ms = timed(lambda: build_tree(take_snapshot(conn)), args.repeat)
            conn.close()
        finally:
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(p) FROM unnest(%s::int[]) p", (waiter_pids,)
                )
            for t in threads:
                t.join(timeout=30)
            for c in holders:
                c.close()

    snap = report.snapshot
    print(f"PostgreSQL {snap.version_num}: {len(snap.sessions)} sessions, {snap.lock_rows} locks")
    print(f"  setup: {args.sessions} sessions x {args.partitions + 1} locks in {setup_s:.1f}s")
    print(f"  check verdict {report.verdict.value}; blockers: {tree.waiting} waiting")
    ok = True
    for name, ms in (("check", check_ms), ("blockers", blockers_ms)):
        med, high = statistics.median(ms), p95(ms)
        verdict = "PASS" if high < args.target_ms else "MISS"
        ok = ok and verdict == "PASS"
        print(
            f"  {name:<9} median {med:6.1f} ms  p95 {high:6.1f} ms  "
            f"(n={len(ms)}, target < {args.target_ms:.0f} ms)  {verdict}"
        )
    return 0 if ok else 1


def _wait_for_waiters(admin_dsn: str, n: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        while time.monotonic() < deadline:
            row = conn.execute(
                "SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted"
            ).fetchone()
            if row and row[0] >= n:
                return
            time.sleep(0.05)
    raise SystemExit(f"timed out waiting for {n} blocked sessions")


if __name__ == "__main__":
    sys.exit(main())
