"""jejak's PDQ (numpy, separable sampling) against pdqhash (Meta's C++ reference): bit for bit."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from jejak.hashing.pdq import luma_of, pdq_from_luma
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
