"""Audio fingerprints from real encoded files: every container and codec, videos, streams, limits,
degenerate and damaged input, and the binary form."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest

from jejak.errors import EvidenceError, MissingDependency, MissingLibrary
from jejak.hashing.audio import AudioFingerprint, fingerprint, fingerprint_samples
from jejak.hashing.chromaprint import (
    DELAY_SAMPLES,
    ITEM_SAMPLES,
    SAMPLE_RATE,
    Chromaprint,
    library_version,
    open_library,
)
from jejak.match.audio import match_segments, popcount
from jejak.testing import audio as gen
from jejak.testing import audio_files

RATE = gen.RATE
SECONDS = 20.0


@pytest.fixture(scope="module")
def signal() -> gen.Samples:
    return gen.mixed(11, SECONDS)


@pytest.fixture(scope="module")
def reference(signal: gen.Samples) -> AudioFingerprint:
    return fingerprint_samples(signal, RATE)


def expected_items(seconds: float) -> int:
    n = round(seconds * SAMPLE_RATE)
    return max(0, (n - DELAY_SAMPLES) // ITEM_SAMPLES)


def aligned_ber(a: AudioFingerprint, b: AudioFingerprint) -> float:
    n = min(len(a), len(b))
    return float(popcount(a.items[:n] ^ b.items[:n]).mean()) / 32


def test_library_loads_and_steps_as_expected() -> None:
    assert library_version().startswith("1.")
    with Chromaprint() as cp:
        cp.feed(np.zeros(SAMPLE_RATE * 4, np.int16))
        items = cp.finish()
    assert len(items) == expected_items(4.0)
    assert len(set(items.tolist())) == 1  # silence: one value repeated


def test_missing_library_names_the_debian_package() -> None:
    with pytest.raises(MissingLibrary) as err:
        open_library(["libjejak-no-such-library.so.0"])
    assert isinstance(err.value, MissingDependency)
    assert err.value.exit_code == 3
    assert "apt-get install libchromaprint1" in str(err.value)


@pytest.mark.parametrize(
    ("fmt", "codec", "rate"),
    [
        ("wav", "pcm_s16le", RATE),
        ("mp3", "mp3", RATE),
        ("m4a", "aac", RATE),
        ("ogg", "opus", 48_000),
        ("amr", "amr_nb", 8000),
        ("flac", "flac", RATE),
    ],
)
def test_every_audio_format_fingerprints(
    tmp_path: Path, signal: gen.Samples, reference: AudioFingerprint, fmt: str, codec: str, rate: int
) -> None:
    path = audio_files.write_audio(tmp_path / f"clip.{fmt}", signal, RATE)
    fp = fingerprint(path)
    assert fp.codec == codec
    assert fp.sample_rate == rate
    assert fp.channels == 1
    assert fp.duration == pytest.approx(SECONDS, abs=0.1)
    assert abs(len(fp) - expected_items(SECONDS)) <= 1
    assert fp.warnings == ()
    assert aligned_ber(fp, reference) < 0.1  # AMR-NB at 12.2 kbit/s: ~0.05
    assert fp.NAME == "chromaprint"


@pytest.mark.parametrize("suffix", [".mp4", ".mov", ".mkv", ".webm"])
def test_the_soundtrack_of_a_video_fingerprints(
    tmp_path: Path, signal: gen.Samples, reference: AudioFingerprint, suffix: str
) -> None:
    path = audio_files.write_video(tmp_path / f"clip{suffix}", signal, RATE, seed=3)
    fp = fingerprint(path)
    assert fp.codec == ("aac" if suffix in (".mp4", ".mov") else "opus")
    assert abs(len(fp) - expected_items(SECONDS)) <= 1
    assert aligned_ber(fp, reference) < 0.05


def test_stereo_and_file_objects(tmp_path: Path, signal: gen.Samples, reference: AudioFingerprint) -> None:
    path = audio_files.write_audio(tmp_path / "stereo.mp3", signal, RATE, channels=2)
    by_path = fingerprint(path)
    with path.open("rb") as f:
        by_stream = fingerprint(f)
    by_bytes = fingerprint(io.BytesIO(path.read_bytes()))
    assert by_path.channels == 2
    assert np.array_equal(by_path.items, by_stream.items)
    assert np.array_equal(by_path.items, by_bytes.items)
    assert aligned_ber(by_path, reference) < 0.05


def test_max_seconds_stops_decoding(tmp_path: Path, signal: gen.Samples, reference: AudioFingerprint) -> None:
    path = audio_files.write_audio(tmp_path / "clip.flac", signal, RATE)
    fp = fingerprint(path, max_seconds=8.0)
    assert fp.duration == pytest.approx(8.0, abs=1e-3)
    assert len(fp) == expected_items(8.0)
    assert fp.warnings == ()  # stopping early on purpose is not damage
    assert np.array_equal(fp.items, reference.items[: len(fp)])
    assert len(fingerprint(path, max_seconds=0)) == 0


def test_silence_and_short_audio_are_not_errors(tmp_path: Path) -> None:
    silent = fingerprint(audio_files.write_audio(tmp_path / "silence.wav", gen.silence(10.0), RATE))
    assert len(silent) == expected_items(10.0)
    assert len(set(silent.items.tolist())) == 1
    short = fingerprint(audio_files.write_audio(tmp_path / "short.m4a", gen.speech(1, 2.0), RATE))
    assert len(short) == 0
    assert short.duration == pytest.approx(2.0, abs=0.05)


def test_a_video_without_sound_is_an_evidence_error(tmp_path: Path) -> None:
    path = audio_files.write_video(tmp_path / "mute.mp4", None, seed=1, seconds=2.0)
    with pytest.raises(EvidenceError, match="no audio stream"):
        fingerprint(path)


def test_a_file_that_is_not_media_is_an_evidence_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("shopping list: tea, lemons, bread\n" * 50)
    with pytest.raises(EvidenceError, match=r"notes\.txt"):  # FFmpeg reads text as a "tty" file: no audio
        fingerprint(path)
    with pytest.raises(EvidenceError, match="cannot be opened"):
        fingerprint(io.BytesIO(b"\x00\x01\x02\x03" * 64))


@pytest.mark.parametrize("name", ["clip.wav", "clip.mp3", "clip.flac", "clip.mkv"])
def test_a_truncated_file_gives_what_decoded_and_a_warning(
    tmp_path: Path, signal: gen.Samples, reference: AudioFingerprint, name: str
) -> None:
    whole = tmp_path / name
    if name.endswith(".mkv"):
        audio_files.write_video(whole, signal, RATE, seed=2)
    else:
        audio_files.write_audio(whole, signal, RATE)
    data = whole.read_bytes()
    cut = tmp_path / f"cut-{name}"
    cut.write_bytes(data[: len(data) // 2])
    fp = fingerprint(cut)
    assert 0.3 * SECONDS < fp.duration < 0.7 * SECONDS
    assert any("truncated" in w for w in fp.warnings), fp.warnings
    assert len(fp) > 0
    assert aligned_ber(fp, reference) < 0.05  # the same audio as the start of the whole file


def test_binary_form_round_trip(tmp_path: Path, signal: gen.Samples) -> None:
    fp = fingerprint(audio_files.write_audio(tmp_path / "clip.ogg", signal, RATE))
    data = fp.to_bytes()
    back = AudioFingerprint.from_bytes(data)
    assert np.array_equal(back.items, fp.items)
    assert back.items.dtype == np.uint32
    for attr in ("algorithm", "item_seconds", "duration", "sample_rate", "channels", "codec"):
        assert getattr(back, attr) == getattr(fp, attr)
    assert back.to_bytes() == data
    assert data[:4] == b"JAF1"
    assert data[-4:] == struct.pack("<I", int(fp.items[-1]))  # little-endian items at the end
    empty = AudioFingerprint(np.zeros(0, np.uint32))
    assert len(AudioFingerprint.from_bytes(empty.to_bytes())) == 0


def test_binary_form_rejects_anything_else(reference: AudioFingerprint) -> None:
    data = reference.to_bytes()
    bad = {
        "truncated header": data[:10],
        "bad magic": b"XXXX" + data[4:],
        "format version": data[:4] + struct.pack("<H", 99) + data[6:],
        "missing item": data[:-4],
        "extra bytes": data + b"\0\0\0\0",
        "codec length": data[:10] + struct.pack("<H", 200) + data[12:],
        "nan item seconds": data[:16] + struct.pack("<d", float("nan")) + data[24:],
    }
    for what, blob in bad.items():
        with pytest.raises(ValueError):
            AudioFingerprint.from_bytes(blob)
        assert what


def test_in_memory_samples_match_the_encoded_file(tmp_path: Path, signal: gen.Samples) -> None:
    """``fingerprint_samples`` (int16 or float input) and ``fingerprint`` of a WAV agree."""
    path = audio_files.write_audio(tmp_path / "clip.wav", signal, RATE)
    from_file = fingerprint(path)
    pcm = (np.clip(signal, -1, 1) * 32767).astype(np.int16)
    from_int = fingerprint_samples(pcm, RATE)
    assert aligned_ber(from_file, from_int) < 0.01
    assert match_segments(from_file, from_int)[0].offset == 0.0
    with pytest.raises(ValueError):
        fingerprint_samples(np.zeros((2, 100), np.float32), RATE)
