"""--self-check: the lock-model forms traced and compared on each major."""

from __future__ import annotations

import io
import json

from pgwarden.embedded import Cluster, find_wheel_bin_dir
from pgwarden.locks.forms import all_forms
from pgwarden.report.trace_selfcheck import SelfCheckReport
from pgwarden.trace.selfcheck import Scratch, check_form, self_check

# A transactional form, a sampled one and one with a foreign key, all agreeing today.
IDS = ("create-index", "create-index-concurrently", "add-foreign-key")


def test_forms_agree_on_each_major(pg_cluster: Cluster) -> None:
    forms = {f.id: f for f in all_forms()}
    scratch = Scratch(pg_cluster)
    try:
        results = {i: check_form(scratch, forms[i]) for i in IDS if i in forms}
    finally:
        scratch.drop()
    assert set(results) == set(IDS)
    for form_id, r in results.items():
        assert r.status == "agree", (form_id, r)
    cic = results["create-index-concurrently"]
    assert cic.comparison is not None and not cic.comparison.differences


def test_self_check_counts_per_major() -> None:
    forms = [f for f in all_forms() if f.id in IDS]
    seen: list[str] = []
    (major,) = list(
        self_check(find_wheel_bin_dir(), forms=forms, progress=lambda m, i, r: seen.append(i))
    )
    assert major.major == 18
    assert major.counts()["agree"] == len(forms)
    assert sorted(seen) == sorted(IDS)
    text, doc = io.StringIO(), io.StringIO()
    report = SelfCheckReport(text)
    report.major(major)
    assert report.finish() == 0
    assert text.getvalue().startswith("PostgreSQL 18 (")
    assert f"{len(forms)} agree of {len(forms)} forms" in text.getvalue()
    report = SelfCheckReport(doc, "json")
    report.major(major)
    assert report.finish() == 0
    (m,) = json.loads(doc.getvalue())["majors"]
    assert m["major"] == 18 and m["counts"]["agree"] == len(forms)
    assert {f["form"] for f in m["forms"]} == set(IDS)
