"""Video keyframes in the robust stage: Meta's sample videos that vPDQ cannot pair (a large logo, bars added
or removed) pair through their keyframes, different footage never does; the keyframe set's binary form;
how many keyframes a video gets; and the video-to-video rule."""

from __future__ import annotations

import functools
import itertools
from pathlib import Path

import numpy as np
import pytest

from jejak.hashing.keyframes import MINIMUM, KeyframePicker, KeyframeSet, planned
from jejak.hashing.robust import REF_FEATURES, describe
from jejak.hashing.video import hash_video
from jejak.match.keyframes import (
    KeyframeRefs,
    accepted,
    frame_id,
    frames_needed,
    search_video,
    split_id,
)
from jejak.match.video import Verdict, compare_videos
from jejak.metadata.container import read_container
from jejak.model.video import FrameHash
from jejak.testing.images import procedural_image

SAMPLES = Path("threatexchange") / "tmk" / "sample-videos"


@functools.cache
def _keys(folder: Path, name: str, query: bool) -> tuple[KeyframeSet, list[FrameHash]]:
    """A sample video's keyframes as ingest (query) or ``lists build`` (reference) makes them, and its
    vPDQ frames."""
    path = folder / f"{name}.mp4"
    with path.open("rb") as f:
        duration = read_container(f).duration
    picker = (
        KeyframePicker(duration, 768, mirror=True)
        if query
        else KeyframePicker(duration, REF_FEATURES, mirror=False, spacing=2.0, maximum=64)
    )
    vh = hash_video(path, fps=1.0 if query else None, on_frame=picker.add)
    return picker.result(), list(vh.frames)


def _pairs(testdata: Path, query: str, ref: str) -> tuple[bool, int]:
    q, _ = _keys(testdata / SAMPLES, query, True)
    r, _ = _keys(testdata / SAMPLES, ref, False)
    refs = KeyframeRefs()
    refs.add(1, r)
    found = search_video(q, refs.matcher(16), refs, min_score=14).get(1, [])
    return accepted(found, len(q), refs.counts[1]), len(found)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("query", "ref"),
    [
        ("chair-22-with-large-logo-bar", "chair-orig-22-sd-bar"),  # vPDQ: a partial match only
        ("chair-orig-22-sd-bar", "chair-22-with-large-logo-bar"),
        ("pattern-sd-grey-bar", "pattern-hd-no-bar"),  # vPDQ: no frame in common
        ("pattern-hd-no-bar", "pattern-sd-grey-bar"),
        ("chair-19-sd-bar", "chair-orig-22-sd-bar"),
    ],
)
def test_edits_vpdq_misses_match_through_keyframes(testdata: Path, query: str, ref: str) -> None:
    ok, n = _pairs(testdata, query, ref)
    assert ok and n >= 3, (query, ref, n)


@pytest.mark.slow
def test_the_pattern_with_bars_is_beyond_vpdq(testdata: Path) -> None:
    """The reason for this stage: vPDQ does not pair the barred and the unbarred pattern."""
    _, grey = _keys(testdata / SAMPLES, "pattern-sd-grey-bar", True)
    _, plain = _keys(testdata / SAMPLES, "pattern-hd-no-bar", False)
    assert compare_videos(grey, plain).verdict is Verdict.NONE


@pytest.mark.slow
def test_different_footage_never_matches(testdata: Path) -> None:
    names = ["chair-19-sd-bar", "doorknob-hd-no-bar", "pattern-hd-no-bar", "test-padded-dimensions"]
    for a, b in itertools.permutations(names, 2):
        if {a, b} <= {"chair-19-sd-bar"}:
            continue
        ok, n = _pairs(testdata, a, b)
        assert not ok and n == 0, (a, b, n)


def test_keyframe_set_round_trip_and_refusals() -> None:
    pics = [procedural_image(i, 320, 240, "shapes") for i in range(3)]
    ks = KeyframeSet((0.0, 2.5, 5.0), tuple(describe(np.asarray(p)) for p in pics))
    back = KeyframeSet.from_bytes(ks.to_bytes())
    assert back.seconds == ks.seconds and len(back) == 3
    for a, b in zip(back.frames, ks.frames, strict=True):
        assert a.to_bytes() == b.to_bytes()
    blob = ks.to_bytes()
    with pytest.raises(ValueError, match="magic"):
        KeyframeSet.from_bytes(b"XXXX" + blob[4:])
    with pytest.raises(ValueError, match="truncated"):
        KeyframeSet.from_bytes(blob[:-10])
    with pytest.raises(ValueError, match="after the last frame"):
        KeyframeSet.from_bytes(blob + b"\0")
    assert len(KeyframeSet.from_bytes(KeyframeSet((), ()).to_bytes())) == 0


def test_how_many_keyframes_a_video_gets() -> None:
    assert planned(8.0) == MINIMUM  # short clips still get a few
    assert planned(60.0) == 6 and planned(3600.0) == 32 and planned(None) == 32
    assert planned(60.0, spacing=2.0, maximum=64) == 30 and planned(60.0, maximum=0) == 0


def test_the_picker_spreads_frames_and_skips_flat_ones() -> None:
    picker = KeyframePicker(40.0, 256, mirror=False)
    black = np.zeros((120, 160, 3), np.uint8)
    busy = np.asarray(procedural_image(5, 160, 120, "shapes"))
    for s in range(40):
        picker.add(black if s < 3 else busy, float(s))
    ks = picker.result()
    assert ks.seconds == (3.0, 10.0, 20.0, 30.0)  # the black opening frames are passed over


def test_ids_and_the_video_rule() -> None:
    assert split_id(frame_id(12345, 63)) == (12345, 63)
    with pytest.raises(ValueError):
        frame_id(1, 64)
    assert frames_needed(8, None) == 1  # against a still: one verified keyframe
    assert frames_needed(8, 8) == 2 and frames_needed(1, 8) == 1 and frames_needed(8, 1) == 1
