"""The robust stage end to end from the CLI: a list built from reference pictures finds their cropped,
rotated, padded, screenshotted and mirrored-and-cropped copies on a tablet, with the evidence of each match,
and no distractor hits; with the stage switched off, the same copies are new."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from jejak.testing.known import build_known_material
from tests.conftest import Cli

CASE = "ID-2026-0099"


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("known")
    return root, build_known_material(root)


def test_hard_edits_found_by_the_robust_stage(cli: Cli, known: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = known
    reference = str(root / "reference")
    built = cli("lists", "build", reference, "--name", "unit-series", "--category", "1", "--json")
    assert built.json()["counts"]["added"] == len(manifest["references"])
    cli("case", "create", CASE, "--agency", "Polri")
    summary = cli(
        "ingest", str(root / "seizure" / "tablet"), str(root / "seizure" / "laptop"), "--case", CASE, "--json"
    ).json()
    assert summary["match"]["robust"]["references"] == len(manifest["references"])
    recs = {r["sha256"]: r for r in cli("triage", "--case", CASE, "--format", "jsonl").jsonl()}

    for copy in manifest["hard_copies"]:
        r = recs[copy["sha256"]]
        assert r["status"] == "known", copy
        [hit] = [h for h in r["hits"] if h["list"] == "unit-series"]
        assert hit["stage"] == "robust" and hit["algorithm"] == "orb" and hit["distance"] is None
        ev = hit["evidence"]
        assert ev["score"] >= 14 and ev["inliers"] >= ev["score"], copy
        if copy["edit"] == "rotate7":
            assert abs(abs(ev["rotation_deg"]) - 7) < 2, ev
        assert ev["mirrored"] is (copy["edit"] == "mirror_crop5"), (copy, ev)
        assert r["category"]["code"] == "1"
    for d in manifest["tablet_distractors"] + manifest["distractors"]:
        assert recs[d["sha256"]]["status"] == "new", d
        assert recs[d["sha256"]]["hits"] == []
    # the laptop's exact and PDQ-found copies also match the unit's list (by whichever stage is first)
    for copy in manifest["copies"]:
        if copy["reference"] < len(manifest["references"]):
            assert recs[copy["sha256"]]["status"] == "known", copy


def test_without_the_robust_stage_hard_edits_are_new(cli: Cli, known: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = known
    off = {"JEJAK_ROBUST_ENABLED": "false"}
    cli("lists", "build", str(root / "reference"), "--name", "unit-series", env=off)
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(root / "seizure" / "tablet"), "--case", CASE, env=off)
    recs = {r["sha256"]: r for r in cli("triage", "--case", CASE, "--format", "jsonl", env=off).jsonl()}
    found = [c["edit"] for c in manifest["hard_copies"] if recs[c["sha256"]]["status"] == "known"]
    assert found == [], found  # PDQ alone loses every one of these edits
