"""The benign test-video generator: deterministic pictures, clips placed in longer videos, variants."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from jejak.testing.videos import (
    VideoSpec,
    decoded_frames,
    render_frame,
    spec_frames,
    write_variant,
    write_video,
    write_with_clip,
)


def test_frames_are_deterministic_and_move() -> None:
    spec = VideoSpec(width=96, height=64, seconds=1, fps=10, seed=5)
    first, again = list(spec_frames(spec)), list(spec_frames(spec))
    assert len(first) == 10 and all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert first[0].shape == (64, 96, 3) and first[0].dtype == np.uint8
    assert not np.array_equal(first[0], first[5])
    assert not np.array_equal(first[0], render_frame(6, 0, 10, 96, 64))  # another seed, another picture
    odd = render_frame(5, 3, 10, 63, 47)
    assert odd.shape == (47, 63, 3)


def test_a_clip_inside_a_longer_video_is_the_clip(tmp_path: Path) -> None:
    spec = VideoSpec(width=64, height=48, seconds=3, fps=10, seed=1, container="mkv")
    path = write_with_clip(tmp_path / "long.mkv", spec, clip_seed=9, clip_seconds=1, offset_seconds=1)
    with av.open(str(path)) as c:
        assert c.streams.video[0].codec_context.name == "h264"
    clip = [render_frame(9, i, 10, 64, 48) for i in range(10)]
    decoded = list(decoded_frames(path))
    assert len(decoded) == 30
    # lossy, but far closer to the clip's frame than to the filler's
    for i in (10, 15, 19):
        to_clip = np.abs(decoded[i].astype(int) - clip[i - 10]).mean()
        to_filler = np.abs(decoded[i].astype(int) - render_frame(1, i, 10, 64, 48)).mean()
        assert to_clip < 10 < to_filler


def test_variants_tags_and_audio(tmp_path: Path) -> None:
    tags = {"make": "Acme", "location": "+01.0000+002.0000/"}
    src = write_video(tmp_path / "a.mp4", VideoSpec(seconds=1, tags=tags, audio="noise", rotation=90))
    with av.open(str(src)) as c:
        assert c.metadata["make"] == "Acme" and c.streams.audio[0].codec_context.name == "aac"
        assert next(c.decode(video=0)).rotation == 90
    small = write_variant(src, tmp_path / "b.avi", VideoSpec(container="avi"), width=80, height=60, grey=True)
    frames = list(decoded_frames(small))
    assert len(frames) == 25 and frames[0].shape == (60, 80, 3)
    spread = np.abs(frames[0].astype(int) - frames[0][:, :, :1]).max()
    assert spread <= 8  # grey: the three channels agree (up to chroma coding noise)
