"""vPDQ comparison: Meta's sample variants, a clip inside a longer video, thresholds, and the brute force."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from jejak.hashing.video import hash_video
from jejak.lists.vpdq import read_vpdq
from jejak.match.video import TimeRange, Verdict, compare_videos, hash_words, within
from jejak.model.video import FrameHash
from jejak.testing.videos import VideoSpec, write_variant, write_video, write_with_clip

# Groups of Meta's sample-hashes that are the same footage (each also as -128x128). "bar" videos carry
# letterbox bars, "no-bar" ones do not: PDQ does not see through added bars, so the two chair groups
# do not match each other; a large logo over the picture defeats it too (below).
SAME = {
    "chair, bars": [
        "chair-19-sd-bar",
        "chair-20-sd-bar",
        "chair-22-sd-grey-bar",
        "chair-22-sd-sepia-bar",
        "chair-22-with-small-logo-bar",
        "chair-orig-22-sd-bar",
    ],
    "chair, no bars": ["chair-orig-22-fhd-no-bar", "chair-orig-22-hd-no-bar"],
    "pattern, no bars": ["pattern-hd-no-bar", "pattern-longer-no-bar"],
    "pattern, bars": ["pattern-sd-grey-bar", "pattern-sd-with-small-logo-bar"],
}


def load(testdata: Path, name: str) -> list[FrameHash]:
    return read_vpdq(testdata / "threatexchange" / "vpdq" / "sample-hashes" / f"{name}.txt")


def with_small(names: list[str]) -> list[str]:
    return [n + size for n in names for size in ("", "-128x128")]


@pytest.mark.parametrize("group", list(SAME))
def test_variants_of_the_same_footage_match(testdata: Path, group: str) -> None:
    names = with_small(SAME[group])
    hashes = {n: load(testdata, n) for n in names}
    for query, reference in itertools.permutations(names, 2):
        m = compare_videos(hashes[query], hashes[reference])
        assert m.verdict is Verdict.MATCH and m.is_match, (query, reference, m.reference_share)
        assert m.reference_share >= 0.8


def test_chairs_never_match_patterns_or_the_doorknob(testdata: Path) -> None:
    chairs = with_small(
        [n for n in SAME["chair, bars"] + SAME["chair, no bars"]] + ["chair-22-with-large-logo-bar"]
    )
    others = with_small(["pattern-hd-no-bar", "pattern-sd-grey-bar", "pattern-sd-with-large-logo-bar"])
    others += with_small(["pattern-longer-no-bar", "pattern-sd-with-small-logo-bar", "doorknob-hd-no-bar"])
    others += ["test-padded-dimensions"]
    hashes = {n: load(testdata, n) for n in chairs + others}
    for a in chairs:
        for b in others:
            for q, r in ((a, b), (b, a)):
                m = compare_videos(hashes[q], hashes[r])
                assert m.verdict is Verdict.NONE and m.query_matched == m.reference_matched == 0, (q, r)


def test_a_large_logo_leaves_only_a_partial_match(testdata: Path) -> None:
    m = compare_videos(load(testdata, "chair-22-with-large-logo-bar"), load(testdata, "chair-orig-22-sd-bar"))
    assert m.verdict is Verdict.PARTIAL and 0.05 < m.reference_share < 0.2
    print(f"large logo vs original: query {m.query_share:.1%}, reference {m.reference_share:.1%}")


def test_our_hashes_of_the_sample_videos_against_metas(testdata: Path) -> None:
    """1 frame/s against 1 frame/s matches a copy with the same timeline; a different edit of the footage
    (chair-19 and chair-orig-22 are cut differently) is found with a dense side: a 10 frames/s query
    against 1 frame/s references (Meta's rule), or a 1 frame/s query against every-frame references
    (the query is found: excerpt)."""
    folder = testdata / "threatexchange" / "tmk" / "sample-videos"
    every = {n: load(testdata, n) for n in ("chair-19-sd-bar", "chair-orig-22-sd-bar", "doorknob-hd-no-bar")}
    sparse = {n: [f for f in frames if f.frame % 30 == 0] for n, frames in every.items()}
    ours = hash_video(folder / "chair-19-sd-bar.mp4").frames
    assert compare_videos(ours, sparse["chair-19-sd-bar"]).is_match
    other_edit = compare_videos(ours, sparse["chair-orig-22-sd-bar"])
    assert other_edit.verdict is Verdict.PARTIAL and other_edit.reference_share < 0.2
    found = compare_videos(ours, every["chair-orig-22-sd-bar"])
    assert found.verdict is Verdict.EXCERPT and found.query_share == 1.0
    dense = hash_video(folder / "chair-19-sd-bar.mp4", fps=10.0).frames
    assert compare_videos(dense, sparse["chair-orig-22-sd-bar"]).is_match
    for frames in (ours, dense):
        assert compare_videos(frames, every["doorknob-hd-no-bar"]).verdict is Verdict.NONE


# --- generated: a clip inside a longer video --------------------------------------------------------------


def test_a_clip_inside_a_long_video_is_found_where_it_is(tmp_path: Path) -> None:
    spec = VideoSpec(width=320, height=240, seconds=20, fps=10, gop=10, seed=500, cut_seconds=2)
    long = write_with_clip(tmp_path / "long.mp4", spec, clip_seed=77, clip_seconds=4, offset_seconds=9)
    clip_spec = VideoSpec(width=320, height=240, seconds=4, fps=10, gop=10, seed=77, cut_seconds=2)
    clip = write_video(tmp_path / "clip.mp4", clip_spec)
    variant = write_variant(
        clip, tmp_path / "clip-small-grey.webm", VideoSpec(container="webm"), width=240, height=180, grey=True
    )
    other = write_video(tmp_path / "other.mp4", VideoSpec(width=320, height=240, seconds=4, fps=10, seed=78))
    seized = hash_video(long).frames
    for known in (hash_video(clip).frames, hash_video(variant).frames):
        m = compare_videos(seized, known)
        assert m.verdict is Verdict.MATCH and m.reference_share == 1.0
        assert len(m.query_ranges) == 1
        [found] = m.query_ranges
        assert 8.0 <= found.start <= 10.0 and 11.0 <= found.end <= 13.0, found
        assert m.reference_ranges == (TimeRange(0.0, 3.0),)
        assert m.offset is not None and abs(m.offset - 9.0) <= 1.0
        assert m.query_share < 0.5  # the rest of the long video is other content
        backwards = compare_videos(known, seized)  # the clip seized, the long video known
        assert backwards.verdict is Verdict.EXCERPT and backwards.query_share == 1.0
    assert not compare_videos(seized, hash_video(other).frames).is_match


# --- the comparison itself --------------------------------------------------------------------------------


def flip(pdq: str, bits: int) -> str:
    value = int(pdq, 16)
    for b in range(bits):
        value ^= 1 << (b * 7 % 256)
    return f"{value:064x}"


def frames(hexes: list[str], quality: int = 90, step: float = 1.0) -> list[FrameHash]:
    return [FrameHash(i, quality, h, i * step) for i, h in enumerate(hexes)]


def random_hex(rng: np.random.Generator, n: int) -> list[str]:
    return [bytes(rng.integers(0, 256, 32, dtype=np.uint8)).hex() for _ in range(n)]


def test_distance_is_inclusive_and_quality_filters() -> None:
    base = random_hex(np.random.default_rng(1), 4)
    reference = frames(base)
    near = frames([flip(base[0], 31), flip(base[1], 32), base[2], base[3]])
    m = compare_videos(near, reference)
    assert (m.query_matched, m.reference_matched) == (3, 3)
    assert m.query_share == m.reference_share == 0.75 and m.verdict is Verdict.PARTIAL
    assert compare_videos(near, reference, distance=32).is_match
    low = [FrameHash(f.frame, 49, f.pdq, f.seconds) for f in reference]
    assert compare_videos(near, low).verdict is Verdict.NONE
    assert compare_videos(near, low, quality=49).reference_unique == 4


def test_unique_hashes_are_counted_once_and_thresholds_apply() -> None:
    a, b, c = random_hex(np.random.default_rng(2), 3)
    reference = frames([a, a, a, b])  # two unique hashes
    query = frames([a, c, c, c])  # two unique hashes
    m = compare_videos(query, reference)
    assert (m.reference_unique, m.query_unique, m.reference_share, m.query_share) == (2, 2, 0.5, 0.5)
    assert compare_videos(query, reference, reference_threshold=0.5).is_match
    assert not compare_videos(query, reference, reference_threshold=0.5, query_threshold=0.6).is_match
    assert compare_videos([], reference).verdict is Verdict.NONE
    assert compare_videos(query, []).reference_share == 0.0
    with pytest.raises(ValueError, match="share"):
        compare_videos(query, reference, reference_threshold=80)


def test_ranges_merge_across_small_gaps() -> None:
    rng = np.random.default_rng(3)
    known = random_hex(rng, 30)
    noise = random_hex(rng, 30)
    # matching at 0-4 s, one miss at 5 s, matching 6-8 s, misses 9-14 s, matching 15-16 s
    pattern = [*range(5), 6, 7, 8, 15, 16]
    query = frames([known[i] if i in pattern else noise[i] for i in range(20)])
    m = compare_videos(query, frames(known))
    assert m.query_ranges == (TimeRange(0.0, 8.0), TimeRange(15.0, 16.0))
    assert compare_videos(query, frames(known), gap_seconds=1.0).query_ranges == (
        TimeRange(0.0, 4.0),
        TimeRange(6.0, 8.0),
        TimeRange(15.0, 16.0),
    )


def test_within_is_the_brute_force() -> None:
    rng = np.random.default_rng(4)
    ref = random_hex(rng, 300)
    query = random_hex(rng, 200) + [flip(h, int(rng.integers(0, 40))) for h in ref[:100]]
    q_hit, r_hit, nearest = within(hash_words(query), hash_words(ref), 31)
    dist = [[(int(a, 16) ^ int(b, 16)).bit_count() for b in ref] for a in query]
    assert q_hit.tolist() == [min(row) <= 31 for row in dist]
    assert r_hit.tolist() == [min(dist[i][j] for i in range(len(query))) <= 31 for j in range(len(ref))]
    assert all(dist[i][nearest[i]] == min(dist[i]) for i in range(len(query)))


def test_an_hour_against_an_hour() -> None:
    """3,600 x 3,600 frames (1 frame/s): 13 million comparisons; planted matches all found."""
    rng = np.random.default_rng(5)
    reference = frames(random_hex(rng, 3600))
    query = frames(random_hex(rng, 3000) + [flip(f.pdq, 20) for f in reference[1000:1600]])
    start = time.perf_counter()
    m = compare_videos(query, reference)
    print(f"3600 x 3600 frames compared in {time.perf_counter() - start:.2f} s")
    assert m.query_matched == 600 and m.reference_matched == 600
    assert m.query_ranges == (TimeRange(3000.0, 3599.0),) and m.reference_ranges == (
        TimeRange(1000.0, 1599.0),
    )
    assert m.offset == 2000.0
