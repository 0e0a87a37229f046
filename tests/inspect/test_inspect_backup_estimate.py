"""Backup progress arithmetic (pure: the live readings are tested in test_inspect_progress)."""

from __future__ import annotations

from dataclasses import dataclass

from pgwarden.inspect.backups import estimate
from pgwarden.inspect.snapshot import CopyProgress

TABLES = ("public.a_small", "public.b_big", "public.c_last")


@dataclass(frozen=True)
class Size:
    rows: float | None
    relpages: int


SIZES = {
    "public.a_small": Size(20_000, 100),
    "public.b_big": Size(60_000, 300),
    "public.c_last": Size(20_000, 100),
}
LAST = "COPY public.a_small (id, note) TO stdout;"


def test_between_two_tables_the_last_copy_counts_as_done() -> None:
    """pg_dump idle in its transaction after sending a_small: a fifth of the dump is done, and
    it is not "copying a_small, 0 %" (the audit's report)."""
    p = estimate(SIZES, TABLES, None, None, LAST, 10.0, 1.0, finished=True)
    assert p.copying is None and p.table_fraction is None
    assert p.dump_fraction == 0.2
    assert p.eta == 40.0 and p.eta_scope == "dump"


def test_a_running_copy_counts_its_rows() -> None:
    copy = CopyProgress(1, None, "COPY TO", "PIPE", 0, 0, 30_000)
    p = estimate(SIZES, TABLES, copy, "public.b_big", None, 10.0, 5.0)
    assert p.copying == "public.b_big"
    assert p.dump_fraction == 0.5  # 20k done before it, 30k of its 60k
    # Without pg_stat_progress_copy (before PG 14) an active COPY is where the dump is.
    p = estimate(SIZES, TABLES, None, None, LAST, 10.0, 1.0)
    assert p.copying == "public.a_small" and p.dump_fraction == 0.0
