"""jejak's PDQ (numpy, separable sampling) against pdqhash (Meta's C++ reference): bit for bit."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from jejak.hashing.pdq import DIHEDRAL, luma_of, pdq_dihedral_from_luma, pdq_from_luma
from jejak.testing.images import STYLES, procedural_image


def reference(im: Image.Image) -> tuple[str, int]:
    bits, quality = pdqhash.compute(np.asarray(im.convert("RGB")))
    return np.packbits(bits.astype(np.uint8)).tobytes().hex(), int(quality)


def ours(im: Image.Image) -> tuple[str, int]:
    return pdq_from_luma(luma_of(im.convert("RGB")))


@pytest.mark.parametrize(
    "size",
    [
        (1, 1),
        (2, 3),
        (4, 9),
        (5, 5),
        (63, 65),
        (64, 64),
        (127, 129),
        (320, 240),
        (1000, 750),
        (1023, 767),
        (4000, 3000),
    ],
)
def test_identical_to_the_reference_across_sizes(size: tuple[int, int]) -> None:
    for seed, style in enumerate(STYLES[:3] if size[0] > 2000 else STYLES):
        im = procedural_image(seed, max(size[0], 16), max(size[1], 16), style).resize(size)
        assert ours(im) == reference(im), (size, style)


def test_identical_on_metas_golden_images(testdata: Path) -> None:
    base = testdata / "threatexchange"
    with open(base / "pdq-expected.csv", newline="") as f:
        for row in csv.DictReader(f):
            im = Image.open(base / row["path"])
            assert ours(im) == reference(im), row["path"]


def test_greyscale_input_is_its_own_luma() -> None:
    im = procedural_image(5, 300, 200, "texture").convert("L")
    assert pdq_from_luma(luma_of(im)) == reference(im)


def test_dihedral_variants_identical_to_the_reference() -> None:
    for seed, style in enumerate(STYLES):
        im = procedural_image(seed, 320, 240, style).convert("RGB")
        hashes, quality = pdq_dihedral_from_luma(luma_of(im))
        vectors, ref_quality = pdqhash.compute_dihedral(np.asarray(im))
        ref = [np.packbits(v.astype(np.uint8)).tobytes().hex() for v in vectors]
        assert [hashes[v] for v in ("", *DIHEDRAL)] == ref, style
        assert quality == int(ref_quality)


def test_each_variant_finds_the_rotated_file_metas_tests_use(testdata: Path) -> None:
    """Meta's dih/ folder holds the bridge photo rotated and mirrored eight ways: the variant of that name,
    computed from the original, is within Meta's tolerance of the rotated file's plain hash."""
    folder = testdata / "threatexchange" / "pdq" / "data" / "reg-test-input" / "dih"
    names = {
        "bridge-2-rotate-90.jpg": "rot90",
        "bridge-3-rotate-180.jpg": "rot180",
        "bridge-4-rotate-270.jpg": "rot270",
        "bridge-5-flipx.jpg": "flipx",
        "bridge-6-flipy.jpg": "flipy",
        "bridge-7-flip-plus-1.jpg": "flipplus1",
        "bridge-8-flip-minus-1.jpg": "flipminus1",
    }
    variants, _ = pdq_dihedral_from_luma(luma_of(Image.open(folder / "bridge-1-original.jpg")))
    for file, variant in names.items():
        plain, _ = pdq_from_luma(luma_of(Image.open(folder / file)))
        distances = {v: (int(h, 16) ^ int(plain, 16)).bit_count() for v, h in variants.items()}
        assert distances[variant] <= 14, (file, distances)
        assert min(distances, key=lambda v: distances[v]) == variant
