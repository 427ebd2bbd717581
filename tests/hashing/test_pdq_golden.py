"""PDQ must agree with Meta's reference values (pdq-expected.csv, read in place) through jejak's own path:
signature sniffing, reduced JPEG decode, mode conversion, pdqhash."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image

from jejak.config import Settings
from jejak.hashing.pdq import luma_of, pdq_from_luma
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import process_batch
from jejak.model import FileRecord, LeafTask, PathSpec
from jejak.testing.images import camera_photo, jpeg_bytes
from jejak.walk.limits import Limits


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def hash_one(path: Path, min_side: int | None = None) -> FileRecord:
    s = Settings(workers=0)
    leaf = LeafTask(PathSpec.os_path(str(path)), path.stat().st_size)
    [res] = process_batch(
        [leaf],
        Limits.from_settings(s),
        HashOptions.from_settings(s) if min_side is None else HashOptions(pdq_min_side=min_side),
    )
    assert not res.warnings, res.warnings
    return res.records[0]


def golden_rows(testdata: Path) -> list[dict[str, str]]:
    with open(testdata / "threatexchange" / "pdq-expected.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_every_golden_image_is_within_meta_tolerance(testdata: Path) -> None:
    rows = golden_rows(testdata)
    assert len(rows) >= 20
    failures = []
    for row in rows:
        rec = hash_one(testdata / "threatexchange" / row["path"])
        [pdq] = [h for h in rec.hashes if h.algorithm == "pdq"]
        d = hamming(pdq.value, row["pdq_hex"])
        if d > int(row["tolerance_bits"]):
            failures.append((row["path"], d, row["tolerance_bits"]))
        assert pdq.quality is not None and 0 <= pdq.quality <= 100
    assert not failures, failures


@pytest.mark.parametrize("min_side", [0, 256])
def test_reduced_decode_stays_within_tolerance_even_when_smaller(testdata: Path, min_side: int) -> None:
    # 0 = full decode; 256 = a harsher reduction than the default. Both must stay in tolerance.
    for row in golden_rows(testdata):
        rec = hash_one(testdata / "threatexchange" / row["path"], min_side)
        pdq = next(h for h in rec.hashes if h.algorithm == "pdq")
        assert hamming(pdq.value, row["pdq_hex"]) <= int(row["tolerance_bits"]), row["path"]


def test_odd_colour_modes_hash_close_to_the_original(testdata: Path) -> None:
    modes = testdata / "threatexchange" / "pdq" / "data" / "misc-images" / "modes"
    original = next(h for h in hash_one(modes / "original.jpg").hashes if h.algorithm == "pdq").value
    checked = 0
    for path in sorted(modes.iterdir()):
        if path.suffix.lower() not in (".png", ".jpg", ".webp") or path.name in ("original.jpg", "1.png"):
            continue
        rec = hash_one(path)
        pdq = next(h for h in rec.hashes if h.algorithm == "pdq")
        assert hamming(pdq.value, original) <= 40, (path.name, hamming(pdq.value, original))
        checked += 1
    assert checked >= 10


def test_renamed_jpeg_is_an_image_by_signature(testdata: Path, tmp_path: Path) -> None:
    src = testdata / "threatexchange" / "pdq" / "data" / "bridge-mods" / "aaa-orig.jpg"
    disguised = tmp_path / "invoice.txt"
    disguised.write_bytes(src.read_bytes())
    rec = hash_one(disguised)
    assert rec.kind == "image" and rec.mime == "image/jpeg"
    assert any(h.algorithm == "pdq" for h in rec.hashes)


def test_reduced_decode_of_camera_size_photos_stays_within_tolerance(tmp_path: Path) -> None:
    # The default pdq_min_side decodes a 12 MP JPEG at half size; PDQ must stay within Meta's 10 bits of a
    # full decode (benchmarks/ingest.py measures this on 48 photos; here three, to catch a regression).
    for seed in range(3):
        path = tmp_path / f"cam{seed}.jpg"
        path.write_bytes(jpeg_bytes(camera_photo(seed, 4000, 3000), quality=90))
        rec = hash_one(path)
        assert rec.width == 4000
        reduced = next(h for h in rec.hashes if h.algorithm == "pdq").value
        full, _ = pdq_from_luma(luma_of(Image.open(path)))
        assert hamming(reduced, full) <= 10, (seed, hamming(reduced, full))
