"""The robust (ORB) descriptor: contents, border trimming, and its versioned binary form."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from PIL import Image

from jejak.hashing.borders import trim_box
from jejak.hashing.robust import (
    COARSE_FEATURES,
    ENLARGE_BELOW,
    MAX_SIDE,
    QUERY_FEATURES,
    REF_FEATURES,
    RobustDescriptor,
    describe,
    describe_enlarged,
    describe_query,
)
from jejak.testing.images import procedural_image


@pytest.fixture(scope="module")
def picture() -> Image.Image:
    return procedural_image(11, 900, 640, "shapes")


def test_reference_descriptor(picture: Image.Image) -> None:
    d = describe(picture)
    assert d.coarse == COARSE_FEATURES and 100 <= len(d) - d.coarse <= REF_FEATURES
    # coarse features sit at the octaves of a picture shrunk to COARSE_SIDE: log(512 / 160) / log(1.2) = 6.4
    assert d.octave[-d.coarse :].min() >= 6 and d.octave[: -d.coarse].max() <= 7
    assert d.mirror_desc is None
    assert (d.width, d.height) == (900, 640)
    assert max(d.work_size) == MAX_SIDE
    assert d.desc.shape == (len(d), 32) and d.desc.dtype == np.uint8
    assert np.all((d.xy >= 0) & (d.xy < np.array(d.work_size)))
    assert np.all((d.angle >= 0) & (d.angle < 360))


def test_query_descriptor_has_mirror(picture: Image.Image) -> None:
    q = describe_query(picture)
    assert REF_FEATURES < len(q) - q.coarse <= QUERY_FEATURES
    assert q.mirror_desc is not None and q.mirror_desc.shape == q.desc.shape


def test_deterministic(picture: Image.Image) -> None:
    assert describe(picture).to_bytes() == describe(picture).to_bytes()


@pytest.mark.parametrize("mirror", [False, True])
def test_round_trip(picture: Image.Image, mirror: bool) -> None:
    d = describe(picture, mirror=mirror)
    data = d.to_bytes()
    assert len(data) == 44 + len(d) * (38 + (32 if mirror else 0))
    back = RobustDescriptor.from_bytes(data)
    assert back.to_bytes() == data
    assert (back.width, back.height, back.box, back.work_size) == (d.width, d.height, d.box, d.work_size)
    assert back.coarse == d.coarse == COARSE_FEATURES
    np.testing.assert_array_equal(back.xy, d.xy)
    np.testing.assert_array_equal(back.angle, d.angle)
    np.testing.assert_array_equal(back.octave, d.octave)
    np.testing.assert_array_equal(back.desc, d.desc)
    if mirror:
        assert back.mirror_desc is not None and d.mirror_desc is not None
        np.testing.assert_array_equal(back.mirror_desc, d.mirror_desc)


def test_reference_fits_thirteen_kilobytes(picture: Image.Image) -> None:
    assert len(describe(picture).to_bytes()) <= 13 * 1024


def test_from_bytes_refusals(picture: Image.Image) -> None:
    data = describe(picture).to_bytes()
    with pytest.raises(ValueError, match="truncated"):
        RobustDescriptor.from_bytes(data[:10])
    with pytest.raises(ValueError, match="magic"):
        RobustDescriptor.from_bytes(b"XXXX" + data[4:])
    with pytest.raises(ValueError, match="version"):
        RobustDescriptor.from_bytes(data[:4] + struct.pack("<H", 99) + data[6:])
    with pytest.raises(ValueError, match="bytes"):
        RobustDescriptor.from_bytes(data[:-1])
    with pytest.raises(ValueError, match="flags"):
        RobustDescriptor.from_bytes(data[:6] + struct.pack("<H", 4) + data[8:])


@pytest.mark.parametrize("fill", [(0, 0, 0), (255, 255, 255)])
def test_trim_finds_padding(picture: Image.Image, fill: tuple[int, int, int]) -> None:
    canvas = Image.new("RGB", (1300, 1040), fill)
    canvas.paste(picture, (200, 200))
    d = describe(canvas)
    x0, y0, x1, y1 = d.box
    assert abs(x0 - 200) <= 8 and abs(y0 - 200) <= 8
    assert abs(x1 - 1100) <= 8 and abs(y1 - 840) <= 8


def test_trim_box_keeps_most_of_a_plain_picture() -> None:
    grey = np.asarray(procedural_image(12, 900, 640, "room").convert("L"))
    x0, y0, x1, y1 = trim_box(grey)
    assert x1 - x0 >= 0.6 * 900 and y1 - y0 >= 0.6 * 640


@pytest.mark.parametrize("size", [(20, 20), (300, 16)])
def test_tiny_and_flat_pictures(size: tuple[int, int]) -> None:
    d = describe_query(Image.new("RGB", size, (90, 90, 90)))
    assert len(d) == 0 and d.mirror_desc is not None
    assert RobustDescriptor.from_bytes(d.to_bytes()).to_bytes() == d.to_bytes()


def test_other_modes(picture: Image.Image) -> None:
    for mode in ("L", "RGBA", "P"):
        assert len(describe(picture.convert(mode))) > 100


@pytest.mark.parametrize("style", ["shapes", "stripes", "texture", "text", "checker"])
def test_trim_finds_a_blurred_fill(style: str) -> None:
    """Apps pad with an enlarged, blurred copy of the picture: the box is the pasted picture's."""
    from jejak.testing.robustness import transforms

    (pad,) = transforms(["pad 20% blur"])
    img = procedural_image(23, 800, 600, style)
    padded = pad(img, np.random.default_rng(0))
    bw, bh = (padded.width - img.width) / 2, (padded.height - img.height) / 2
    x0, y0, x1, y1 = describe(padded).box
    tol = 0.03 * padded.width
    assert abs(x0 - bw) <= tol and abs(y0 - bh) <= tol
    assert abs(x1 - (bw + img.width)) <= tol and abs(y1 - (bh + img.height)) <= tol


