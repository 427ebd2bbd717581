"""The robustness dataset (jejak.testing.robustness): counts and kinds, only allowed sample photos, no shared
content between bases and distractors, deterministic pictures, and the transform ladder's sizes and kinds."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from jejak.testing import robustness as ds
from jejak.testing.images import procedural_image

# The scikit-image samples a benchmark may use (objects, textures, astronomy, microscopy, text), and some
# that must never be read (people, or unrelated to the benchmark).
ALLOWED_PHOTOS = frozenset({
    "brick", "chelsea", "coffee", "coins", "color", "grass", "gravel", "hubble_deep_field", "logo", "moon",
    "motorcycle_left", "motorcycle_right", "page", "rocket", "text", "chessboard_RGB", "clock_motion",
    "retina", "cell", "ihc",
})  # fmt: skip
EXCLUDED_PHOTOS = frozenset({"astronaut", "camera", "lfw_subset", "horse", "phantom", "microaneurysms"})

SIZE_KEEPING = {"jpeg", "blur", "noise", "gamma", "hue", "watermark", "flip"}


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_counts_kinds_and_names() -> None:
    bases = ds.base_items(500, seed=0)
    others = ds.distractor_items(5000, seed=0)
    assert len(bases) == 500 and len(others) == 5000
    names = [i.name for i in bases + others]
    assert len(set(names)) == len(names)
    assert {i.role for i in bases} == {"base"} and {i.role for i in others} == {"distractor"}
    comp_b, comp_d = ds.composition(bases), ds.composition(others)
    assert sum(comp_b.values()) == 500 and sum(comp_d.values()) == 5000
    assert "gradient" not in comp_b and set(comp_b) <= set(ds.KINDS)
    procedural = [k for k in ds.KINDS if k != "photo"]
    assert all(comp_b[k] >= 50 for k in procedural), comp_b
    assert all(comp_d[k] >= 500 for k in procedural), comp_d
    if ds.photo_path("brick") is not None:  # scikit-image installed (the bench extra)
        assert comp_b["photo"] >= 25 and comp_d["photo"] == 500
    for item in bases + others:
        if item.kind != "photo":
            assert ds.MIN_SIDE <= max(item.size) <= ds.MAX_SIDE
    # the same recipes for the same seed; another seed, other recipes
    assert ds.base_items(500, seed=0) == bases
    assert ds.base_items(50, seed=1) != ds.base_items(50, seed=0)


def test_procedural_seeds_never_shared() -> None:
    seeds = {
        ds._seed_int(0, role, slot, attempt)
        for role in (1, 2, 3)
        for slot in range(300)
        for attempt in range(3)
    }
    assert len(seeds) == 3 * 300 * 3
    assert ds._seed_int(1, 1, 0) not in {
        ds._seed_int(0, role, slot) for role in (1, 2, 3) for slot in range(300)
    }


def test_only_allowed_photos_and_no_shared_pixels() -> None:
    assert set(ds.PHOTO_SOURCES) <= ALLOWED_PHOTOS
    assert not set(ds.PHOTO_SOURCES) & EXCLUDED_PHOTOS
    with pytest.raises(ValueError):
        ds.photo_path("astronaut")
    bases = [i for i in ds.base_items(500, seed=0) if i.kind == "photo"]
    others = [i for i in ds.distractor_items(5000, seed=0) if i.kind == "photo"]
    for item in bases + others:
        assert item.source in ALLOWED_PHOTOS and item.source not in EXCLUDED_PHOTOS
        assert item.source in item.name
    for i, a in enumerate(bases):  # no two bases share pixels; no distractor shares a base's pixels
        for b in bases[i + 1 :]:
            assert a.source != b.source or not _overlap(a.box, b.box), (a.name, b.name)
        for d in others:
            assert a.source != d.source or not _overlap(a.box, d.box), (a.name, d.name)


def test_bases_are_deterministic_rgb_and_listable() -> None:
    first = ds.bases(5, seed=3)
    again = ds.bases(5, seed=3)
    assert [b.name for b in first] == [b.name for b in again]
    for a, b, item in zip(first, again, ds.base_items(5, seed=3), strict=True):
        assert a.image.mode == "RGB" and a.image.size == item.size and a.kind == item.kind
        assert a.image.tobytes() == b.image.tobytes()
        assert ds.pdq_quality(a.image) >= ds.MIN_QUALITY
    other = next(ds.distractors(1, seed=3))
    assert other.name.startswith("distractor-") and other.image.mode == "RGB"


def test_cache_keeps_the_same_picture(tmp_path: Path) -> None:
    item = next(i for i in ds.base_items(20, seed=0) if i.kind == "camera")
    direct = item.image()
    cached = item.image(cache_dir=tmp_path)
    from_cache = item.image(cache_dir=tmp_path)
    assert direct.tobytes() == cached.tobytes() == from_cache.tobytes()


def _expected_size(tr: ds.Transform, w: int, h: int) -> tuple[int, int] | None:
    """The output size a transform must give a w x h picture, where it is fixed."""
    family, strength = tr.family, tr.strength
    if family in SIZE_KEEPING or tr.name == "rotate 180°":
        return w, h
    if tr.name == "rotate 90°":
        return h, w
    if family == "downscale":
        f = int(strength.rstrip("%")) / 100
        return round(w * f), round(h * f)
    if family.startswith("crop"):
        f = int(strength.rstrip("%")) / 100
        return round(w * (1 - 2 * f)), round(h * (1 - 2 * f))
    if family == "pad":
        f = int(strength.split("%")[0]) / 100
        return w + 2 * round(w * f), h + 2 * round(h * f)
    if family == "letterbox" and strength.endswith("%"):  # w > h: bars above and below
        return w, h + 2 * round(h * int(strength.rstrip("%")) / 100)
    if family == "screenshot":
        return (1080, 2340) if "phone" in strength else (1920, 1080)
    return None


def test_ladder_groups_and_families() -> None:
    names = [t.name for t in ds.TRANSFORMS]
    assert len(names) == len(set(names)) >= 50
    assert set(ds.QUICK) <= set(names)
    groups = {t.name: t.group for t in ds.TRANSFORMS}
    assert {t.family for t in ds.TRANSFORMS if t.group == "mild"} == {
        "jpeg", "downscale", "blur", "noise", "gamma", "hue", "watermark",
    }  # fmt: skip
    beyond = (
        "jpeg q10",
        "crop 20%",
        "crop off-centre 20%",
        "pad 30% blur",
        "letterbox 9:16 frame",
        "collage 2 pictures",
    )
    hard = (
        "crop 10%",
        "rotate 10°",
        "rotate+crop 10°",
        "rotate 90°",
        "rotate 180°",
        "flip horizontal",
        "pad 20% white",
        "pad 20% blur",
        "letterbox 20%",
        "screenshot phone PNG",
        "social 1 upload",
    )
    mild = ("jpeg q20", "downscale 25%", "blur r4", "noise σ20", "gamma 0.6", "hue 90°", "watermark logo")
    for members, group in ((beyond, "beyond"), (hard, "hard"), (mild, "mild")):
        for name in members:
            assert groups[name] == group, name
    assert ds.transforms(["flip horizontal"])[0].name == "flip horizontal"
    with pytest.raises(ValueError):
        ds.transforms(["sharpen 2"])


def test_transforms_are_deterministic_and_shaped() -> None:
    base = procedural_image(12345, 400, 300, "shapes")
    w, h = base.size
    pixels = np.asarray(base)
    for tr in ds.TRANSFORMS:
        out = tr(base, ds.transform_rng(0, 7, tr))
        again = tr(base, ds.transform_rng(0, 7, tr))
        assert out.mode == "RGB", tr.name
        assert out.tobytes() == again.tobytes(), f"{tr.name} is not deterministic"
        assert out.size != base.size or not np.array_equal(np.asarray(out), pixels), (
            f"{tr.name} changed nothing"
        )
        want = _expected_size(tr, w, h)
        if want is not None:
            assert out.size == want, (tr.name, out.size, want)
        if tr.name == "letterbox 9:16 frame":
            assert math.isclose(out.width / out.height, 9 / 16, rel_tol=0.01), (tr.name, out.size)
        if tr.family == "social":
            assert max(out.size) <= 1080 and out.width < w
        if tr.family == "collage":
            assert out.height == h and out.width > w


def test_rotations_keep_or_cut_the_corners() -> None:
    white = Image.new("RGB", (500, 300), (255, 255, 255))
    for tr in ds.TRANSFORMS:
        if tr.family not in ("rotate", "rotate+crop") or tr.strength in ("90°", "180°"):
            continue
        out = np.asarray(tr(white, ds.transform_rng(0, 1, tr)))
        corners = out[[0, 0, -1, -1], [0, -1, 0, -1]]
        if tr.family == "rotate":
            assert out.shape[1] > 500 and out.shape[0] > 300 and corners.max() < 40, tr.name
        else:
            assert out.shape[1] < 500 and out.shape[0] < 300 and corners.min() > 200, tr.name
    assert ds.inner_rectangle(400, 300, 0) == pytest.approx((400, 300))
