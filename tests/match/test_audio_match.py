"""Audio segment matching on real encoded files: edited copies, shared segments, videos sharing a
soundtrack, unrelated and degenerate audio, and the index against its brute-force twin."""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from jejak.hashing.audio import AudioFingerprint, fingerprint, fingerprint_samples
from jejak.match.audio import (
    DEFAULT,
    MatchParams,
    Segment,
    candidate_offsets,
    information,
    match_exhaustive,
    match_segments,
)
from jejak.match.audio_index import AudioIndex
from jejak.testing import audio as gen
from jejak.testing import audio_files

RATE = gen.RATE
ORIGINAL_SECONDS = 24.0
TOLERANCE = 0.5  # seconds, on offsets and segment ends (measured boundary quartiles: ±0.2 s)


def fp_of(x: gen.Samples, fmt: str = "wav", bitrate: int | None = None, rate: int = RATE) -> AudioFingerprint:
    """The fingerprint of ``x`` encoded as ``fmt`` (a real file, decoded by jejak)."""
    return fingerprint(io.BytesIO(audio_files.encode_audio(x, rate, fmt, bitrate=bitrate)))


def near(segments: list[Segment], offset: float) -> list[Segment]:
    return [s for s in segments if abs(s.offset - offset) <= TOLERANCE]


@pytest.fixture(scope="module")
def originals() -> dict[str, gen.Samples]:
    return {
        kind: gen.generate(kind, 40 + i, ORIGINAL_SECONDS)
        for i, kind in enumerate(("speech", "music", "mixed"))
    }


@pytest.fixture(scope="module")
def original_fps(originals: dict[str, gen.Samples]) -> dict[str, AudioFingerprint]:
    return {kind: fp_of(x) for kind, x in originals.items()}


def down_and_up(x: gen.Samples) -> gen.Samples:
    """44.1 kHz -> 8 kHz -> 44.1 kHz (a telephone-band copy put back at CD rate)."""
    return audio_files.resample(
        audio_files.resample(audio_files.resample(x, RATE, 44_100), 44_100, 8000), 8000, 44_100
    )


EDITS: dict[str, Callable[[gen.Samples], tuple[gen.Samples, int, str, int | None]]] = {
    # name -> (samples, rate, format, bitrate) of the copy
    "mp3 32k": lambda x: (x, RATE, "mp3", 32_000),
    "aac 24k": lambda x: (x, RATE, "m4a", 24_000),
    "opus 12k voice note": lambda x: (x, RATE, "ogg", 12_000),
    "amr-nb": lambda x: (x, RATE, "amr", None),
    "44.1k -> 8k -> 44.1k": lambda x: (down_and_up(x), 44_100, "flac", None),
    "-12 dB": lambda x: (gen.gain(x, -12), RATE, "mp3", 64_000),
    "+9 dB (clipping)": lambda x: (gen.gain(x, 9), RATE, "mp3", 64_000),
    "noise 20 dB SNR": lambda x: (gen.add_noise(x, 20, seed=1), RATE, "m4a", 64_000),
    "noise 10 dB SNR": lambda x: (gen.add_noise(x, 10, seed=2), RATE, "m4a", 64_000),
}  # fmt: skip


@pytest.mark.parametrize("edit", list(EDITS))
def test_edited_copies_match_their_original_at_the_right_offset(
    originals: dict[str, gen.Samples], original_fps: dict[str, AudioFingerprint], edit: str
) -> None:
    for kind, x in originals.items():
        start = 6.3  # the copy starts 6.3 s into the original
        y, rate, fmt, bitrate = EDITS[edit](gen.trim(x, RATE, start))
        copy = fp_of(y, fmt, bitrate, rate)
        segments = match_segments(copy, original_fps[kind])
        good = near(segments, start)
        assert good, f"{kind} / {edit}: {segments}"
        best = min(good, key=lambda s: s.ber)
        assert best.ber <= DEFAULT.max_ber
        assert best.query_start == pytest.approx(0.0, abs=1.0)
        assert best.query_end == pytest.approx(ORIGINAL_SECONDS - start, abs=1.0)
        assert best.ref_end == pytest.approx(ORIGINAL_SECONDS, abs=1.0)
        assert 0 < best.score <= 1 and best.bits >= 32 * DEFAULT.min_items // 2


def splice_pair(
    seed: int, segment_seconds: float, at_a: float, at_b: float, hosts: tuple[float, float] = (45.0, 40.0)
) -> tuple[gen.Samples, gen.Samples]:
    """Two unrelated tracks (music, speech) with the same segment pasted into each."""
    shared = gen.mixed(seed, segment_seconds)
    a = gen.splice(gen.music(seed + 1, hosts[0]), shared, RATE, at_a)
    b = gen.splice(gen.speech(seed + 2, hosts[1]), shared, RATE, at_b)
    return a, b


