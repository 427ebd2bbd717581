"""The case-data and link endpoints on the two-agency world: the CLI's records, paging, audit entries, and
what crosses agency lines (tests/api/test_isolation.py calls every route as the other agency)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jejak.services import records
from jejak.services.graph import alerts, assert_media, query_links
from jejak.services.triage import triage_case, triage_summary
from tests.api.conftest import World, make_world

NL_SECRETS = ("IMG_0001.jpg", "WhatsApp Chat with Dewi.txt", "VID_0003.mp4", "nl-phone", "nl-investigator")


def get(world: World, who: tuple[str, str], path: str, **params: Any) -> Any:
    r = world.client.get(path, headers=world.auth(*who), params=params)
    assert r.status_code == 200, r.text
    return r.json()


def items(world: World, who: tuple[str, str], path: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a paged listing, page after page."""
    out: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        body = get(world, who, path, limit=3, offset=offset, **params)
        assert set(body) == {"items", "limit", "offset", "next_offset"}
        out += body["items"]
        offset = body["next_offset"]
    return out


def views(world: World, case: str | None, target: str, actor: str) -> int:
    names = [case] if case else None
    return sum(
        1
        for e in world.store.audit.entries(case_names=names, action="case_view")
        if e.target == target and e.actor == actor
    )


def only_nl(world: World) -> list[str]:
    """The SHA-256s NL-1 holds and no case of Polri ID does."""
    mine = {str(r["sha256"]) for r in world.store.iter_files(world.store.get_case("NL-1").id)}
    for case in ("ID-7", "ID-9"):
        mine -= {str(r["sha256"]) for r in world.store.iter_files(world.store.get_case(case).id)}
    return sorted(mine)


NL = ("nl", "reviewer")
ID = ("id", "reviewer")


# -- read-only, on the session world ----------------------------------------------------------------------
def test_cases_listed_by_agency_with_counts(world: World) -> None:
    nl = get(world, NL, "/cases")["items"]
    assert [c["case"] for c in nl] == ["NL-1"]
    assert nl[0]["own"] and nl[0]["counts"]["files"] == 5 and nl[0]["counts"]["exhibits"] == 1
    assert nl[0]["counts"]["alerts"] == len(alerts(world.store, "NL-1"))
    assert [c["case"] for c in get(world, ID, "/cases")["items"]] == ["ID-7", "ID-9"]
    for role in ("auditor", "platform"):
        assert world.client.get("/cases", headers=world.auth("nl", role)).status_code == 403
    assert world.client.get("/cases").status_code == 401


def test_case_details_count_like_the_cli(world: World) -> None:
    before = views(world, "NL-1", "/cases/{case}", "nl-reviewer")
    body = get(world, NL, "/cases/NL-1")
    recs = triage_case(world.store, world.settings, "NL-1")
    summary = triage_summary(recs)
    s = body["summary"]
    assert (s["new"], s["known"], s["known_good"]) == tuple(summary["by_status"].values())
    assert s["files"] == summary["files"] == 5
    assert s["alerts"] == len(alerts(world.store, "NL-1")) > 0
    assert s["warnings"] == world.store.case_summary(world.store.get_case("NL-1").id)["warnings"]
    assert body["agency"] == "Politie NL" and body["own"] and body["shared_with"] == []
    assert views(world, "NL-1", "/cases/{case}", "nl-reviewer") == before + 1


def test_files_are_the_cli_records_paged(world: World) -> None:
    got = items(world, NL, "/cases/NL-1/files")
    row = world.store.get_case("NL-1")
    expected = [records.from_row("NL-1", r) for r in world.store.iter_files(row.id)]
    assert json.loads(json.dumps(expected, default=records.json_default)) == got
    assert {f["name"] for f in got} >= {"IMG_0001.jpg", "WhatsApp Chat with Dewi.txt", "VID_0003.mp4"}
    assert items(world, NL, "/cases/NL-1/files", exhibit="nope") == []
    too_many = world.client.get("/cases/NL-1/files?limit=100000", headers=world.auth(*NL))
    assert too_many.status_code == 400 and too_many.headers["content-type"].startswith("application/problem")


