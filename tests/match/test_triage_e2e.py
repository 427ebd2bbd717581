"""End to end from the CLI: a laptop with exact, recompressed, resized, mirrored and rotated copies of listed
pictures among new ones; VICS, ICSE, PDQ and NSRL lists; match; triage; a newer release; export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jejak.lists import read_list
from jejak.testing.known import SERIES, build_known_material
from tests.conftest import Cli

CASE = "ID-2026-0007"


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("known")
    return root, build_known_material(root)


def by_sha(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["sha256"]: r for r in records}


def test_known_new_and_known_good(cli: Cli, known: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = known
    lists = root / "lists"
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(root / "seizure" / "laptop"), "--case", CASE, "--json")
    before = cli("triage", "--case", CASE, "--format", "jsonl").jsonl()
    assert {r["status"] for r in before} == {"new"}  # nothing is known before a list is imported

    v1 = cli(
        "lists", "import", str(lists / "projectvic-2026-10.json"), "--name", "ProjectVIC", "--json"
    ).json()
    assert v1["format"] == "vics" and v1["version"] == 1 and v1["counts"]["added"] == 8
    cli("lists", "import", str(lists / "icse-export.csv"), "--name", "ICSE", "--json")
    cli("lists", "import", str(lists / "platform-pdq.txt"), "--name", "platform", "--format", "pdq", "--json")
    nsrl = cli(
        "lists", "import", str(lists / "nsrl-rds-demo.db"), "--name", "NSRL", "--known-good", "--json"
    ).json()
    assert nsrl["known_good"] is True and nsrl["format"] == "nsrl" and nsrl["counts"]["added"] == 2

    report = cli("match", "--case", CASE, "--json").json()
    assert report["lists"] == 4 and report["index"]["action"] == "built"
    assert report["dihedral_hits"] >= 3  # mirrored, rotated 90, rotated 180

    recs = cli("triage", "--case", CASE, "--format", "jsonl").jsonl()
    triage = by_sha(recs)
    # order: new material first
    statuses = [r["status"] for r in recs]
    assert statuses == sorted(statuses, key=["new", "known", "known_good"].index)

    for d in manifest["distractors"]:
        r = triage[d["sha256"]]
        assert r["status"] == "new" and r["hits"] == [], d["path"]
    for k in manifest["known_good"]:
        r = triage[k["sha256"]]
        assert r["status"] == "known_good" and {h["list"] for h in r["hits"]} == {"NSRL"}
        assert r["category"] is None

    copies = {c["edit"] + str(c["reference"]): triage[c["sha256"]] for c in manifest["copies"]}
    exact = copies["exact0"]
    assert exact["status"] == "known"
    assert {h["algorithm"] for h in exact["hits"]} == {"md5", "sha1", "sha256"}
    assert all(h["distance"] == 0 for h in exact["hits"])
    assert exact["category"] == {"scheme": "vic-us", "code": "1", "label": "CAM"}

    for edit, variant_expected in (("recompress1", False), ("resize2", False), ("flip3", True),
                                   ("rotate904", True), ("rotate1805", True)):  # fmt: skip
        r = copies[edit]
        assert r["status"] == "known", edit
        pdq = [h for h in r["hits"] if h["list"] == "ProjectVIC"]
        assert [h["algorithm"] for h in pdq] == ["pdq"], edit
        assert 0 <= pdq[0]["distance"] <= 31, edit
        assert (pdq[0]["variant"] is not None) is variant_expected, (edit, pdq[0])
    assert copies["flip3"]["hits"][0]["variant"] == "flipy"  # a left-right mirror
    assert copies["recompress1"]["series"] == SERIES
    assert copies["recompress1"]["flags"]["victim_identified"] is True
    assert copies["rotate1805"]["category"]["code"] == "4"
    # the PDQ-only platform list knows reference 4 too, without a category: no conflict
    assert {h["list"] for h in copies["rotate904"]["hits"]} == {"ProjectVIC", "platform"}
    assert copies["rotate904"]["conflict"] is None

    # reference 6: VICS says category 1, ICSE says 2: a conflict, shown, not resolved
    conflicted = copies["exact6"]
    assert conflicted["category"] is None
    assert [c["code"] for c in conflicted["conflict"]["categories"]] == ["1", "2"]
    assert {h["list"] for h in conflicted["hits"]} == {"ProjectVIC", "ICSE"}

    summary = cli("triage", "--case", CASE, "--summary", "--format", "jsonl").json()
    assert summary["by_status"] == {
        "new": len(manifest["distractors"]),
        "known": len(manifest["copies"]),
        "known_good": len(manifest["known_good"]),
    }
    assert summary["conflicts"] == 1

    # The November release withdraws reference 7, moves reference 5 to category 2, adds one entry.
    v2 = cli(
        "lists", "import", str(lists / "projectvic-2026-11.json"), "--name", "ProjectVIC", "--json"
    ).json()
    assert v2["version"] == 2
    assert {k: v2["counts"][k] for k in ("added", "updated", "removed", "unchanged")} == {
        "added": 1,
        "updated": 1,
        "removed": 1,
        "unchanged": 6,
    }
    again = cli("match", "--case", CASE, "--json").json()
    assert again["index"]["action"] in ("extended", "loaded")
    after = by_sha(cli("triage", "--case", CASE, "--format", "jsonl").jsonl())
    rot180 = next(c for c in manifest["copies"] if c["edit"] == "rotate180")
    assert after[rot180["sha256"]]["category"]["code"] == "2"

    shown = cli("lists", "show", "ProjectVIC", "--json").json()
    assert [v["version"] for v in shown["versions"]] == [1, 2]
    assert shown["entries"] == 8 and shown["removed"] == 1
    listed = {r["list"]: r for r in cli("lists", "ls", "--format", "jsonl").jsonl()}
    assert set(listed) == {"ProjectVIC", "ICSE", "platform", "NSRL"} and listed["NSRL"]["known_good"]

    # export as VICS and import the export: the same entries
    out = root / "export.json"
    cli("lists", "export", "ProjectVIC", "--format", "vics", "--output", str(out))
    assert json.loads(out.read_text(encoding="utf-8-sig"))["@odata.context"].endswith("#Media")
    copy = cli("lists", "import", str(out), "--name", "ProjectVIC-copy", "--json").json()
    assert copy["counts"]["added"] == 8 and copy["counts"]["problems"] == 0

    # the case as a VICS 2.0 #Cases export: every content, its category, where it was found
    latest = cli("triage", "--case", CASE, "--format", "jsonl").jsonl()
    case_out = root / "case.json"
    res = cli("export", "--case", CASE, "--format", "vics", "--output", str(case_out), "--examiner", "E. Xam")
    assert "exported 19 media" in res.err
    doc = json.loads(case_out.read_text(encoding="utf-8"))
    assert doc["@odata.context"].endswith("/US/$metadata#Cases")
    [exported] = doc["value"]
    assert exported["CaseNumber"] == CASE and exported["ContactName"] == "E. Xam"
    media = {m["MD5"].lower(): m for m in exported["Media"]}
    assert len(media) == len(latest)
    for r in latest:
        m = media[r["md5"]]
        assert m.get("Category") == (int(r["category"]["code"]) if r["category"] else None), r["sha256"]
        assert [f["FilePath"] for f in m["MediaFiles"]] == r["instances"]["paths"]
    header, reader = read_list(case_out)
    assert header.extra["shape"] == "Cases" and len(list(reader)) == len(latest)
    uk = cli("export", "--case", CASE, "--profile", "UK", "--output", str(root / "uk.json"))
    assert "categories are not in the UK profile" in uk.err


def test_ingest_matches_by_itself_once_lists_exist(cli: Cli, known: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = known
    cli("lists", "import", str(root / "lists" / "projectvic-2026-10.json"), "--name", "ProjectVIC")
    cli("case", "create", CASE, "--agency", "Polri")
    summary = cli("ingest", str(root / "seizure" / "laptop"), "--case", CASE, "--json").json()
    assert summary["match"]["contents_hit"] == len(manifest["copies"])
    recs = cli("triage", "--case", CASE, "--status", "known", "--format", "jsonl").jsonl()
    assert len(recs) == len(manifest["copies"])


def test_lists_errors_are_clear(cli: Cli, tmp_path: Path) -> None:
    missing = cli("lists", "show", "nope", check=False)
    assert missing.code == 4 and "no list 'nope'" in missing.err
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00\x01 not a list")
    res = cli("lists", "import", str(bad), "--name", "x", check=False)
    assert res.code != 0 and "Traceback" not in res.err


def test_build_map_and_remove(cli: Cli, known: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, manifest = known
    saved = root / "seizure" / "laptop" / "Pictures" / "saved"
    built = cli("lists", "build", str(saved), "--name", "unit", "--category", "2", "--series", "S1", "--json")
    assert built.json()["counts"]["added"] == len(list(saved.iterdir()))
    # a generic CSV whose columns are named by --map
    exact = next(c for c in manifest["copies"] if c["reference"] == 6)
    sheet = tmp_path / "sheet.csv"
    sheet.write_text(f"Fingerprint;Grade\n{exact['sha256'].upper()};1\n")
    maps = ["--map", "sha256=Fingerprint", "--map", "category=Grade"]
    mapped = cli("lists", "import", str(sheet), "--name", "sheet", *maps, "--json").json()
    assert mapped["format"] == "csv" and mapped["counts"]["added"] == 1
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(root / "seizure" / "laptop"), "--case", CASE)
    recs = by_sha(cli("triage", "--case", CASE, "--format", "jsonl").jsonl())
    assert recs[exact["sha256"]]["category"]["code"] == "1"
    rot = next(c for c in manifest["copies"] if c["edit"] == "rotate90")
    assert recs[rot["sha256"]]["series"] == "S1"
    cli("lists", "rm", "unit", "--yes")
    cli("match", "--case", CASE)
    recs = by_sha(cli("triage", "--case", CASE, "--format", "jsonl").jsonl())
    assert recs[rot["sha256"]]["status"] == "new"
    assert [r["list"] for r in cli("lists", "ls", "--format", "jsonl").jsonl()] == ["sheet"]