def test_a_shared_segment_is_found_with_its_time_ranges_on_both_sides() -> None:
    a, b = splice_pair(70, 15.0, 21.0, 6.5)
    fa, fb = fp_of(a, "mp3", 64_000), fp_of(b, "m4a", 64_000)
    segments = match_segments(fa, fb)
    assert len(segments) == 1, segments
    s = segments[0]
    assert s.offset == pytest.approx(6.5 - 21.0, abs=TOLERANCE)
    assert (s.query_start, s.query_end) == pytest.approx((21.0, 36.0), abs=TOLERANCE)
    assert (s.ref_start, s.ref_end) == pytest.approx((6.5, 21.5), abs=TOLERANCE)
    assert s.seconds == pytest.approx(15.0, abs=2 * TOLERANCE)
    # symmetric: the reference searched by the query's counterpart
    back = match_segments(fb, fa)
    assert len(back) == 1 and back[0].offset == pytest.approx(-s.offset, abs=TOLERANCE)


def test_minimum_segment_duration() -> None:
    a, b = splice_pair(80, 4.0, 12.0, 20.0)
    fa, fb = fp_of(a), fp_of(b)
    assert match_segments(fa, fb) == []  # 4 s is below the default 5 s
    short = match_segments(fa, fb, MatchParams(min_seconds=3.0))
    assert len(short) == 1 and short[0].offset == pytest.approx(8.0, abs=TOLERANCE)


def test_two_videos_with_different_pictures_match_through_their_soundtrack(tmp_path: Path) -> None:
    a, b = splice_pair(90, 12.0, 4.0, 15.0, hosts=(24.0, 30.0))
    va = audio_files.write_video(tmp_path / "holiday.mp4", a, RATE, seed=1)
    vb = audio_files.write_video(tmp_path / "reupload.webm", b, RATE, seed=2, size=(64, 48))
    segments = match_segments(fingerprint(va), fingerprint(vb))
    assert len(segments) == 1
    s = segments[0]
    assert (s.query_start, s.query_end) == pytest.approx((4.0, 16.0), abs=TOLERANCE)
    assert (s.ref_start, s.ref_end) == pytest.approx((15.0, 27.0), abs=TOLERANCE)


@pytest.fixture(scope="module")
def unrelated() -> dict[str, AudioFingerprint]:
    out = {}
    for kind, seed in itertools.product(gen.KINDS, (1, 2)):
        x = gen.generate(kind, seed, 16.0)
        out[f"{kind}-{seed}"] = fingerprint_samples(x, RATE)
        out[f"{kind}-{seed}-mp3"] = fp_of(gen.add_noise(x, 20, seed), "mp3", 48_000)
    return out


def test_unrelated_audio_never_matches(unrelated: dict[str, AudioFingerprint]) -> None:
    names = sorted(unrelated)
    for a, b in itertools.combinations(names, 2):
        if a.split("-")[:2] == b.split("-")[:2]:
            continue  # a track and its own noisy mp3
        assert match_segments(unrelated[a], unrelated[b]) == [], (a, b)


def test_a_track_matches_its_noisy_mp3(unrelated: dict[str, AudioFingerprint]) -> None:
    for kind, seed in itertools.product(("speech", "music", "mixed"), (1, 2)):
        found = match_segments(unrelated[f"{kind}-{seed}-mp3"], unrelated[f"{kind}-{seed}"])
        assert near(found, 0.0), (kind, seed)


def test_silence_tones_and_white_noise_do_not_match() -> None:
    """Chromaprint gives every silence, every steady tone or chord one repeated value, and white noise
    near-random bits: such stretches carry no identity and must never make a match."""
    degenerate = {
        "silence": gen.silence(16.0),
        "tone 440": gen.tone(440.0, 16.0),
        "tone 440 quieter": gen.tone(440.0, 16.0, amplitude=0.05),
        "chord": gen.chord((261.6, 329.6, 392.0), 16.0),
        "slow tones": np.concatenate([gen.tone(f, 4.0) for f in (262.0, 330.0, 392.0, 330.0, 262.0)]),
        "other slow tones": np.concatenate([gen.tone(f, 4.0) for f in (330.0, 262.0, 392.0, 262.0, 330.0)]),
        "white noise": gen.add_noise(gen.silence(16.0) + np.float32(1e-3), 0.0, seed=5),
        "white noise 2": gen.add_noise(gen.silence(16.0) + np.float32(1e-3), 0.0, seed=6),
        "tone then silence": np.concatenate([gen.tone(440.0, 8.0), gen.silence(8.0)]),
    }
    fps = {name: fp_of(x, "ogg", 32_000) for name, x in degenerate.items()}
    for name, fp in fps.items():
        info = information(fp.items)
        if name.startswith("white"):  # below speech and music (0.3-0.35), but BER ~ information: rejected
            assert float(np.median(info)) < 0.2, name
        elif "slow" not in name:
            assert float(np.median(info)) == 0.0, name  # one value repeated
    for a, b in itertools.combinations_with_replacement(sorted(fps), 2):
        if a == b and ("slow" in a or "white" in a):
            continue  # note changes identify a melody, and the same noise is the same recording
        assert match_segments(fps[a], fps[b]) == [], (a, b)
        assert match_exhaustive(fps[a], fps[b]) == [], (a, b)


