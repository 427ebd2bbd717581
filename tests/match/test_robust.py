"""Robust matching end to end: edited copies are found with the right transform, distractors never are,
and the index persists (and refuses what it cannot trust)."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from jejak.errors import StoreError
from jejak.hashing.robust import RobustDescriptor, describe, describe_query
from jejak.index.robust import BRANCH, RobustIndex, default_vocabulary
from jejak.match.robust import MIN_SCORE, RobustMatcher, aligned, verify
from jejak.testing.images import jpeg_bytes, procedural_image

BASE_STYLES = ("shapes", "room", "text", "shapes", "room", "text", "shapes", "room")
Edit = Callable[[Image.Image], Image.Image]


def _crop(img: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    w, h = img.size
    return img.crop((int(w * left), int(h * top), int(w * (1 - right)), int(h * (1 - bottom))))


def _pad(img: Image.Image, frac: float, fill: str | tuple[int, int, int]) -> Image.Image:
    w, h = img.size
    size = (int(w * (1 + 2 * frac)), int(h * (1 + 2 * frac)))
    if fill == "blur":
        canvas = img.resize(size).filter(ImageFilter.GaussianBlur(25))
    else:
        assert isinstance(fill, tuple)
        canvas = Image.new("RGB", size, fill)
    canvas.paste(img, ((size[0] - w) // 2, (size[1] - h) // 2))
    return canvas


def _rotate_cropped(img: Image.Image, deg: float) -> Image.Image:
    w, h = img.size
    rotated = img.rotate(deg, resample=Image.Resampling.BICUBIC)
    a = math.radians(abs(deg))
    k = 1 / (math.cos(a) + math.sin(a) * max(w / h, h / w))
    return rotated.crop(
        (int(w * (1 - k) / 2), int(h * (1 - k) / 2), int(w * (1 + k) / 2), int(h * (1 + k) / 2))
    )


def _screenshot(img: Image.Image) -> Image.Image:
    canvas = Image.new("RGB", (1080, 2340), (0, 0, 0))
    small = img.resize((1080, int(img.size[1] * 1080 / img.size[0])), Image.Resampling.BILINEAR)
    canvas.paste(small, (0, (2340 - small.size[1]) // 2))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, 1080, 110), fill=(30, 30, 30))
    draw.text((40, 40), "12:34", fill=(255, 255, 255))
    draw.rectangle((0, 2180, 1080, 2340), fill=(245, 245, 245))
    return canvas


def _social(img: Image.Image) -> Image.Image:
    s = 1080 / max(img.size)
    out = img.resize((round(img.size[0] * s), round(img.size[1] * s)), Image.Resampling.BICUBIC)
    w, h = out.size
    ImageDraw.Draw(out).ellipse(
        (int(w * 0.7), int(h * 0.7), int(w * 0.85), int(h * 0.85)), fill=(255, 220, 0)
    )
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=75)
    return _crop(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"), 0.05, 0.05, 0.05, 0.05)


EDITS: dict[str, Edit] = {
    "crop-centre": lambda im: _crop(im, 0.1, 0.1, 0.1, 0.1),
    "crop-corner": lambda im: _crop(im, 0.0, 0.0, 0.1, 0.1),
    "rotate-black": lambda im: im.rotate(8, resample=Image.Resampling.BICUBIC, expand=True),
    "rotate-cropped": lambda im: _rotate_cropped(im, -10),
    "flip": lambda im: im.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "rot90": lambda im: im.transpose(Image.Transpose.ROTATE_90),
    "rot180": lambda im: im.transpose(Image.Transpose.ROTATE_180),
    "pad-black": lambda im: _pad(im, 0.2, (0, 0, 0)),
    "pad-white": lambda im: _pad(im, 0.2, (255, 255, 255)),
    "pad-blur": lambda im: _pad(im, 0.2, "blur"),
    "screenshot": _screenshot,
    "social": _social,
    "hue-90": lambda im: _hue(im, 90),
    "gamma": lambda im: im.point([round(255 * (i / 255) ** 0.6) for i in range(256)] * 3),
}


def _hue(img: Image.Image, degrees: float) -> Image.Image:
    hsv = np.array(img.convert("HSV"))
    hsv[..., 0] = (hsv[..., 0].astype(np.int32) + round(degrees / 360 * 256)) % 256
    return Image.fromarray(hsv, "HSV").convert("RGB")


@pytest.fixture(scope="module")
def bases() -> list[Image.Image]:
    return [procedural_image(300 + i, 800, 600, style) for i, style in enumerate(BASE_STYLES)]


@pytest.fixture(scope="module")
def refs(bases: list[Image.Image]) -> list[tuple[int, RobustDescriptor]]:
    return [(100 + i, describe(im)) for i, im in enumerate(bases)]


@pytest.fixture(scope="module")
def matcher(refs: list[tuple[int, RobustDescriptor]]) -> RobustMatcher:
    return RobustMatcher.build(refs)


@pytest.mark.parametrize("edit", sorted(EDITS))
def test_edited_copies_found(edit: str, bases: list[Image.Image], matcher: RobustMatcher) -> None:
    missed = []
    for i, im in enumerate(bases):
        hits = matcher.search(describe_query(EDITS[edit](im)))
        assert all(h.ref_id == 100 + i for h in hits), f"{edit} of base {i} matched another base: {hits}"
        if hits:
            assert hits[0].score >= MIN_SCORE and hits[0].inliers >= hits[0].score
        else:
            missed.append(i)
    assert len(missed) <= 1, f"{edit}: bases {missed} not found"  # measured: at most one of 8 missed


def test_evidence_transform(bases: list[Image.Image], refs: list[tuple[int, RobustDescriptor]]) -> None:
    ref = refs[0][1]
    ev = verify(describe_query(bases[0].rotate(8, resample=Image.Resampling.BICUBIC, expand=True)), ref)
    assert ev is not None and not ev.mirrored
    assert abs(ev.rotation_deg + 8) < 1.0  # PIL rotates counter-clockwise on screen: -8 in y-down axes
    assert abs(ev.scale - 1) < 0.03
    small = bases[0].resize((400, 300)).transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    ev = verify(describe_query(_crop(small, 0.1, 0.0, 0.0, 0.0)), ref)
    assert ev is not None and ev.mirrored
    assert abs(ev.rotation_deg) < 1.0 and abs(ev.scale - 0.5) < 0.02
    # the mirrored reference's origin (its top-right corner) lands at the query's left edge, minus the crop
    assert abs(ev.tx + 40) < 4 and abs(ev.ty) < 4


def test_distractors_never_match(matcher: RobustMatcher) -> None:
    styles = ("shapes", "room", "text", "stripes", "checker")
    found = []
    for j in range(100):
        im = procedural_image(5000 + j, 640, 480, styles[j % len(styles)])
        found += matcher.search(describe_query(im))
    assert found == []


def test_callback_source_and_add(refs: list[tuple[int, RobustDescriptor]], bases: list[Image.Image]) -> None:
    stored = {ref_id: d.to_bytes() for ref_id, d in refs}
    loads: list[int] = []

    def load(ref_id: int) -> RobustDescriptor | None:
        loads.append(ref_id)
        data = stored.get(ref_id)
        return RobustDescriptor.from_bytes(data) if data is not None else None

    index = RobustIndex.build(refs[:4])
    m = RobustMatcher(index, get_descriptor=load)
    query = describe_query(_crop(bases[6], 0.1, 0.1, 0.1, 0.1))
    assert m.search(query) == []
    index.add(refs[4:])
    assert len(m) == 8
    assert [h.ref_id for h in m.search(query)] == [106] and 106 in loads
    del stored[106]  # a reference removed from the store is skipped
    assert m.search(query) == []


def test_empty_matcher() -> None:
    m = RobustMatcher.build([])
    assert len(m) == 0 and m.search(describe_query(procedural_image(1, 300, 200, "shapes"))) == []


def test_index_save_load(tmp_path: Path, refs: list[tuple[int, RobustDescriptor]]) -> None:
    index = RobustIndex.build(refs)
    index.meta["checkpoint"] = 107
    path = tmp_path / "robust.npz"
    index.save(path)
    back = RobustIndex.load(path)
    assert len(back) == len(index) and back.meta == {"checkpoint": 107}
    q = refs[3][1]
    assert back.candidates(q, 3) == index.candidates(q, 3)
    assert back.candidates(q, 1)[0][0] == 103


def test_index_load_refusals(tmp_path: Path, refs: list[tuple[int, RobustDescriptor]]) -> None:
    with pytest.raises(StoreError, match="no robust index"):
        RobustIndex.load(tmp_path / "missing.npz")
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(StoreError):
        RobustIndex.load(junk)
    single = tmp_path / "single.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(StoreError):
        RobustIndex.load(single)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, header=np.array([{"format": "x"}], dtype=object))
    with pytest.raises(StoreError):
        RobustIndex.load(pickled)
    good = tmp_path / "good.npz"
    RobustIndex.build(refs).save(good)
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    for change, message in (
        ({"header": np.array('{"format": "jejak.pdq-index", "version": 1}')}, "not a jejak robust index"),
        ({"header": np.array('{"format": "jejak.robust-index", "version": 9}')}, "version 9"),
        # version 1 had no per-posting geometry: refused, so the service rebuilds it
        ({"header": np.array('{"format": "jejak.robust-index", "version": 1}')}, "version 1"),
        (
            {
                "header": np.array(
                    '{"format": "jejak.robust-index", "version": 2, "words": 16384, "vocabulary": "0"}'
                )
            },
            "another vocabulary",
        ),
        ({"postings": arrays["postings"] + 1000}, "corrupt"),
        ({"geo": arrays["geo"][:-1]}, "corrupt"),
        ({"offsets": arrays["offsets"][:-1]}, "corrupt"),
    ):
        bad = tmp_path / "bad.npz"
        np.savez(bad, **{**arrays, **change})
        with pytest.raises(StoreError, match=message):
            RobustIndex.load(bad)


SMOOTH_STYLES = ("texture", "stripes", "texture", "stripes")


def test_smooth_pictures_found_after_hard_edits() -> None:
    """Soft textures and stripes have almost no corners in plain luma; the value channel, equalised,
    gives ORB enough of them to find crops, rotations and hue shifts of these pictures too."""
    bases = [procedural_image(700 + i, 800, 600, style) for i, style in enumerate(SMOOTH_STYLES)]
    m = RobustMatcher.build([(i, describe(im)) for i, im in enumerate(bases)])
    missed = []
    for edit in ("crop-corner", "rotate-cropped", "hue-90", "pad-blur"):
        for i, im in enumerate(bases):
            hits = m.search(describe_query(EDITS[edit](im)))
            assert all(h.ref_id == i for h in hits), f"{edit} of smooth base {i} matched another: {hits}"
            if not hits:
                missed.append((edit, i))
    # measured: 3 of 16 missed (stripes rotated 10 degrees, one blurred pad); with plain luma, 11
    assert len(missed) <= 4, f"not found: {missed}"


def test_vocabulary_words_are_nearest_leaves() -> None:
    """The grouped cv2 search gives each descriptor its nearest top centre's nearest leaf (numpy check)."""
    vocab = default_vocabulary()
    desc = describe(procedural_image(41, 640, 480, "room")).desc[:64]
    bits = np.unpackbits(desc, axis=1).astype(np.int32)
    top = np.unpackbits(vocab._top, axis=1).astype(np.int32)
    first = np.abs(bits[:, None, :] - top[None]).sum(axis=2).argmin(axis=1)
    leaves = np.unpackbits(vocab._leaves[first], axis=2).astype(np.int32)
    leaf = np.abs(bits[:, None, :] - leaves).sum(axis=2).argmin(axis=1)
    assert np.array_equal(vocab.words(desc), first * BRANCH + leaf)


