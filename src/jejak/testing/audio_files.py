"""Benign synthetic audio as evidence files, written with PyAV (its bundled FFmpeg): ``encode_audio`` /
``write_audio`` for WAV, MP3 (libmp3lame), AAC in M4A, Opus in OGG (a voice note), AMR-NB
(libopencore_amrnb) and FLAC, chosen by ``FORMATS`` key or file suffix; ``write_video`` for a small
MP4/MOV/MKV/WebM with a picture of moving shapes (drawn from its own seed) and the soundtrack, so two
videos with different pictures can share audio; and the edits that go through FFmpeg (``resample``,
``through_codec``). The signals themselves come from ``jejak.testing.audio``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, BinaryIO

import av
import numpy as np
from numpy.typing import NDArray

from jejak.testing.audio import RATE, Samples


def resample(x: Samples, rate: int, new_rate: int) -> Samples:
    """``x`` resampled with FFmpeg's swresample (what a re-encoder at another rate does)."""
    if rate == new_rate:
        return x.copy()
    out = _decode_frames(_frames(x, rate), new_rate)
    return out


def through_codec(x: Samples, rate: int, fmt: str, bitrate: int | None = None) -> Samples:
    """``x`` encoded as ``fmt`` (a ``FORMATS`` key) and decoded back at ``rate``: lossy coding, band
    limits and codec-rate conversions included."""
    return decode_audio(io.BytesIO(encode_audio(x, rate, fmt, bitrate=bitrate)), rate)


# --- encoding ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioFormat:
    """How ``encode_audio`` writes one kind of audio file."""

    container: str
    codec: str
    bitrate: int | None = None
    rate: int | None = None
    """The sample rate the codec runs at, when it has a fixed choice (Opus, AMR-NB)."""


FORMATS: dict[str, AudioFormat] = {
    "wav": AudioFormat("wav", "pcm_s16le"),
    "mp3": AudioFormat("mp3", "libmp3lame", 128_000),
    "m4a": AudioFormat("ipod", "aac", 128_000),
    "ogg": AudioFormat("ogg", "libopus", 24_000, 48_000),  # a messenger voice note
    "amr": AudioFormat("amr", "libopencore_amrnb", 12_200, 8000),
    "flac": AudioFormat("flac", "flac"),
}
"""Audio file formats by suffix: every encoder is in the FFmpeg that PyAV bundles (``av.codecs_available``
lists libmp3lame, aac, libopus and libopencore_amrnb)."""

_CHUNK = 8192


def _frames(x: Samples, rate: int, channels: int = 1) -> Iterator[av.AudioFrame]:
    pcm = (np.clip(x, -1.0, 1.0) * 32767).astype(np.int16)
    layout = "stereo" if channels == 2 else "mono"
    for i in range(0, len(pcm), _CHUNK):
        chunk = pcm[i : i + _CHUNK]
        if channels == 2:
            chunk = np.repeat(chunk, 2)
        frame = av.AudioFrame.from_ndarray(chunk[None, :], format="s16", layout=layout)
        frame.sample_rate = rate
        frame.pts = i
        frame.time_base = Fraction(1, rate)
        yield frame


def _decode_frames(frames: Iterator[av.AudioFrame], rate: int) -> Samples:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=rate)
    parts: list[NDArray[Any]] = []
    for frame in frames:
        parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.float32) if parts else np.zeros(0, np.float32)


def _format(fmt: str) -> AudioFormat:
    spec = FORMATS.get(fmt.lower().lstrip("."))
    if spec is None:
        raise ValueError(f"unknown audio format {fmt!r}; expected one of {', '.join(FORMATS)}")
    return spec


def encode_audio(x: Samples, rate: int, fmt: str, *, bitrate: int | None = None, channels: int = 1) -> bytes:
    """``x`` as the bytes of a ``fmt`` file (a ``FORMATS`` key); ``channels`` 2 writes the same signal on
    both channels (AMR-NB is mono only)."""
    spec = _format(fmt)
    if channels not in (1, 2) or (channels == 2 and spec.codec == "libopencore_amrnb"):
        raise ValueError(f"{channels} channels cannot be written as {fmt}")
    buf = io.BytesIO()
    with av.open(buf, "w", format=spec.container) as out:
        _add_audio(out, spec, x, rate, bitrate, channels)
    return buf.getvalue()


def _add_audio(
    out: av.container.OutputContainer,
    spec: AudioFormat,
    x: Samples,
    rate: int,
    bitrate: int | None,
    channels: int,
) -> None:
    stream = out.add_stream(spec.codec, rate=spec.rate or rate, layout="stereo" if channels == 2 else "mono")
    assert isinstance(stream, av.audio.stream.AudioStream)
    chosen = bitrate or spec.bitrate
    if chosen:
        stream.bit_rate = chosen
    for frame in _frames(x, rate, channels):
        out.mux(stream.encode(frame))
    out.mux(stream.encode(None))


