"""The benign audio generators, encoders and edits that the audio tests and benchmark rely on."""

from __future__ import annotations

import io
import math
from pathlib import Path

import av
import numpy as np
import pytest

from jejak.testing import audio as gen
from jejak.testing import audio_files


@pytest.mark.parametrize("kind", gen.KINDS)
def test_generators_are_deterministic_and_normalised(kind: str) -> None:
    a = gen.generate(kind, 5, 6.0)
    assert a.dtype == np.float32 and len(a) == 6 * gen.RATE
    assert np.array_equal(a, gen.generate(kind, 5, 6.0))
    assert not np.array_equal(a, gen.generate(kind, 6, 6.0))
    assert float(np.abs(a).max()) <= gen.PEAK + 1e-6
    rms_db = 20 * math.log10(float(np.sqrt(np.mean(a.astype(np.float64) ** 2))))
    assert -30.0 < rms_db <= gen.LEVEL_DBFS + 0.01


def test_unknown_names_are_refused() -> None:
    with pytest.raises(ValueError):
        gen.generate("birdsong", 1, 1.0)
    with pytest.raises(ValueError):
        audio_files.encode_audio(gen.silence(1.0), gen.RATE, "wma")
    with pytest.raises(ValueError):
        audio_files.encode_audio(gen.silence(1.0), gen.RATE, "amr", channels=2)


def test_every_format_encodes_with_the_bundled_ffmpeg() -> None:
    x = gen.speech(2, 3.0)
    for fmt, spec in audio_files.FORMATS.items():
        data = audio_files.encode_audio(x, gen.RATE, fmt)
        with av.open(io.BytesIO(data), "r") as container:
            stream = container.streams.audio[0]
            assert stream.codec_context.sample_rate == (spec.rate or gen.RATE), fmt
        back = audio_files.decode_audio(io.BytesIO(data))
        assert abs(len(back) - len(x)) < 0.1 * gen.RATE, fmt


def test_edits() -> None:
    x = gen.music(3, 4.0)
    assert np.allclose(gen.gain(x, -6.0), x * 10 ** (-6 / 20), atol=1e-6)
    noisy = gen.add_noise(x, 10.0, seed=1)
    snr = 10 * math.log10(
        float(np.mean(x.astype(np.float64) ** 2) / np.mean((noisy - x).astype(np.float64) ** 2))
    )
    assert snr == pytest.approx(10.0, abs=0.5)
    assert len(gen.trim(x, gen.RATE, 1.0, 3.0)) == 2 * gen.RATE
    piece = gen.tone(440.0, 1.0)
    spliced = gen.splice(x, piece, gen.RATE, 2.0)
    a = 2 * gen.RATE
    assert np.array_equal(spliced[: a - 1], x[: a - 1])
    assert np.allclose(spliced[a + 1000 : a + 2000], piece[1000:2000])
    down = audio_files.resample(x, gen.RATE, 8000)
    assert abs(len(down) - 4 * 8000) < 100
    with pytest.raises(ValueError):
        gen.splice(x, piece, gen.RATE, 10.0)


def test_videos_have_pictures_of_their_own_and_an_optional_soundtrack(tmp_path: Path) -> None:
    x = gen.mixed(4, 3.0)
    a = audio_files.write_video(tmp_path / "a.mp4", x, seed=1)
    b = audio_files.write_video(tmp_path / "b.mp4", x, seed=2)
    mute = audio_files.write_video(tmp_path / "mute.mkv", None, seed=3, seconds=2.0)
    frames = []
    for path in (a, b):
        with av.open(str(path), "r") as container:
            assert len(container.streams.audio) == 1
            frames.append(next(container.decode(video=0)).to_ndarray(format="rgb24").astype(int))
    assert np.abs(frames[0] - frames[1]).mean() > 10  # different pictures
    with av.open(str(mute), "r") as container:
        assert not container.streams.audio and len(container.streams.video) == 1