def test_one_content_of_the_case(world: World) -> None:
    sha = world.sha("NL-1", "IMG_0001.jpg")
    body = get(world, NL, f"/cases/NL-1/files/{sha}")
    assert body["sha256"] == sha and body["status"] == "new" and body["hits"] == []
    assert [f["name"] for f in body["files"]] == ["IMG_0001.jpg"]
    assert body["files"][0]["exif"]["serial"] == "084021001234"
    other = world.sha("ID-7", "foto_a.jpg")
    r = world.client.get(f"/cases/NL-1/files/{other}", headers=world.auth(*NL))
    assert r.status_code == 404 and "foto_a" not in r.text
    assert world.client.get("/cases/NL-1/files/xyz", headers=world.auth(*NL)).status_code == 404


def test_triage_matches_warnings_exhibits(world: World) -> None:
    recs = triage_case(world.store, world.settings, "NL-1")
    assert get(world, NL, "/cases/NL-1/triage", summary="true") == json.loads(
        json.dumps({"case": "NL-1", **triage_summary(recs)})
    )
    assert [r["sha256"] for r in items(world, NL, "/cases/NL-1/triage")] == [r["sha256"] for r in recs]
    assert items(world, NL, "/cases/NL-1/triage", status="known") == []
    assert len(items(world, NL, "/cases/NL-1/triage", status="new", exhibit="nl-phone")) == len(recs)
    bad = world.client.get("/cases/NL-1/triage?status=bogus", headers=world.auth(*NL))
    assert bad.status_code == 400
    assert items(world, NL, "/cases/NL-1/matches") == []  # no list in this world
    assert isinstance(items(world, NL, "/cases/NL-1/warnings"), list)
    [ex] = items(world, NL, "/cases/NL-1/exhibits")
    assert (ex["exhibit"], ex["files"], ex["warnings"]) == ("nl-phone", 5, 0)


def test_export_vics_is_audited(world: World) -> None:
    before = len(list(world.store.audit.entries(case_names=["NL-1"], action="export")))
    r = world.client.get("/cases/NL-1/export/vics", headers=world.auth(*NL))
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    doc = r.json()
    assert "IMG_0001.jpg" in r.text and doc
    assert len(list(world.store.audit.entries(case_names=["NL-1"], action="export"))) == before + 1
    assert world.client.get("/cases/NL-1/export/vics", headers=world.auth(*ID)).status_code == 404


def test_links_of_own_and_other_agency(world: World) -> None:
    nl = items(world, NL, "/cases/NL-1/links")
    assert len(nl) == len(query_links(world.store, "NL-1"))
    names = {e["name"] for x in nl for e in (x["a"], x["b"]) if e["kind"] == "content" and not e["hidden"]}
    assert {"IMG_0001.jpg", "IMG_0002.jpg"} <= names
    hidden = [e for x in nl for e in (x["a"], x["b"]) if e.get("hidden")]
    assert hidden and all(e["sha256"] is None and e["name"] is None for e in hidden)
    assert {c["case"] for e in hidden for c in e["cases"]} <= {"ID-7", "ID-9"}
    strong = items(world, NL, "/cases/NL-1/links", rules="pdq,camera", min_score=0.9)
    assert strong and all(x["rule"] in ("pdq", "camera") and x["score"] >= 0.9 for x in strong)

    id7 = items(world, ID, "/cases/ID-7/links")
    text = json.dumps(id7)
    assert not [s for s in (*NL_SECRETS, *only_nl(world)) if s in text]
    pdq = [x for x in id7 if x["rule"] == "pdq" and (x["a"]["hidden"] or x["b"]["hidden"])]
    assert pdq and all(x["evidence"] == {} and x["redacted"] for x in pdq)
    far = pdq[0]["a"] if pdq[0]["a"]["hidden"] else pdq[0]["b"]
    assert far["cases"] == [{"case": "NL-1", "agency": "Politie NL"}]


def test_alerts_carry_the_contract_only(world: World) -> None:
    mine = items(world, ID, "/alerts")
    assert {a["case"] for a in mine} == {"ID-7", "ID-9"}
    assert len(mine) == len(alerts(world.store, "ID-7")) + len(alerts(world.store, "ID-9"))
    into_nl = [a for a in mine if a["other_case"] == "NL-1"]
    assert into_nl and all(a["other_agency"] == "Politie NL" and not a["other_visible"] for a in into_nl)
    assert all(a["evidence"] == {} for a in into_nl)
    text = json.dumps(mine)
    assert not [s for s in (*NL_SECRETS, *only_nl(world)) if s in text]
    assert {a["rule"] for a in into_nl} >= {"pdq", "camera", "place", "identifier"}
    within = [a for a in mine if a["other_case"] in ("ID-7", "ID-9")]
    assert within and all(a["other_visible"] and a["evidence"] for a in within)
    nl = items(world, NL, "/cases/NL-1/alerts")
    assert {a["other_case"] for a in nl} == {"ID-7", "ID-9"}
    assert views(world, None, "/alerts", "id-reviewer") >= 1