def test_enlarged_descriptor_only_for_small_pictures(picture: Image.Image) -> None:
    """Pictures under ENLARGE_BELOW get a second descriptor of the picture enlarged to the work size; its
    size and box are the original picture's, and it survives the binary form."""
    assert describe_enlarged(picture) is None  # 900 px
    assert describe_enlarged(picture.resize((ENLARGE_BELOW, 300))) is None
    small = picture.resize((225, 160), Image.Resampling.BILINEAR)
    big = describe_enlarged(small)
    assert big is not None and big.mirror_desc is not None
    assert (big.width, big.height) == (225, 160)
    assert max(big.work_size) > 1.5 * 225  # described enlarged (its trimmed box at the work scale)
    assert big.box[2] <= 225.5 and big.box[3] <= 160.5
    assert abs(big.scale - MAX_SIDE / 225) < 0.05 * MAX_SIDE / 225  # work pixels per original pixel
    assert len(big) > len(describe_query(small))
    assert RobustDescriptor.from_bytes(big.to_bytes()).to_bytes() == big.to_bytes()


@pytest.mark.parametrize(("seed", "style"), [(11, "shapes"), (12, "room"), (13, "texture")])
def test_reference_keeps_what_a_reference_description_keeps(seed: int, style: str) -> None:
    """A list built from seized media keeps the first REF_FEATURES of each picture's descriptor
    (``reference``): they are mostly the keypoints ``describe`` keeps for a reference, over the same pyramid
    levels. (ORB's ``compute`` returns keypoints grouped by level, which once left that prefix with level
    0-3 corners only: a list entry then found fewer downscaled, blurred or re-shared copies.)"""
    pic = procedural_image(seed, 900, 640, style)
    own, ref = describe(pic), describe_query(pic).reference()
    assert (len(ref), ref.coarse, ref.mirror_desc) == (len(own), own.coarse, None)
    n = len(own) - own.coarse
    levels = np.bincount(own.octave[:n], minlength=8), np.bincount(ref.octave[:n], minlength=8)
    assert np.abs(levels[0] - levels[1]).sum() <= REF_FEATURES // 4
    assert levels[1][4:].sum() >= levels[0][4:].sum() // 2 > 0

    def keys(d: RobustDescriptor) -> set[tuple[int, int, int]]:
        pts = zip(d.xy[:n].tolist(), d.octave[:n].tolist(), strict=True)
        return {(round(x), round(y), o) for (x, y), o in pts}

    assert len(keys(own) & keys(ref)) >= 0.7 * REF_FEATURES
    np.testing.assert_array_equal(ref.desc[n:], own.desc[n:])  # the coarse features are the same