def test_real_content_around_silence_and_tones_still_matches() -> None:
    speech = gen.speech(7, 12.0)
    x = np.concatenate([gen.tone(440.0, 8.0), speech, gen.silence(6.0), gen.chord((220.0, 277.2), 6.0)])
    y = np.concatenate([gen.silence(3.0), x])
    found = match_segments(fp_of(y, "m4a", 48_000), fp_of(x))
    assert len(found) == 1
    s = found[0]
    assert s.offset == pytest.approx(-3.0, abs=TOLERANCE)
    # The speech (8-20 s), not the tone before it nor the silence after; both are identical in the two
    # files, so items that straddle them and the speech agree: the ends may reach up to one item window
    # (2.6 s) into them.
    assert 5.4 <= s.ref_start <= 8.5
    assert 19.5 <= s.ref_end <= 22.6


def test_candidate_offsets_put_the_true_offset_first(
    originals: dict[str, gen.Samples], original_fps: dict[str, AudioFingerprint]
) -> None:
    copy = fp_of(gen.trim(originals["speech"], RATE, 5.0), "mp3", 32_000)
    offsets = candidate_offsets(copy, original_fps["speech"])
    assert offsets and abs(offsets[0] * copy.item_seconds - 5.0) <= TOLERANCE


@pytest.fixture(scope="module")
def library(unrelated: dict[str, AudioFingerprint], original_fps: dict[str, AudioFingerprint]) -> AudioIndex:
    index = AudioIndex()
    for name, fp in sorted(unrelated.items()):
        if not name.endswith("mp3"):
            index.add(name, fp)
    for kind, fp in original_fps.items():
        index.add(f"original-{kind}", fp)
    return index


def test_index_search_finds_the_source_and_agrees_with_brute_force(
    library: AudioIndex, unrelated: dict[str, AudioFingerprint], originals: dict[str, gen.Samples]
) -> None:
    queries = {name: fp for name, fp in unrelated.items() if name.endswith("mp3")}
    shared = gen.trim(originals["music"], RATE, 10.0, 22.0)
    queries["splice"] = fp_of(gen.splice(gen.speech(99, 40.0), shared, RATE, 20.0), "ogg")
    for name, query in sorted(queries.items()):
        hits = library.search(query)
        brute = library.search_brute(query, exhaustive=True)
        assert [h.key for h in hits] == [h.key for h in brute], name
        for h, b in zip(hits, brute, strict=True):
            assert [round(s.offset, 1) for s in h.segments] == [round(s.offset, 1) for s in b.segments]
        expected = "original-music" if name == "splice" else name.removesuffix("-mp3")
        if name.startswith("noise"):
            continue  # noise textures may or may not be found (see the benchmark); never a wrong one
        assert hits and hits[0].key == expected, (name, [h.key for h in hits])
    splice_hit = library.search(queries["splice"])[0]
    s = splice_hit.segments[0]
    assert (s.query_start, s.query_end) == pytest.approx((20.0, 32.0), abs=TOLERANCE)
    assert (s.ref_start, s.ref_end) == pytest.approx((10.0, 22.0), abs=TOLERANCE)


def test_index_grows_saves_and_loads(
    tmp_path: Path, library: AudioIndex, unrelated: dict[str, AudioFingerprint]
) -> None:
    index = AudioIndex()
    names = sorted(n for n in unrelated if not n.endswith("mp3"))
    for name in names[:4]:
        index.add(name, unrelated[name])
    assert index.search(unrelated[f"{names[5]}-mp3"]) == []
    for name in names[4:]:  # added after a search: folded in on the next one
        index.add(name, unrelated[name])
    assert [h.key for h in index.search(unrelated[f"{names[5]}-mp3"])] == [names[5]]
    path = tmp_path / "audio-index.npz"
    index.save(path)
    loaded = AudioIndex.load(path)
    assert loaded.keys == index.keys
    for t in range(len(index)):
        assert np.array_equal(loaded.fingerprint(t), index.fingerprint(t))
    query = unrelated[f"{names[2]}-mp3"]
    assert [h.key for h in loaded.search(query)] == [h.key for h in index.search(query)] == [names[2]]
    np.savez(tmp_path / "other.npz", something=np.zeros(3))
    with pytest.raises(ValueError):
        AudioIndex.load(tmp_path / "other.npz")


def test_fingerprints_of_other_algorithms_are_not_compared(original_fps: dict[str, AudioFingerprint]) -> None:
    fp = original_fps["speech"]
    other = AudioFingerprint(fp.items, algorithm=2)
    with pytest.raises(ValueError):
        match_segments(fp, other)
    index = AudioIndex()
    index.add("a", fp)
    with pytest.raises(ValueError):
        index.add("b", other)


def test_in_memory_and_raw_items_are_accepted(originals: dict[str, gen.Samples]) -> None:
    fp = fingerprint_samples(originals["mixed"], RATE)
    assert len(match_segments(fp.items, fp)) == 1


def test_match_params_are_checked() -> None:
    assert DEFAULT.min_items == 34  # 5 s of shared audio
    for bad in ({"max_ber": 0.7}, {"window": 0}, {"min_seconds": -1.0}, {"min_information": 0.6}):
        with pytest.raises(ValueError):
            MatchParams(**bad)
