"""Reviewers categorise media (``services.review``), on a real SQLite store and a real ingest of benign
procedural pictures: one content, a near-duplicate stack, a listed content re-categorised (conflict), bad
codes, the history, who may do it, the audit entry, and what triage and the VICS export show."""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from jejak.config import Settings
from jejak.errors import AccessDenied, ConfigError, NotFound
from jejak.services import accounts
from jejak.services.accounts import Principal
from jejak.services.export import export_case_vics
from jejak.services.graph import query_links
from jejak.services.ingest import ingest_case
from jejak.services.lists import import_list
from jejak.services.match import match_case
from jejak.services.review import case_scheme, categorise, category_history
from jejak.services.triage import triage_case, triage_summary
from jejak.store.sql import Store
from jejak.testing.images import jpeg_bytes, procedural_image
from tests.conftest import REPO

CASE = "RV-1"
AGENCY = "Polri"
OTHER = "Politie NL"


@dataclass
class Seizure:
    """The SHA-256 of each file of the seizure, by name."""

    folder: Path
    shas: dict[str, str]


def write_seizure(root: Path) -> Seizure:
    """A picture and its resized, recompressed copy (one stack), a picture a list knows, and another."""
    folder = root / "seizure"
    folder.mkdir(parents=True)
    pic = procedural_image(7101, 640, 480, "shapes")
    files = {
        "pic.jpg": jpeg_bytes(pic, 90),
        "pic_small.jpg": jpeg_bytes(pic.resize((400, 300), Image.Resampling.LANCZOS), 70),
        "known.jpg": jpeg_bytes(procedural_image(7102, 640, 480, "texture"), 90),
        "other.jpg": jpeg_bytes(procedural_image(7103, 640, 480, "stripes"), 90),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return Seizure(folder, {n: hashlib.sha256(d).hexdigest() for n, d in files.items()})


def build_case(root: Path, store: Store, settings: Settings, case: str = CASE) -> Seizure:
    """The seizure ingested into ``case`` of Polri, and a list (vic-us 1 for known.jpg) matched."""
    seizure = write_seizure(root)
    store.create_case(case, AGENCY)
    ingest_case(store, settings, case, [str(seizure.folder)])
    listed = root / "list.csv"
    listed.write_text(f"sha256,category\n{seizure.shas['known.jpg']},1\n", encoding="utf-8")
    import_list(store, listed, "TestList", by="tester")
    match_case(store, settings, case)
    return seizure


def user(store: Store, name: str, agency: str, role: str) -> Principal:
    if agency not in {a.name for a in store.accounts.agencies()}:
        store.accounts.create_agency(agency)
    accounts.create_user(store, name, agency, role, None)
    return accounts.principal_of(store.accounts.user(name))


@pytest.fixture
def seizure(tmp_path: Path, store: Store, settings: Settings) -> Seizure:
    return build_case(tmp_path, store, settings)


def triage(store: Store, settings: Settings) -> dict[str, dict[str, Any]]:
    return {str(r["sha256"]): r for r in triage_case(store, settings, CASE)}


def test_one_content_takes_the_reviewers_category(store: Store, settings: Settings, seizure: Seizure) -> None:
    other = seizure.shas["other.jpg"]
    before = triage(store, settings)[other]
    assert before["status"] == "new" and before["category"] is None and before["category_source"] is None
    assert before["stack"]["size"] == 1

    who = user(store, "rv-reviewer", AGENCY, "reviewer")
    out = categorise(store, settings, who, CASE, "other.jpg", "2", note="age difficult")  # by file name
    assert out["sha256"] == other and out["scheme"] == "vic-us"  # the case's scheme: its list says vic-us
    assert out["category"] == {"scheme": "vic-us", "code": "2", "label": "Exploitive / Age-difficult"}
    assert out["by"] == "rv-reviewer" and out["note"] == "age difficult" and not out["stack"]
    [changed] = out["contents"]
    assert changed["sha256"] == other and changed["previous"] == {"category": None, "source": None}
    assert changed["conflict"] is False

    rec = triage(store, settings)[other]
    assert rec["status"] == "new"  # new to the lists, whatever a reviewer decided
    assert rec["category"] == out["category"] and rec["category_source"] == "reviewer"
    assert rec["list_category"] is None and rec["conflict"] is None
    assert rec["reviewer_category"] == {
        **out["category"],
        "by": "rv-reviewer",
        "at": out["at"],
        "note": "age difficult",
    }
    summary = triage_summary(list(triage(store, settings).values()))
    assert summary["reviewer_categorised"] == 1 and summary["conflicts"] == 0

    # the other contents are untouched
    untouched = triage(store, settings)[seizure.shas["pic.jpg"]]
    assert untouched["category"] is None and untouched["reviewer_category"] is None

    # a category is not a link: the link graph and its assertions do not see it
    assert not [x for x in query_links(store, case=CASE) if x["rule"] == "category"]
    assert store.graph.assertions() == []


def test_a_stack_is_categorised_whole(store: Store, settings: Settings, seizure: Seizure) -> None:
    pic, small = seizure.shas["pic.jpg"], seizure.shas["pic_small.jpg"]
    recs = triage(store, settings)
    assert recs[pic]["stack"] == {**recs[small]["stack"], "representative": True}
    assert recs[pic]["stack"]["size"] == 2

    who = user(store, "rv-investigator", AGENCY, "investigator")
    out = categorise(store, settings, who, CASE, small, "1", stack=True)
    assert [c["sha256"] for c in out["contents"]] == [small, pic]  # the target first
    assert len({c["assertion"] for c in out["contents"]}) == 2
    after = triage(store, settings)
    for sha in (pic, small):
        assert after[sha]["category"] == {"scheme": "vic-us", "code": "1", "label": "CAM"}
        assert after[sha]["category_source"] == "reviewer"
    assert after[seizure.shas["other.jpg"]]["category"] is None

    # without --stack only the content itself changes
    categorise(store, settings, who, CASE, pic, "2")
    again = triage(store, settings)
    assert again[pic]["category"]["code"] == "2"
    assert again[small]["category"]["code"] == "1"


def test_a_listed_content_recategorised_is_a_conflict(
    store: Store, settings: Settings, seizure: Seizure
) -> None:
    known = seizure.shas["known.jpg"]
    rec = triage(store, settings)[known]
    assert rec["status"] == "known" and rec["category"]["code"] == "1"
    assert rec["category_source"] == "list" and rec["list_category"] == rec["category"]

    who = user(store, "rv-reviewer", AGENCY, "reviewer")
    out = categorise(store, settings, who, CASE, known, "4")
    [changed] = out["contents"]
    assert changed["previous"] == {"category": rec["category"], "source": "list"} and changed["conflict"]

    after = triage(store, settings)[known]
    assert after["status"] == "known"
    assert after["category"] == {"scheme": "vic-us", "code": "4", "label": "Comparison"}
    assert after["category_source"] == "reviewer"
    assert after["list_category"] == rec["list_category"]  # the list's category stays available
    assert [c["code"] for c in after["conflict"]["categories"]] == ["1", "4"]
    assert [h["entry"]["category"]["code"] for h in after["hits"]] == ["1"]
    summary = triage_summary(list(triage(store, settings).values()))
    assert summary["conflicts"] == 1
    assert {"category": after["category"], "contents": 1} in summary["known_by_category"]

    # agreeing with the list: no conflict any more, the reviewer still the source
    categorise(store, settings, who, CASE, known, "1")
    agreed = triage(store, settings)[known]
    assert agreed["conflict"] is None and agreed["category_source"] == "reviewer"

    # the VICS export carries the effective category
    categorise(store, settings, who, CASE, known, "4")
    categorise(store, settings, who, CASE, "other.jpg", "2")
    buf = io.BytesIO()
    report = export_case_vics(store, settings, CASE, buf)
    assert report["reviewer_categories"] == 2
    [exported] = json.loads(buf.getvalue().decode("utf-8-sig"))["value"]
    by_md5 = {m["MD5"].lower(): m for m in exported["Media"]}
    recs = triage(store, settings)
    assert by_md5[str(recs[known]["md5"])]["Category"] == 4
    assert by_md5[str(recs[seizure.shas["other.jpg"]]["md5"])]["Category"] == 2
    assert by_md5[str(recs[seizure.shas["pic.jpg"]]["md5"])].get("Category") is None


def test_bad_codes_schemes_and_references_are_refused(
    store: Store, settings: Settings, seizure: Seizure
) -> None:
    who = user(store, "rv-reviewer", AGENCY, "reviewer")
    other = seizure.shas["other.jpg"]
    with pytest.raises(ConfigError, match=r"valid codes: 0 Non-Pertinent, 1 CAM, 2 .*, 4 Comparison"):
        categorise(store, settings, who, CASE, other, "7")
    with pytest.raises(ConfigError, match="valid codes: A Category A"):
        categorise(store, settings, who, CASE, other, "2", scheme="uk")
    with pytest.raises(ConfigError, match="unknown category scheme"):
        categorise(store, settings, who, CASE, other, "2", scheme="vic-mars")
    with pytest.raises(NotFound):
        categorise(store, settings, who, CASE, "no-such-file.jpg", "2")
    with pytest.raises(NotFound):  # a SHA-256 the case does not hold
        categorise(store, settings, who, CASE, "0" * 64, "2")
    assert category_history(store, who, CASE, other) == []
    assert not list(store.audit.entries(case_names=[CASE], action="category_change"))

    # other schemes by name; a letter code read in any case
    out = categorise(store, settings, who, CASE, other, "b", scheme="uk")
    assert out["category"]["code"] == "B" and out["scheme"] == "uk"


def test_history_is_in_order_and_the_latest_holds(store: Store, settings: Settings, seizure: Seizure) -> None:
    other = seizure.shas["other.jpg"]
    a = user(store, "rv-reviewer", AGENCY, "reviewer")
    b = user(store, "rv-investigator", AGENCY, "investigator")
    categorise(store, settings, a, CASE, other, "2", note="first look")
    categorise(store, settings, b, CASE, other, "0")
    categorise(store, settings, a, CASE, other, "3")
    history = category_history(store, a, CASE, other)
    assert [(h["category"]["code"], h["by"], h["note"]) for h in history] == [
        ("2", "rv-reviewer", "first look"),
        ("0", "rv-investigator", None),
        ("3", "rv-reviewer", None),
    ]
    assert [h["id"] for h in history] == sorted(h["id"] for h in history)
    assert [h["at"] for h in history] == sorted(h["at"] for h in history)
    assert not any(h["withdrawn"] for h in history)
    assert triage(store, settings)[other]["category"]["code"] == "3"
    # another content's history is its own
    assert category_history(store, a, CASE, seizure.shas["pic.jpg"]) == []


def test_categories_are_per_case(tmp_path: Path, store: Store, settings: Settings, seizure: Seizure) -> None:
    """The same bytes in another case keep their own (no) category."""
    store.create_case("RV-2", AGENCY)
    ingest_case(store, settings, "RV-2", [str(seizure.folder)])
    who = user(store, "rv-reviewer", AGENCY, "reviewer")
    categorise(store, settings, who, CASE, "other.jpg", "2")
    other = {r["sha256"]: r for r in triage_case(store, settings, "RV-2")}[seizure.shas["other.jpg"]]
    assert other["category"] is None and other["reviewer_category"] is None
    assert category_history(store, who, "RV-2", "other.jpg") == []


def test_who_may_categorise(store: Store, settings: Settings, seizure: Seizure) -> None:
    other = seizure.shas["other.jpg"]
    for role in ("admin", "auditor", "platform"):
        with pytest.raises(AccessDenied):
            categorise(store, settings, user(store, f"rv-{role}", AGENCY, role), CASE, other, "2")

    foreign = user(store, "nl-reviewer", OTHER, "reviewer")
    with pytest.raises(NotFound):  # not shared: as if it did not exist
        categorise(store, settings, foreign, CASE, other, "2")
    store.accounts.share_case(store.get_case(CASE).id, store.accounts.agency(OTHER).id, "tester")
    with pytest.raises(AccessDenied, match="shared with Politie NL to read"):  # shared: read only
        categorise(store, settings, foreign, CASE, other, "2")
    with pytest.raises(AccessDenied):
        categorise(store, settings, user(store, "nl-investigator", OTHER, "investigator"), CASE, other, "2")
    assert category_history(store, foreign, CASE, other) == []  # reading it is reading the case
    assert triage(store, settings)[other]["category"] is None
    assert not list(store.audit.entries(case_names=[CASE], action="category_change"))

    # the local operator (the CLI on the database) may, and names the examiner
    out = categorise(store, settings, Principal.local(), CASE, other, "2", by="E. Xam")
    assert out["by"] == "E. Xam"
    assert category_history(store, foreign, CASE, other)[0]["by"] == "E. Xam"


def test_one_audit_entry_per_call(store: Store, settings: Settings, seizure: Seizure) -> None:
    who = user(store, "rv-reviewer", AGENCY, "reviewer")
    categorise(store, settings, who, CASE, seizure.shas["known.jpg"], "4")
    categorise(store, settings, who, CASE, "pic.jpg", "1", stack=True, note="both copies")
    first, second = list(store.audit.entries(case_names=[CASE], action="category_change"))
    assert (
        first.actor == "rv-reviewer" and first.agency == AGENCY and first.target == seizure.shas["known.jpg"]
    )
    one, two = json.loads(first.detail or "{}"), json.loads(second.detail or "{}")
    assert one["category"] == "4" and one["scheme"] == "vic-us" and one["stack"] is False
    assert one["members"] == 1 and one["previous"] == "vic-us:1" and one["previous_source"] == "list"
    assert second.target == seizure.shas["pic.jpg"] and two["members"] == 2
    assert two["stack"] is True and two["previous"] is None and two["note"] == "both copies"


def test_case_scheme_follows_the_case() -> None:
    def rec(*schemes: str) -> dict[str, object]:
        hits = [{"entry": {"category": {"scheme": s, "code": "A"}}} for s in schemes]
        return {"hits": hits, "reviewer_category": None}

    assert case_scheme([]) == "vic-us"
    assert case_scheme([rec("uk"), rec("uk"), rec("vic-us")]) == "uk"
    assert case_scheme([rec("uk"), rec("vic-us")]) == "vic-us"  # a tie goes to the default
    assert case_scheme([rec("uk", "uk")]) == "uk"  # a content counts once per scheme


def test_docs_list_every_triage_key(store: Store, settings: Settings, seizure: Seizure) -> None:
    """docs/output.md's triage table names every key of a triage record, and the summary's keys."""
    text = (REPO / "docs" / "output.md").read_text()
    table = text.split("| triage key |", 1)[1].split("\n\n", 1)[0]
    documented = {
        k for line in table.splitlines()[2:] for k in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1])
    }
    recs = list(triage(store, settings).values())
    assert set(recs[0]) <= documented, set(recs[0]) - documented
    summary_text = text.split("`jejak triage --summary --format jsonl` prints one object:", 1)[1].split(
        "\n\n"
    )[0]
    assert all(f"`{k}" in summary_text for k in triage_summary(recs)), triage_summary(recs).keys()