def test_candidates_point_to_the_mirrored_orientation(
    refs: list[tuple[int, RobustDescriptor]], bases: list[Image.Image]
) -> None:
    index = RobustIndex.build(refs)
    flipped = index.candidates(describe_query(bases[1].transpose(Image.Transpose.FLIP_LEFT_RIGHT)), 3)[0]
    assert flipped.ref_id == 101 and flipped.mirror > flipped.plain and flipped.vote == flipped.mirror
    plain = index.candidates(describe_query(_crop(bases[1], 0.05, 0.05, 0.0, 0.0)), 3)[0]
    assert plain.ref_id == 101 and plain.plain > plain.mirror


def test_geometric_reranking_reaches_past_the_best_votes(monkeypatch: pytest.MonkeyPatch) -> None:
    """A reference whose few shared words all agree on one rotation and scale is found first, even when
    more than 100 references outvote it with more words in no consistent geometry (a room of similar
    pictures): the re-ranking looks past the first 100 votes."""
    vocab = default_vocabulary()
    leaves = np.ascontiguousarray(vocab._leaves.reshape(-1, 32))
    own = np.flatnonzero(vocab.words(leaves) == np.arange(len(leaves)))  # leaves that are their own word
    rng = np.random.default_rng(5)
    words = rng.permutation(own)
    query_words, true_words, fillers = words[:300], words[300:305], iter(words[305:].tolist())
    decoys = 150

    def descriptor(ws: np.ndarray, angle: np.ndarray) -> RobustDescriptor:
        n = len(ws)
        xy = rng.uniform(20, 490, (n, 2)).astype(np.float32)
        return RobustDescriptor(
            512, 512, (0.0, 0.0, 512.0, 512.0), (512, 512), xy, angle.astype(np.float32),
            np.zeros(n, np.uint8), leaves[ws], None, 0,
        )  # fmt: skip

    items: list[tuple[int, RobustDescriptor]] = []
    for i in range(decoys):  # 12 of the query's words each, at any orientation, and 40 words of their own
        ws = np.concatenate([rng.choice(query_words, 12, replace=False), [next(fillers) for _ in range(40)]])
        items.append((i, descriptor(ws, rng.uniform(0, 360, len(ws)))))
    ws = np.concatenate([true_words, [next(fillers) for _ in range(40)]])
    items.append((decoys, descriptor(ws, np.full(len(ws), 30.0))))
    index = RobustIndex.build(items)
    qws = np.concatenate([query_words, true_words])
    query = descriptor(qws, np.full(len(qws), 40.0))  # the true reference's words, all turned 10 degrees

    monkeypatch.setattr("jejak.index.robust.RERANK", 0)  # votes alone: the true reference is far down
    by_vote = [c.ref_id for c in index.candidates(query, decoys + 1)]
    assert by_vote.index(decoys) > 100
    monkeypatch.undo()
    assert index.candidates(query, 16)[0].ref_id == decoys


