"""The robust stage end to end from the CLI: a list built from reference pictures finds their cropped,
rotated, padded, screenshotted and mirrored-and-cropped copies on a tablet, with the evidence of each match,
and no distractor hits; with the stage switched off, the same copies are new."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from PIL import Image

from jejak.hashing.robust import describe, describe_query
from jejak.match.robust import verify
from jejak.store.sql import Store
from jejak.testing import robustness as ds
from jejak.testing.images import procedural_image
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
        assert ev["enlarged"] is (copy["edit"] == "thumb_crop5"), (copy, ev)
        assert r["category"]["code"] == "1"
    for copy in manifest["near_copies"]:  # a checkerboard saved again at JPEG quality 20
        r = recs[copy["sha256"]]
        assert r["status"] == "known", copy
        [hit] = [h for h in r["hits"] if h["list"] == "unit-series"]
        assert (hit["stage"], hit["algorithm"]) == ("robust", "pdq+aligned"), hit
        ev = hit["evidence"]
        assert ev["aligned"] >= 16 and 31 < ev["pdq_distance"] <= 48, ev
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
    edited = manifest["hard_copies"] + manifest["near_copies"]
    found = [c["edit"] for c in edited if recs[c["sha256"]]["status"] == "known"]
    assert found == [], found  # PDQ alone loses every one of these edits


def test_descriptors_of_an_older_version_are_reported_stale(
    cli: Cli, known: tuple[Path, dict[str, Any]]
) -> None:
    """A seized image described by an older jejak is skipped by the robust stage, never misread, and the
    match report says how many were skipped and what to do."""
    root, manifest = known
    cli("lists", "build", str(root / "reference"), "--name", "unit-series")
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(root / "seizure" / "tablet"), "--case", CASE)
    copy = manifest["hard_copies"][0]
    engine = sa.create_engine(cli.db_url)
    with engine.begin() as conn:
        cid, data = conn.execute(
            sa.text(
                "select d.content_id, d.data from content_descriptor d join content c on c.id = d.content_id "
                "where c.sha256 = :sha"
            ),
            {"sha": copy["sha256"]},
        ).one()
        old = bytes(data[:4]) + struct.pack("<H", 1) + bytes(data[6:])  # as version 1 wrote it
        conn.execute(
            sa.text("update content_descriptor set data = :d where content_id = :c"), {"d": old, "c": cid}
        )
    engine.dispose()
    report = cli("match", "--case", CASE, "--json").json()
    assert report["robust"]["stale"] == 1 and report["robust"]["searched"] >= 1
    assert report["robust"]["stale_entries"] == 0
    recs = {r["sha256"]: r for r in cli("triage", "--case", CASE, "--format", "jsonl").jsonl()}
    assert recs[copy["sha256"]]["status"] == "new"  # only the robust stage could find this edit
    others = [c for c in manifest["hard_copies"][1:] if recs[c["sha256"]]["status"] == "known"]
    assert others, "the other hard copies are still found"
    assert "older jejak" in " ".join(cli("match", "--case", CASE).err.split())


def test_large_photos_keep_colour_for_the_robust_stage(cli: Cli, tmp_path: Path) -> None:
    """A large JPEG is decoded at reduced scale; with the robust stage on it must stay in colour, since
    the stage describes max(R, G, B): a smaller, hue-shifted, cropped copy of a 10 MP photo is then found
    (with a luma-only reduced decode the reference's features came from luma, the copy's from colour, and
    the copy was missed)."""
    ref_dir, seized = tmp_path / "ref", tmp_path / "seized"
    ref_dir.mkdir()
    seized.mkdir()
    big = procedural_image(4242, 4000, 2500, "room")
    big.save(ref_dir / "original.jpg", quality=92)
    hsv = np.array(big.convert("HSV"))
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + 64) % 256  # 90 degrees
    shifted = Image.fromarray(hsv, "HSV").convert("RGB")
    w, h = shifted.size
    copy = shifted.crop((w // 20, h // 20, w - w // 20, h - h // 20)).resize((1800, 1125))
    copy.save(seized / "copy.jpg", quality=90)  # small enough to decode whole: its features come from RGB
    cli("lists", "build", str(ref_dir), "--name", "unit", "--category", "1")
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(seized), "--case", CASE)
    [rec] = cli("triage", "--case", CASE, "--format", "jsonl").jsonl()
    assert rec["status"] == "known" and [h["stage"] for h in rec["hits"]] == ["robust"], rec


def _small_copies(tmp_path: Path) -> tuple[Path, Path]:
    """Two small sample photos (scikit-image, without people: 254 and 379 px) as references, and their
    copies cropped 5 % and shrunk to a quarter (PDQ loses them), plus a small picture in no list."""
    ref_dir, seized = tmp_path / "ref", tmp_path / "seized"
    ref_dir.mkdir()
    seized.mkdir()
    bases = ds.base_items(120, 0)  # the robustness benchmark's first 120 bases
    for slot in (9, 109):
        img = bases[slot].image()
        img.save(ref_dir / f"photo-{slot}.jpg", quality=95)
        w, h = img.size
        crop = img.crop((w // 20, h // 20, w - w // 20, h - h // 20))
        small = crop.resize((round(crop.width / 4), round(crop.height / 4)), Image.Resampling.BILINEAR)
        assert verify(describe_query(small), describe(img)) is None  # plain: nothing verifies
        small.save(seized / f"small-{slot}.png")
    procedural_image(77, 90, 70, "shapes").save(seized / "other.png")
    return ref_dir, seized


def test_small_copies_found_with_their_enlarged_descriptor(cli: Cli, tmp_path: Path) -> None:
    """A copy shrunk to a quarter of a small photo has too few pixels for ORB's first levels: its plain
    descriptor verifies nothing. Ingest stores its enlarged descriptor too (``orb.enlarged``), the match
    searches with both, and the hit says so, with the scale read in the original pictures' pixels."""
    ref_dir, seized = _small_copies(tmp_path)
    cli("lists", "build", str(ref_dir), "--name", "unit", "--category", "1")
    cli("case", "create", CASE, "--agency", "Polri")
    cli("ingest", str(seized), "--case", CASE)
    recs = {
        Path(r["instances"]["paths"][0]).name: r
        for r in cli("triage", "--case", CASE, "--format", "jsonl").jsonl()
    }
    for slot in (9, 109):
        rec = recs[f"small-{slot}.png"]
        assert rec["status"] == "known", rec
        [hit] = rec["hits"]
        assert (hit["stage"], hit["algorithm"]) == ("robust", "orb"), hit
        ev = hit["evidence"]
        assert ev["enlarged"] is True and ev["score"] >= 14, ev
        assert 0.2 < ev["scale"] < 0.3, ev  # a quarter, in original pixels
    assert recs["other.png"]["status"] == "new" and recs["other.png"]["hits"] == []