def test_graph_formats(world: World) -> None:
    cy = get(world, NL, "/cases/NL-1/graph", format="cytoscape")
    labels = {n["data"]["label"] for n in cy["elements"]["nodes"]}
    assert "IMG_0001.jpg" in labels and "foto_a.jpg" not in labels
    assert any(n["data"].get("hidden") for n in cy["elements"]["nodes"])
    r = world.client.get("/cases/ID-7/graph?format=graphml", headers=world.auth(*ID))
    assert r.status_code == 200 and ET.fromstring(r.content).tag.endswith("graphml")
    assert not [s for s in (*NL_SECRETS, *only_nl(world)) if s in r.text]
    geo = get(world, ID, "/cases/ID-7/graph", format="geojson")
    assert geo["type"] == "FeatureCollection" and geo["features"][0]["properties"]["cases"] == [
        "ID-7",
        "NL-1",
    ]
    kml = world.client.get("/cases/ID-7/graph?format=kml", headers=world.auth(*ID))
    assert kml.status_code == 200 and "<kml" in kml.text
    assert world.client.get("/cases/ID-7/graph?format=svg", headers=world.auth(*ID)).status_code == 400


def test_workboard_suggests_across_agencies_without_their_files(world: World) -> None:
    board = items(world, ID, "/cases/ID-7/workboard")
    top = board[0]
    assert top["name"] == "foto_a.jpg"
    s = top["suggestions"][0]
    assert (s["predicate"], s["object"]) == ("victim", "person:V-12")
    assert s["source"].startswith("content:hidden-") and s["source_cases"][0]["case"] == "NL-1"
    assert not [x for x in (*NL_SECRETS, *only_nl(world)) if x in json.dumps(board)]


def test_persons_only_where_asserted_in_a_visible_case(world: World) -> None:
    p = get(world, NL, "/persons/V-12")
    assert p["role"] == "victim" and p["assertions"][0]["by"] == "nl-investigator" and not p["redacted"]
    hidden = world.client.get("/persons/V-12", headers=world.auth(*ID))
    missing = world.client.get("/persons/V-404", headers=world.auth(*ID))
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace("V-12", "X") == missing.json()["detail"].replace("V-404", "X")
    assert world.client.get("/persons/V-12", headers=world.auth("nl", "auditor")).status_code == 403


def test_assertions_listed(world: World) -> None:
    rows = items(world, NL, "/cases/NL-1/assertions")
    assert ("victim", "person:V-12", "nl-investigator") in {
        (a["predicate"], a["object"], a["by"]) for a in rows
    }
    assert not any(a["redacted"] for a in rows)


# -- writes, on a world of their own ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def own(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(Path(tmp_path_factory.mktemp("api-cases")))
    yield w
    w.client.close()
    w.store.close()


def post(world: World, who: tuple[str, str], path: str, body: dict[str, Any] | None, status: int) -> Any:
    r = world.client.post(path, headers=world.auth(*who), json=body)
    assert r.status_code == status, r.text
    return r.json()


INV_NL = ("nl", "investigator")
INV_ID = ("id", "investigator")


def test_create_case(own: World) -> None:
    body = post(own, INV_ID, "/cases", {"name": "ID-11", "description": "a laptop"}, 201)
    assert (body["case"], body["agency"], body["own"]) == ("ID-11", "Polri ID", True)
    assert [e.action for e in own.store.audit.entries(case_names=["ID-11"])] == ["case_create"]
    post(own, INV_ID, "/cases", {"name": "ID-11"}, 409)
    post(own, ID, "/cases", {"name": "ID-12"}, 403)
    post(own, INV_ID, "/cases", {"name": "../x"}, 422)
    assert "ID-11" not in [c["case"] for c in get(own, NL, "/cases")["items"]]
    assert own.client.get("/cases/ID-11", headers=own.auth(*NL)).status_code == 404


