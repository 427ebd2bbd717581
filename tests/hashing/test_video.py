"""vPDQ hashing: agreement with Meta's sample hashes, frame choice, seeking, containers, rotation, damage."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
import pytest

from jejak.errors import EvidenceError
from jejak.hashing.pdq import luma_of, pdq_from_luma
from jejak.hashing.video import FrameHash, as_displayed, frame_pixels, hash_video, plane_luma
from jejak.lists.vpdq import read_vpdq
from jejak.metadata.container import display_transform
from jejak.testing.videos import VideoSpec, spec_frames, write_video

# (video, downsample): each sample video with a same-named sample-hashes file, full size and 128x128.
SAMPLES = [
    ("chair-19-sd-bar", None),
    ("chair-19-sd-bar", 128),
    ("chair-22-with-large-logo-bar", None),
    ("chair-22-with-large-logo-bar", 128),
    ("chair-orig-22-sd-bar", None),
    ("chair-orig-22-sd-bar", 128),
    ("doorknob-hd-no-bar", None),
    ("doorknob-hd-no-bar", 128),
    ("pattern-hd-no-bar", None),
    ("pattern-hd-no-bar", 128),
    ("pattern-sd-grey-bar", None),
    ("pattern-sd-grey-bar", 128),
    ("test-padded-dimensions", None),
]
FAST = {("pattern-sd-grey-bar", None), ("doorknob-hd-no-bar", 128), ("pattern-sd-grey-bar", 128)}


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@pytest.fixture(scope="session")
def videos(testdata: Path) -> Path:
    return testdata / "threatexchange" / "tmk" / "sample-videos"


@pytest.fixture(scope="session")
def hashes(testdata: Path) -> Path:
    return testdata / "threatexchange" / "vpdq" / "sample-hashes"


@pytest.mark.parametrize(
    ("name", "downsample"),
    [p if p in FAST else pytest.param(*p, marks=pytest.mark.slow) for p in SAMPLES],
    ids=[f"{n}-{d or 'full'}" for n, d in SAMPLES],
)
def test_every_frame_agrees_with_meta(videos: Path, hashes: Path, name: str, downsample: int | None) -> None:
    expected = read_vpdq(hashes / f"{name}{'-128x128' if downsample else ''}.txt")
    result = hash_video(videos / f"{name}.mp4", fps=None, downsample=downsample)
    assert not result.warnings
    assert [(f.frame, f"{f.seconds:.3f}") for f in result.frames] == [
        (f.frame, f"{f.seconds:.3f}") for f in expected
    ]
    distances = [hamming(a.pdq, b.pdq) for a, b in zip(result.frames, expected, strict=True)]
    share = sum(d <= 31 for d in distances) / len(distances)
    print(
        f"{name} {downsample or 'full size'}: {share:.1%} of {len(distances)} frames within 31 bits of "
        f"Meta's, mean {np.mean(distances):.2f} bits, max {max(distances)}"
    )
    assert share >= 0.9
    assert max(abs(a.quality - b.quality) for a, b in zip(result.frames, expected, strict=True)) <= 10


def test_one_frame_a_second_is_metas_frame_choice(videos: Path, hashes: Path) -> None:
    every = {f.frame: f for f in read_vpdq(hashes / "pattern-sd-grey-bar.txt")}
    for strategy in ("sequential", "indexed"):
        result = hash_video(videos / "pattern-sd-grey-bar.mp4", fps=1.0, strategy=strategy)
        assert [f.frame for f in result.frames] == [0, 30, 60, 90, 120, 150, 180]
        assert [f.seconds for f in result.frames] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        assert all(hamming(f.pdq, every[f.frame].pdq) <= 2 for f in result.frames)
        assert (result.width, result.height, result.codec, result.fps) == (480, 720, "h264", 30.0)
        assert result.strategy == strategy
    # 2 frames a second: vpdq's int(seconds_per_hash * fps) = 15
    half = hash_video(videos / "pattern-sd-grey-bar.mp4", fps=2.0)
    assert [f.frame for f in half.frames][:3] == [0, 15, 30]


def test_luma_of_is_the_reference_weighting_bit_for_bit() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, size=(37, 53, 3), dtype=np.uint8)
    f = rgb.astype(np.float32)
    reference = f[:, :, 0] * np.float32(0.299) + f[:, :, 1] * np.float32(0.587)
    reference += f[:, :, 2] * np.float32(0.114)
    assert np.array_equal(luma_of(rgb), reference)


# --- generated videos -------------------------------------------------------------------------------------

CONTAINERS = [
    ("mp4", None, 160, 120),
    ("mov", None, 160, 120),
    ("3gp", None, 160, 120),
    ("3gp", "h263", 176, 144),
    ("mkv", None, 160, 120),
    ("webm", None, 160, 120),
    ("webm", "libvpx", 160, 120),
    ("avi", None, 160, 120),
    ("mp4", None, 63, 47),
    ("webm", None, 63, 47),
    ("avi", None, 63, 47),
]


@pytest.mark.parametrize(("container", "codec", "width", "height"), CONTAINERS)
def test_containers_seek_and_sequential_agree(
    tmp_path: Path, container: str, codec: str | None, width: int, height: int
) -> None:
    spec = VideoSpec(
        width=width, height=height, seconds=3, fps=25, gop=25, container=container, codec=codec, audio="sine"
    )
    path = write_video(tmp_path / f"v.{container}", spec)
    seq = hash_video(path, strategy="sequential")
    auto = hash_video(path)
    assert [f.frame for f in seq.frames] == [0, 25, 50]
    assert seq.frames == auto.frames
    assert (auto.width, auto.height) == (width, height)
    assert not seq.warnings and not auto.warnings
    assert all(f.quality >= 50 for f in auto.frames)
    if auto.strategy == "indexed":
        assert auto.frames_decoded < seq.frames_decoded


@pytest.mark.parametrize("gop", [12, 250])
def test_seeking_gives_the_frames_sequential_decoding_gives(tmp_path: Path, gop: int) -> None:
    """Samples that do not fall on keyframes (5 fps sampling of 25 fps, GOP of 12 or one long GOP),
    with B-frames: every sampled frame decoded from its keyframe matches the full decode bit for bit."""
    spec = VideoSpec(width=96, height=64, seconds=4, fps=25, gop=gop, bframes=3)
    path = write_video(tmp_path / "v.mp4", spec)
    seq = hash_video(path, fps=5.0, strategy="sequential")
    idx = hash_video(path, fps=5.0, strategy="indexed")
    assert idx.frames == seq.frames
    assert [f.frame for f in idx.frames] == list(range(0, 100, 5))
    assert idx.strategy == "indexed" and idx.frames_decoded < seq.frames_decoded
    assert idx.seeked == (gop == 12)
    every = hash_video(path, fps=None)
    assert [f.frame for f in every.frames] == list(range(100))
    assert {f.frame: f for f in every.frames}[55] == {f.frame: f for f in idx.frames}[55]


def test_a_raw_stream_without_timestamps_is_decoded_sequentially(tmp_path: Path) -> None:
    """An H.264 elementary stream has no packet timestamps: no index to seek by, so vpdq's own loop."""
    path = tmp_path / "raw.h264"
    with av.open(str(path), "w", format="h264") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for i, rgb in enumerate(spec_frames(VideoSpec(width=64, height=48, seconds=2))):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    auto = hash_video(path)
    assert auto.strategy == "sequential" and [f.frame for f in auto.frames] == [0, 25] and not auto.warnings
    forced = hash_video(io.BytesIO(path.read_bytes()), strategy="indexed")
    assert forced.frames == auto.frames and any("unusable" in w for w in forced.warnings)


