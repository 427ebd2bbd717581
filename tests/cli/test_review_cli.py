"""``jejak categorise`` as a user runs it: categorise a content and a stack, see triage, the history and the
VICS export follow, and bad codes refused with the valid ones."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli
from tests.match.test_review import write_seizure

CASE = "RV-CLI"


def test_categorise_from_the_command_line(cli: Cli, tmp_path: Path) -> None:
    seizure = write_seizure(tmp_path)
    shas = seizure.shas
    listed = tmp_path / "list.csv"
    listed.write_text(f"sha256,category\n{shas['known.jpg']},1\n", encoding="utf-8")
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(seizure.folder), "--case", CASE, "--json")
    cli("lists", "import", str(listed), "--name", "TestList", "--json")
    cli("match", "--case", CASE, "--json")

    out = cli(
        "categorise",
        "pic_small.jpg",
        "--case",
        CASE,
        "--category",
        "2",
        "--stack",
        "--by",
        "E. Xam",
        "--json",
    ).json()
    assert out["by"] == "E. Xam" and out["scheme"] == "vic-us" and out["stack"] is True
    assert [c["sha256"] for c in out["contents"]] == [shas["pic_small.jpg"], shas["pic.jpg"]]
    res = cli("categorise", shas["known.jpg"], "--case", CASE, "--category", "4", "--note", "a comparison")
    assert "categorised vic-us 4 (Comparison)" in res.err and "conflict" in res.err

    recs = {r["sha256"]: r for r in cli("triage", "--case", CASE, "--format", "jsonl").jsonl()}
    for name in ("pic.jpg", "pic_small.jpg"):
        assert recs[shas[name]]["category"]["code"] == "2" and recs[shas[name]]["status"] == "new"
        assert recs[shas[name]]["category_source"] == "reviewer"
    known = recs[shas["known.jpg"]]
    assert known["category"]["code"] == "4" and known["list_category"]["code"] == "1"
    assert [c["code"] for c in known["conflict"]["categories"]] == ["1", "4"]
    assert recs[shas["other.jpg"]]["category"] is None
    csv_rows = cli("triage", "--case", CASE, "--format", "csv").out.splitlines()
    assert any(line.startswith(shas["known.jpg"]) and ",vic-us,4," in line for line in csv_rows)

    bad = cli("categorise", "other.jpg", "--case", CASE, "--category", "7", check=False)
    assert bad.code == 2 and "valid codes: 0 Non-Pertinent, 1 CAM" in bad.err
    assert cli("categorise", "other.jpg", "--case", CASE, check=False).code == 2  # no --category

    cli("categorise", "known.jpg", "--case", CASE, "--category", "1", "--by", "E. Xam")
    history = cli("categorise", "known.jpg", "--case", CASE, "--history", "--format", "jsonl").jsonl()
    assert [(h["category"]["code"], h["note"]) for h in history] == [("4", "a comparison"), ("1", None)]
    table = cli("categorise", "known.jpg", "--case", CASE, "--history").out
    assert "vic-us:4 Comparison" in table and "E. Xam" in table

    doc = tmp_path / "case.json"
    cli("export", "--case", CASE, "--format", "vics", "--output", str(doc))
    [exported] = json.loads(doc.read_text(encoding="utf-8"))["value"]
    by_md5 = {m["MD5"].lower(): m.get("Category") for m in exported["Media"]}
    assert by_md5[recs[shas["pic.jpg"]]["md5"]] == 2 and by_md5[recs[shas["known.jpg"]]["md5"]] == 1

    trail = cli("audit", "show", "--case", CASE, "--action", "category_change", "--format", "jsonl").jsonl()
    assert [e["target"] for e in trail] == [shas["pic_small.jpg"], shas["known.jpg"], shas["known.jpg"]]