@pytest.mark.parametrize(("number", "style"), [(10, "checker"), (3, "room")])
def test_corners_in_place(number: int, style: str) -> None:
    """``aligned``: a copy saved again at JPEG quality 20, or at half the size, keeps the reference's
    corners in place (hundreds, the rule asks 16); the same picture cropped 4 % at the top left moves them
    all, and another picture of the same kind has none. The checkerboard is the demo's, whose copy the
    verification cannot find (every square's corner looks like the next)."""
    data = jpeg_bytes(procedural_image(2026 * 7919 + number, 1024, 768, style), quality=90)
    img = Image.open(io.BytesIO(data)).convert("RGB")
    ref = describe(img)
    w, h = img.size
    recompressed = Image.open(io.BytesIO(jpeg_bytes(img, quality=20))).convert("RGB")
    half = img.resize((w // 2, h // 2), Image.Resampling.BILINEAR)
    moved = img.crop((w // 25, h // 25, w, h))
    other = procedural_image(2026 * 7919 + number + 100, 1024, 768, style)
    assert aligned(describe_query(recompressed), ref) >= 40
    assert aligned(describe_query(half), ref) >= 40
    assert aligned(describe_query(moved), ref) < 8
    assert aligned(describe_query(other), ref) < 8
    if style == "checker":
        assert verify(describe_query(recompressed), ref) is None