def test_max_seconds_and_dedupe(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mkv", VideoSpec(seconds=3, fps=25, gop=25, container="mkv"))
    for strategy in ("indexed", "sequential"):
        short = hash_video(path, max_seconds=1.5, strategy=strategy)
        assert [f.frame for f in short.frames] == [0, 25]
        assert any("max_seconds" in w for w in short.warnings)
    every = hash_video(path, fps=None)
    pruned = hash_video(path, fps=None, dedupe_bits=8)
    assert 1 <= len(pruned.frames) < len(every.frames) == 75
    assert all(hamming(a.pdq, b.pdq) > 8 for a, b in zip(pruned.frames, pruned.frames[1:], strict=False))
    assert len(hash_video(path, fps=None, dedupe_bits=256).frames) == 1


def test_a_binary_stream_hashes_like_its_path(tmp_path: Path) -> None:
    path = write_video(tmp_path / "v.mp4", VideoSpec(seconds=2, gop=25))
    assert hash_video(io.BytesIO(path.read_bytes())).frames == hash_video(path).frames


# --- rotation ---------------------------------------------------------------------------------------------


def marked_frames(n: int = 5) -> list[np.ndarray]:
    """Grey 64x48 frames with a white block at the top left and a dark one at the top right."""
    rgb = np.full((48, 64, 3), 128, np.uint8)
    rgb[2:14, 2:18] = 255
    rgb[2:14, 46:62] = 0
    return [rgb] * n


@pytest.mark.parametrize(
    ("rotation", "hflip"), [(0, False), (90, False), (180, False), (270, False), (90, True)]
)
def test_rotation_hashes_the_picture_as_displayed(tmp_path: Path, rotation: int, hflip: bool) -> None:
    spec = VideoSpec(width=64, height=48, seconds=0.2, rotation=rotation, hflip=hflip)
    path = write_video(tmp_path / "r.mp4", spec, marked_frames())
    result = hash_video(path, fps=None)
    assert result.rotation == rotation and result.mirrored == hflip
    assert (result.width, result.height) == ((48, 64) if rotation % 180 else (64, 48))
    with av.open(str(path)) as c:
        frame = next(c.decode(video=0))
        turns, mirror = display_transform(frame)
        shown = as_displayed(frame_pixels(frame), turns, mirror)
    assert frame.rotation % 360 == rotation
    # Where the white block is once displayed: turning counter-clockwise moves the top left corner to
    # the bottom left (90), bottom right (180), top right (270); a mirror then swaps left and right.
    corners = {"tl": shown[:8, :8], "tr": shown[:8, -8:], "bl": shown[-8:, :8], "br": shown[-8:, -8:]}
    white = max(corners, key=lambda k: float(corners[k].mean()))
    expected = {0: "tl", 90: "bl", 180: "br", 270: "tr"}[rotation]
    if hflip:
        expected = expected[0] + {"l": "r", "r": "l"}[expected[1]]
    assert white == expected
    # hashed from the Y plane turned as displayed (high quality frames), within vPDQ's 31 bits of vpdq's way
    # (RGB, then luma): a frame turned the wrong way would be about 128 bits away
    luma = plane_luma(frame)
    assert luma is not None
    y_pdq, y_quality = pdq_from_luma(as_displayed(luma, turns, mirror))
    assert result.frames[0] == FrameHash(0, y_quality, y_pdq, 0.0)
    pdq, quality = pdq_from_luma(luma_of(shown))
    assert hamming(result.frames[0].pdq, pdq) <= 31 and abs(result.frames[0].quality - quality) <= 10
    seen: list[tuple[tuple[int, ...], float]] = []
    hash_video(path, on_frame=lambda pixels, seconds: seen.append((pixels.shape, seconds)))
    assert seen == [((result.height, result.width, 3), 0.0)]


# --- damage and refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize("container", ["mp4", "mkv"])
def test_a_truncated_video_gives_its_first_frames_and_a_warning(tmp_path: Path, container: str) -> None:
    spec = VideoSpec(seconds=6, fps=25, gop=25, container=container, faststart=True, audio="sine")
    full = write_video(tmp_path / f"full.{container}", spec)
    cut = tmp_path / f"cut.{container}"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    whole = hash_video(full)
    for strategy in ("indexed", "sequential"):
        part = hash_video(cut, strategy=strategy)
        assert 1 <= len(part.frames) < len(whole.frames) == 6
        assert part.frames == whole.frames[: len(part.frames)]
        assert any("truncated" in w for w in part.warnings), part.warnings


def test_an_mp4_cut_before_its_index_cannot_be_opened(tmp_path: Path) -> None:
    full = write_video(tmp_path / "full.mp4", VideoSpec(seconds=2))  # index (moov) at the end
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(EvidenceError, match="cannot open"):
        hash_video(cut)


def test_files_that_are_not_videos_raise_evidence_error(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("meeting at the harbour on tuesday\n" * 50)
    with pytest.raises(EvidenceError, match="is text"):
        hash_video(text)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(EvidenceError, match="cannot open"):
        hash_video(noise)
    with pytest.raises(EvidenceError, match="cannot open"):
        hash_video(tmp_path / "missing.mp4")
    png = tmp_path / "picture.png"
    from PIL import Image

    Image.fromarray(marked_frames(1)[0]).save(png)
    with pytest.raises(EvidenceError, match="still image"):
        hash_video(png)
    audio_only = tmp_path / "tone.m4a"
    with av.open(str(audio_only), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=44100)
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 44100
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    with pytest.raises(EvidenceError, match="no video stream"):
        hash_video(audio_only)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="fps"):
        hash_video("x.mp4", fps=0)
    with pytest.raises(ValueError, match="downsample"):
        hash_video("x.mp4", downsample=2)