def test_enlarged_descriptor_switched_off(cli: Cli, tmp_path: Path) -> None:
    """``robust_enlarge_below=0``: no enlarged descriptor is stored and the same small copies are new."""
    ref_dir, seized = _small_copies(tmp_path)
    off = {"JEJAK_ROBUST_ENLARGE_BELOW": "0"}
    cli("lists", "build", str(ref_dir), "--name", "unit", "--category", "1", env=off)
    cli("case", "create", CASE, "--agency", "Polri", env=off)
    cli("ingest", str(seized), "--case", CASE, env=off)
    assert {r["status"] for r in cli("triage", "--case", CASE, "--format", "jsonl", env=off).jsonl()} == {
        "new"
    }
    engine = sa.create_engine(cli.db_url)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT algorithm FROM content_descriptor")).scalars().all()
    engine.dispose()
    assert "orb" in stored and "orb.enlarged" not in stored


def _ingest_edited(cli: Cli, tmp_path: Path, picks: Sequence[tuple[int, str]]) -> dict[str, Any]:
    """The robustness benchmark's bases ``picks`` (slot, edit name) saved as JPEG q95 into a list built
    from media, their edited copies ingested into a new case; the ingest's match report."""
    ref_dir, seized = tmp_path / "ref", tmp_path / "seized"
    ref_dir.mkdir()
    seized.mkdir()
    bases = ds.base_items(500, 0)
    edits = {t.name: t for t in ds.transforms(sorted({name for _slot, name in picks}))}
    for slot, name in picks:
        item = bases[slot]
        item.image().save(ref_dir / f"base-{slot}.jpg", quality=95)
        reference = Image.open(ref_dir / f"base-{slot}.jpg").convert("RGB")
        edit = edits[name]
        edit(reference, ds.transform_rng(0, item.slot, edit)).save(seized / f"edited-{slot}.png")
    cli("lists", "build", str(ref_dir), "--name", "unit", "--category", "1")
    cli("case", "create", CASE, "--agency", "Polri")
    report: dict[str, Any] = cli("ingest", str(seized), "--case", CASE, "--json").json()["match"]
    return report