def test_assertion_recorded_then_linked(own: World) -> None:
    sha = own.sha("NL-1", "IMG_0004.jpg")
    out = post(own, INV_NL, "/cases/NL-1/assertions", {"content": "IMG_0004.jpg", "victim": "V-31"}, 201)
    assert out["sha256"] == sha and out["by"] == "nl-investigator"
    assert [(a["predicate"], a["object"]) for a in out["assertions"]] == [("victim", "person:V-31")]
    listed = items(own, NL, "/cases/NL-1/assertions")
    assert ("person:V-31", "nl-investigator") in {(a["object"], a["by"]) for a in listed}
    links = items(own, NL, "/cases/NL-1/links", rules="victim")
    assert {(x["a"]["key"], x["b"]["key"]) for x in links} >= {(f"content:{sha}", "person:V-31")}
    entries = list(own.store.audit.entries(case_names=["NL-1"], action="assertion"))
    assert entries and entries[-1].actor == "nl-investigator" and entries[-1].target == f"content:{sha}"
    post(own, INV_NL, "/cases/NL-1/assertions", {"content": "IMG_0004.jpg"}, 400)  # nothing asserted
    post(own, INV_NL, "/cases/NL-1/assertions", {"content": "foto_a.jpg", "victim": "V-1"}, 404)
    post(own, ("nl", "reviewer"), "/cases/NL-1/assertions", {"content": "IMG_0004.jpg", "series": "S"}, 403)


def test_confirming_another_agencys_victim(own: World) -> None:
    """Polri ID confirms the workboard's suggestion (foto_a shows V-12, kept by Politie NL): recorded, and
    V-12 becomes readable to it, without NL's author, note or file."""
    nl_sha = own.sha("NL-1", "IMG_0002.jpg")
    post(own, INV_ID, "/cases/ID-7/assertions", {"content": "foto_a.jpg", "not_same": nl_sha}, 404)
    post(
        own,
        INV_ID,
        "/cases/ID-7/assertions",
        {"content": "foto_a.jpg", "victim": "V-12", "identified": True},
        403,
    )
    assert own.store.graph.person("V-12").identified is False
    post(
        own,
        INV_ID,
        "/cases/ID-7/assertions",
        {"content": "foto_a.jpg", "victim": "V-12", "note": "match"},
        201,
    )
    p = get(own, ID, "/persons/V-12")
    assert p["redacted"] and p["created_by"] is None and p["aliases"] is None
    theirs = [a for a in p["assertions"] if a["case"] == "NL-1"]
    ours = [a for a in p["assertions"] if a["case"] == "ID-7"]
    assert theirs[0]["by"] is None and theirs[0]["subject"].startswith("content:hidden-")
    assert ours[0]["by"] == "id-investigator" and ours[0]["note"] == "match"
    assert nl_sha not in json.dumps(p) and "nl-investigator" not in json.dumps(p)
    nl_view = get(own, NL, "/persons/V-12")
    assert {a["by"] for a in nl_view["assertions"]} == {"nl-investigator", None}


def test_match_is_written_and_audited(own: World) -> None:
    report = post(own, INV_NL, "/cases/NL-1/match", None, 200)
    assert report["case"] == "NL-1" and report["lists"] == 0 and "graph" in report
    assert list(own.store.audit.entries(case_names=["NL-1"], action="match"))
    post(own, ("nl", "reviewer"), "/cases/NL-1/match", None, 403)
    post(own, INV_ID, "/cases/NL-1/match", None, 404)


def test_assertion_made_elsewhere_on_a_visible_content_keeps_its_author_hidden(own: World) -> None:
    """An assertion on Polri ID's foto_a made outside its cases (here by the operator, as an NL user) shows
    as a link and an assertion without its author or note."""
    sha = own.sha("ID-7", "foto_a.jpg")
    assert_media(own.store, own.settings, None, sha, series="S-77", note="from NL", by="nl-investigator")
    links = items(own, ID, "/cases/ID-7/links", rules="series")
    mine = [x for x in links if {x["a"]["key"], x["b"]["key"]} == {f"content:{sha}", "series:S-77"}]
    assert mine and mine[0]["evidence"] == {} and mine[0]["redacted"]
    rows = [a for a in items(own, ID, "/cases/ID-7/assertions") if a["object"] == "series:S-77"]
    assert rows and rows[0]["by"] is None and rows[0]["note"] is None and rows[0]["redacted"]
    assert "nl-investigator" not in json.dumps([links, rows])
