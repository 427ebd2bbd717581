"""Link analysis end to end from the CLI: two agencies, three seizures (``testing.agencies``), and every
link between them: near-duplicate media, the same camera serial, nearby GPS, a shared chat invite link, a
shared soundtrack; an asserted victim whose suggestions propagate, a rejected suggestion that stays
rejected, the alerts each side receives, and the exports."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from jejak.testing.agencies import INVITE, build_agencies
from tests.conftest import Cli, Result


class SceneCli(Cli):
    """The scenario's commands, with the experimental same-scene rule on."""

    def __call__(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Result:
        return super().__call__(*args, env={"JEJAK_SCENE_ENABLED": "1", **(env or {})}, check=check)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("agencies")
    manifest = build_agencies(root)
    db = f"sqlite:///{root / 'jejak.db'}"
    cli = SceneCli(db, root)
    for case, info in manifest["cases"].items():
        cli("case", "create", case, "--agency", info["agency"])
    summaries = {
        case: cli("ingest", str(root / info["folder"]), "--case", case, "--json").json()
        for case, info in manifest["cases"].items()
    }
    return {"root": root, "cli": cli, "manifest": manifest, "summaries": summaries}


def _sha(cli: Cli, case: str, name: str) -> str:
    rows = cli("files", "--case", case, "--format", "jsonl").jsonl()
    return next(str(r["sha256"]) for r in rows if Path(r["path"]).name == name)


def _ends(row: dict[str, Any]) -> set[str]:
    return {row[side].get("sha256", "") for side in ("a", "b")}


def _alerts(cli: Cli, case: str) -> list[dict[str, Any]]:
    return list(cli("alerts", "--case", case, "--format", "jsonl").jsonl())


def test_every_rule_links_the_seizures_and_both_sides_are_alerted(scenario: dict[str, Any]) -> None:
    cli: Cli = scenario["cli"]
    for case, s in scenario["summaries"].items():
        assert s["warnings"] == 0, (case, cli("warnings", "--case", case, "--format", "jsonl").out)
    nl = _alerts(cli, "NL-1")
    by_rule = {a["rule"]: a for a in nl}
    assert set(by_rule) == {"place", "camera", "identifier", "pdq", "chromaprint"}, nl
    assert by_rule["camera"]["other_case"] == "ID-9" and by_rule["camera"]["other_agency"] == "Polri ID"
    assert by_rule["camera"]["via"] == "camera:serial:canon|eos 80d|84021001234"
    assert by_rule["place"]["other_case"] == "ID-7" and by_rule["place"]["via"].startswith("place:")
    idents = {(a["via"], a["other_case"]) for a in nl if a["rule"] == "identifier"}
    assert idents == {  # an invite link in notes, a username in a file name
        ("identifier:invite:whatsapp:" + INVITE.rsplit("/", 1)[1], "ID-7"),
        ("identifier:username:@dewi_fc", "ID-9"),
    }
    assert by_rule["chromaprint"]["other_case"] == "ID-9"
    assert {a["other_case"] for a in nl if a["rule"] == "pdq"} == {"ID-7", "ID-9"}
    assert all(a["victim_identified"] is False for a in nl)
    # each side is told: the same links seen from the Indonesian cases
    id7 = {(a["rule"], a["other_case"]) for a in _alerts(cli, "ID-7")}
    assert {("place", "NL-1"), ("identifier", "NL-1"), ("pdq", "NL-1")} <= id7
    id9 = {(a["rule"], a["other_case"]) for a in _alerts(cli, "ID-9")}
    assert {("camera", "NL-1"), ("chromaprint", "NL-1"), ("pdq", "NL-1")} <= id9
    # a camera model alone (score 0.1) raises nothing; make+model+serial does
    assert all(a["score"] >= 0.5 for a in nl)


def test_links_carry_their_evidence(scenario: dict[str, Any]) -> None:
    cli: Cli = scenario["cli"]
    sha = _sha(cli, "NL-1", "IMG_0001.jpg")
    rows = cli("links", "--content", sha, "--format", "jsonl").jsonl()
    cameras = [r for r in rows if r["rule"] == "camera" and r["score"] == 0.95]
    assert len(cameras) == 2 and all(r["evidence"]["strength"] == "serial" for r in cameras)
    assert sha in _ends(cameras[0]) | _ends(cameras[1])  # this picture's and the other seizure's
    place = next(r for r in rows if r["rule"] == "place" and sha in _ends(r))
    assert place["evidence"]["distance_m"] < 25 and len(place["evidence"]["centroid"]) == 2
    others = {c["case"] for r in rows for side in ("a", "b") for c in r[side].get("cases", [])}
    assert others == {"NL-1", "ID-7", "ID-9"}  # the camera's other picture and the place's
    strong = cli("links", "--content", sha, "--rules", "camera", "--min-score", "0.5", "--format", "jsonl")
    assert {r["rule"] for r in strong.jsonl()} == {"camera"}
    chat = _sha(cli, "NL-1", "WhatsApp Chat with Dewi.txt")
    found = {
        r[side]["id"] for r in cli("links", "--content", chat, "--format", "jsonl").jsonl() for side in "ab"
    }
    assert "phone:+6281234567890" in found and "invite:whatsapp:" + INVITE.rsplit("/", 1)[1] in found


def test_assertions_propagate_as_suggestions_and_rejections_stay(scenario: dict[str, Any]) -> None:
    cli: Cli = scenario["cli"]
    victim = _sha(cli, "NL-1", "IMG_0002.jpg")
    copy_a = _sha(cli, "ID-7", "foto_a.jpg")
    copy_d = _sha(cli, "ID-9", "foto_d.jpg")
    out = cli(
        "assert", "media", "IMG_0002.jpg", "--case", "NL-1", "--victim", "V-12", "--unidentified",
        "--external-id", "ICSE:series-0042", "--by", "examiner-nl", "--json",
    ).json()  # fmt: skip
    assert out["sha256"] == victim and out["by"] == "examiner-nl"
    assert out["assertions"][0]["object"] == "person:V-12" and not out["assertions"][0]["negated"]
    board7 = cli("workboard", "--case", "ID-7", "--format", "jsonl").jsonl()
    top = board7[0]
    assert top["sha256"] == copy_a and top["score"] > 0.5
    assert top["suggestions"][0]["object"] == "person:V-12" and top["suggestions"][0]["rule"] == "pdq"
    board9 = {r["sha256"]: r for r in cli("workboard", "--case", "ID-9", "--format", "jsonl").jsonl()}
    assert board9[copy_d]["suggestions"][0]["object"] == "person:V-12"

    cli("assert", "media", copy_d, "--case", "ID-9", "--victim", "V-12", "--reject", "--by", "examiner-id")
    cli("match", "--case", "ID-9")  # links and alerts are recomputed: the rejection must hold
    board9 = {r["sha256"]: r for r in cli("workboard", "--case", "ID-9", "--format", "jsonl").jsonl()}
    assert board9[copy_d]["suggestions"] == []
    board7 = cli("workboard", "--case", "ID-7", "--format", "jsonl").jsonl()
    assert board7[0]["suggestions"][0]["object"] == "person:V-12"  # the other copy is still suggested

    person = json.loads(cli("person", "show", "V-12").out)
    assert person["role"] == "victim" and person["identified"] is False
    assert person["external_ids"] == ["ICSE:series-0042"]
    assert [(a["by"], a["negated"]) for a in person["assertions"]] == [
        ("examiner-nl", False),
        ("examiner-id", True),
    ]

    # Once the victim is identified, the other side's alerts say so: nobody needs to start again.
    cli("assert", "media", "IMG_0002.jpg", "--case", "NL-1", "--victim", "V-12", "--identified")
    id7 = [a for a in _alerts(cli, "ID-7") if a["rule"] == "pdq" and a["other_case"] == "NL-1"]
    assert any(a["victim_identified"] for a in id7), id7
    board7 = cli("workboard", "--case", "ID-7", "--format", "jsonl").jsonl()
    assert all(s["object"] != "person:V-12" for r in board7 for s in r["suggestions"])  # identified now


def test_graph_exports(scenario: dict[str, Any], tmp_path: Path) -> None:
    cli: Cli = scenario["cli"]
    out = tmp_path / "g.graphml"
    out.write_text(cli("graph", "--case", "NL-1", "--format", "graphml").out)
    g = nx.read_graphml(out)
    assert "case:NL-1" in g and "case:ID-9" in g and "camera:serial:canon|eos 80d|84021001234" in g
    assert nx.has_path(g, "case:NL-1", "case:ID-9")
    cy = json.loads(cli("graph", "--case", "NL-1", "--format", "cytoscape").out)
    kinds = {n["data"]["kind"] for n in cy["elements"]["nodes"]}
    assert {"content", "case", "camera", "place", "identifier"} <= kinds
    geo = json.loads(cli("graph", "--case", "NL-1", "--format", "geojson").out)
    (feature,) = geo["features"]
    lon, lat = feature["geometry"]["coordinates"]
    assert abs(lat - 52.37018) < 1e-3 and abs(lon - 4.89) < 1e-3
    assert feature["properties"]["media"] == 2 and feature["properties"]["cases"] == ["ID-7", "NL-1"]
    kml = ET.fromstring(cli("graph", "--case", "NL-1", "--format", "kml").out)
    assert len(kml.findall(".//{http://www.opengis.net/kml/2.2}Placemark")) == 1
    groups = [json.loads(line) for line in cli("graph", "--case", "NL-1", "--components").out.splitlines()]
    assert groups and all(len(c) > 1 for c in groups)
    steps = cli("graph", "--case", "NL-1", "--path", "case:NL-1", "case:ID-9").out.splitlines()
    assert len(steps) >= 2 and json.loads(steps[0])["a"] == "case:NL-1"


def test_a_new_picture_from_a_known_room_is_suggested_for_its_victim(scenario: dict[str, Any]) -> None:
    cli: Cli = scenario["cli"]
    room_nl = _sha(cli, "NL-1", "IMG_0004.jpg")
    room_id = _sha(cli, "ID-7", "kamar.jpg")
    # before any assertion the rooms are in different cases: nothing links them yet
    assert not any(a["rule"] == "scene" for a in _alerts(cli, "ID-7"))
    cli("assert", "media", "IMG_0004.jpg", "--case", "NL-1", "--victim", "V-31", "--by", "examiner-nl")
    report = cli("match", "--case", "ID-7", "--json").json()
    assert report["graph"]["scene"]["links"] >= 1
    board = {r["sha256"]: r for r in cli("workboard", "--case", "ID-7", "--format", "jsonl").jsonl()}
    (s,) = [x for x in board[room_id]["suggestions"] if x["object"] == "person:V-31"]
    assert s["rule"] == "scene" and s["source"] == f"content:{room_nl}" and s["score"] >= 0.5
    scene = {(a["subject"], a["other_case"], a["via"]) for a in _alerts(cli, "ID-7") if a["rule"] == "scene"}
    assert (f"content:{room_id}", "NL-1", f"content:{room_nl}") in scene  # (the near-duplicate of
    # IMG_0002, asserted for V-12, is the same scene too: a copy shows the same room)
    link = next(
        r for r in cli("links", "--content", room_id, "--rules", "scene", "--format", "jsonl").jsonl()
    )
    assert link["evidence"]["inliers"] >= 8 and link["evidence"]["planes"] >= 1