def test_weak_verification_corroborated_by_a_close_pdq(cli: Cli, tmp_path: Path) -> None:
    """A photo with noise (sigma 20) and a text page blurred (radius 4): PDQ moves past 31 bits and the
    robust stage verifies them under its threshold of 14. Each signal alone is too weak; together (robust
    >= 8 and PDQ <= 48) they are a hit, ``orb+pdq``, whose evidence has both. Without corroboration
    the same pictures are new."""
    report = _ingest_edited(cli, tmp_path, ((29, "noise σ20"), (385, "blur r4")))
    assert report["corroborated_hits"] == 2, report
    for rec in cli("triage", "--case", CASE, "--format", "jsonl").jsonl():
        assert rec["status"] == "known", rec
        [hit] = rec["hits"]
        assert (hit["stage"], hit["algorithm"]) == ("robust", "orb+pdq"), hit
        ev = hit["evidence"]
        assert 8 <= ev["score"] < 14 and 31 < ev["pdq_distance"] <= 48, ev
    # without corroboration (its score raised to the robust threshold, and the corners-in-place rule off)
    # the same pictures are new
    off = {"JEJAK_ROBUST_CORROBORATED_SCORE": "14", "JEJAK_ROBUST_ALIGNED_CORNERS": "0"}
    cli("match", "--case", CASE, env=off)
    assert {r["status"] for r in cli("triage", "--case", CASE, "--format", "jsonl", env=off).jsonl()} == {
        "new"
    }


def test_near_pdq_corroborated_by_corners_in_place(cli: Cli, tmp_path: Path) -> None:
    """Two stripe pictures saved at JPEG quality 20: PDQ moves past 31 bits and the verification finds
    nothing it can tell apart (every stripe corner looks like the next). Their corners are still where
    they were, so the near PDQ is corroborated: ``pdq+aligned``, with the corner count as evidence. With
    the rule off (``robust_aligned_corners`` 0) the same pictures are new."""
    report = _ingest_edited(cli, tmp_path, ((401, "jpeg q20"), (404, "jpeg q20")))
    assert report["aligned_hits"] == 2, report
    for rec in cli("triage", "--case", CASE, "--format", "jsonl").jsonl():
        assert rec["status"] == "known", rec
        [hit] = rec["hits"]
        assert (hit["stage"], hit["algorithm"]) == ("robust", "pdq+aligned"), hit
        ev = hit["evidence"]
        assert ev["score"] == ev["aligned"] >= 16 and 31 < ev["pdq_distance"] <= 48, ev
        assert ev["rotation_deg"] == 0.0 and not ev["mirrored"], ev
    off = {"JEJAK_ROBUST_ALIGNED_CORNERS": "0"}
    cli("match", "--case", CASE, env=off)
    assert {r["status"] for r in cli("triage", "--case", CASE, "--format", "jsonl", env=off).jsonl()} == {
        "new"
    }


def test_lists_build_keeps_a_reference_description(cli: Cli, store: Store, tmp_path: Path) -> None:
    """A list built from pictures keeps, for each, what ``describe`` (a reference's description, the one
    the robustness benchmark measures) gives: ORB asked for a reference's 256 features, not a seized
    picture's 768 cut down to 256, which keeps other corners (73 % the same) and found fewer copies; and
    nothing of a query's (no mirrored descriptors, no enlarged one for a small picture)."""
    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    styles = ("room", "text", "texture", "shapes")
    pics = {
        f"{style}-{seed}.png": procedural_image(seed, 640, 480, style) for seed, style in enumerate(styles)
    }
    pics["small.png"] = procedural_image(7, 320, 240, "room")  # a seized one this small is also enlarged
    for name, pic in pics.items():
        pic.save(ref_dir / name)
    cli("lists", "build", str(ref_dir), "--name", "unit", "--category", "1")
    kept = {
        Path(str(name)).name: blob
        for _id, name, blob in store.lists.list_descriptors(store.lists.get("unit").id, "orb")
    }
    assert set(kept) == set(pics)
    for name, pic in pics.items():
        assert kept[name] == describe(pic).to_bytes(), name
    # the enlarged descriptor is a query's (ingest stores it for small seized pictures); an entry has none
    assert list(store.lists.list_descriptors(store.lists.get("unit").id, "orb.enlarged")) == []