def write_audio(
    path: str | Path, x: Samples, rate: int, *, bitrate: int | None = None, channels: int = 1
) -> Path:
    """Write ``x`` to ``path`` in the format its suffix names (``FORMATS``)."""
    p = Path(path)
    p.write_bytes(encode_audio(x, rate, p.suffix, bitrate=bitrate, channels=channels))
    return p


def decode_audio(source: str | Path | BinaryIO, rate: int = RATE) -> Samples:
    """The first audio stream of a file, mono float32 at ``rate`` (for edits; jejak itself decodes with
    ``jejak.hashing.audio``)."""
    with av.open(source, "r") as container:
        stream = container.streams.audio[0]
        return _decode_frames(container.decode(stream), rate)


# --- video with a soundtrack ------------------------------------------------------------------------------

VIDEO_FORMATS: dict[str, tuple[str, str, str]] = {
    ".mp4": ("mp4", "libx264", "aac"),
    ".mov": ("mov", "libx264", "aac"),
    ".mkv": ("matroska", "libx264", "libopus"),
    ".webm": ("webm", "libvpx", "libopus"),
}
"""Video container by suffix: (format, video codec, audio codec)."""


def shapes_frames(seed: int, count: int, width: int, height: int) -> Iterator[NDArray[np.uint8]]:
    """RGB frames of a few coloured discs and boxes drifting over a gradient, all drawn from ``seed``."""
    rng = np.random.default_rng([0x5EED, seed])
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    ramp = (x / max(1, width - 1))[..., None]
    background = (c0 * (1 - ramp) + c1 * ramp).astype(np.float32)
    k = int(rng.integers(2, 6))
    pos = rng.uniform(0, 1, (k, 2)) * (width, height)
    vel = rng.uniform(-3, 3, (k, 2))
    radius = rng.uniform(0.08, 0.2, k) * min(width, height)
    colours = rng.uniform(0, 255, (k, 3))
    boxes = rng.random(k) < 0.5
    for _ in range(count):
        img = background.copy()
        for j in range(k):
            dx, dy = x - pos[j, 0], y - pos[j, 1]
            inside = (np.maximum(abs(dx), abs(dy)) if boxes[j] else np.hypot(dx, dy)) < radius[j]
            img[inside] = colours[j]
        pos = (pos + vel) % (width, height)
        yield img.astype(np.uint8)


def write_video(
    path: str | Path,
    x: Samples | None,
    rate: int = RATE,
    *,
    seed: int = 0,
    seconds: float | None = None,
    size: tuple[int, int] = (96, 64),
    fps: int = 8,
    audio_bitrate: int | None = 96_000,
) -> Path:
    """A small video (format by suffix, ``VIDEO_FORMATS``) of moving shapes drawn from ``seed``, with ``x``
    as its soundtrack; ``x`` None writes a video without an audio stream (``seconds`` long)."""
    p = Path(path)
    spec = VIDEO_FORMATS.get(p.suffix.lower())
    if spec is None:
        raise ValueError(f"unknown video suffix {p.suffix!r}; expected one of {', '.join(VIDEO_FORMATS)}")
    container, vcodec, acodec = spec
    duration = seconds if seconds is not None else (len(x) / rate if x is not None else 0.0)
    width, height = size
    with av.open(str(p), "w", format=container) as out:
        video = out.add_stream(vcodec, rate=fps)
        assert isinstance(video, av.video.stream.VideoStream)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if vcodec == "libx264":
            video.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency", "threads": "1"}
        elif vcodec == "libvpx":
            video.codec_context.options = {
                "deadline": "realtime",
                "cpu-used": "8",
                "lag-in-frames": "0",
                "threads": "1",
            }
        audio: av.audio.stream.AudioStream | None = None
        if x is not None:
            added = out.add_stream(acodec, rate=48_000 if acodec == "libopus" else rate, layout="mono")
            assert isinstance(added, av.audio.stream.AudioStream)
            if audio_bitrate:
                added.bit_rate = audio_bitrate
            audio = added
        for i, img in enumerate(shapes_frames(seed, max(1, round(duration * fps)), width, height)):
            frame = av.VideoFrame.from_ndarray(img, format="rgb24").reformat(format="yuv420p")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        if audio is not None and x is not None:
            for sound in _frames(x, rate):
                out.mux(audio.encode(sound))
            out.mux(audio.encode(None))
    return p
