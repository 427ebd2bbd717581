"""The server's triage cache (``services.triage.TriageCache``) answers the same records as a fresh triage
after every kind of write that changes a case's triage, on a real store: a reviewer's category, a withdrawn
one, an ingest, a list import that re-categorises and removes entries, a match, a list removed; and the same
object, without triaging again, when nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jejak.config import Settings
from jejak.services.ingest import ingest_case
from jejak.services.lists import import_list, remove_list
from jejak.services.match import match_case
from jejak.services.review import categorise
from jejak.services.triage import TriageCache, triage_case
from jejak.store.sql import Store
from jejak.testing.images import jpeg_bytes, procedural_image
from tests.match.test_review import AGENCY, CASE, build_case, user


def test_cache_follows_every_write(tmp_path: Path, store: Store, settings: Settings) -> None:
    seizure = build_case(tmp_path, store, settings)
    cache = TriageCache()

    def same_as_fresh() -> list[dict[str, Any]]:
        cached = cache.records(store, settings, CASE)
        assert cached == triage_case(store, settings, CASE)
        return cached

    first = same_as_fresh()
    assert cache.records(store, settings, CASE) is first  # nothing changed: the kept records

    reviewer = user(store, "rev", AGENCY, "reviewer")
    categorise(store, settings, reviewer, CASE, seizure.shas["other.jpg"], "2", None)
    after_category = same_as_fresh()
    assert after_category is not first
    other = next(r for r in after_category if r["sha256"] == seizure.shas["other.jpg"])
    assert other["category"]["code"] == "2"

    more = tmp_path / "more"
    more.mkdir()
    (more / "new.jpg").write_bytes(jpeg_bytes(procedural_image(7190, 640, 480, "room"), 90))
    ingest_case(store, settings, CASE, [str(more)])
    assert len(same_as_fresh()) == len(after_category) + 1

    listed = tmp_path / "list2.csv"  # the list's next release: known.jpg re-categorised
    listed.write_text(f"sha256,category\n{seizure.shas['known.jpg']},3\n", encoding="utf-8")
    import_list(store, listed, "TestList", by="tester")
    known = next(r for r in same_as_fresh() if r["sha256"] == seizure.shas["known.jpg"])
    assert known["list_category"]["code"] == "3"

    match_case(store, settings, CASE)
    same_as_fresh()
    remove_list(store, "TestList")
    known = next(r for r in same_as_fresh() if r["sha256"] == seizure.shas["known.jpg"])
    assert known["status"] == "new"


def test_cache_keeps_the_last_few_cases(tmp_path: Path, store: Store, settings: Settings) -> None:
    build_case(tmp_path, store, settings)
    cache = TriageCache(cases=1)
    first = cache.records(store, settings, CASE)
    assert cache.records(store, settings, CASE) is first
    store.create_case("RV-2", AGENCY)
    cache.records(store, settings, "RV-2")  # pushes RV-1 out
    assert cache.records(store, settings, CASE) is not first
