"""Audio fingerprints: Chromaprint over the audio track of any file PyAV opens, streamed.

**Decoding** (``decode_pcm``). PyAV (its bundled FFmpeg) opens the file, audio or video: WAV, MP3, AAC in
M4A/MP4, Opus and Vorbis in OGG/WebM, AMR-NB/WB, FLAC, and the soundtrack of MP4/MOV/MKV/WebM/3GP videos.
The first audio stream's packets alone are demuxed and decoded; frames are gathered into ~1 s blocks and
resampled by FFmpeg (``av.AudioResampler``, swresample) to mono signed 16-bit at 11025 Hz, the rate
Chromaprint analyses at, so the library's own resampler never runs. Blocks are fed as they come: no PCM
accumulates, and ``max_seconds`` stops decoding. The timeline is the decoded samples in order (time-stamp
gaps are not filled; a soundtrack that starts late in a video counts from its first sample). Decoding
with frame-by-frame resampling took 4x the time of decoding alone for MP3 and AAC (1024-1152-sample
frames: the per-call overhead dominated); in blocks the same samples come out twice as fast.

**Damage.** A packet that does not decode is skipped (stopping after 20), a demuxer error ends the stream,
each with a warning; so does a stream that decodes more than 1 s short of the duration it declares, or a
WAV shorter than its RIFF header says (FFmpeg quietly shortens its duration to the file). What decoded is
fingerprinted. A file FFmpeg cannot open, or one without an audio stream, raises EvidenceError. An
MP4/M4A/MOV cut before its ``moov`` box (recorders write it last) cannot be opened at all.

**Fingerprint.** Chromaprint's raw fingerprint (``jejak.hashing.chromaprint``: the system library via
ctypes, default algorithm, one uint32 item per 0.1238 s, none for clips under ~2.7 s). Silence, steady
tones and chords give degenerate fingerprints (one value repeated); that is left to the matcher
(``jejak.match.audio``), which ignores low-information stretches.

**Measured** by benchmarks/audio.py (one core, 44.1 kHz files, CPU time): fingerprinting runs at
~580-600x real time for MP3 and AAC, ~380x for Opus (48 kHz) and ~890x for FLAC: 1.8-2.9x the time of
plain decoding (1590x, 1730x, 790x, 1800x), most of it resampling; Chromaprint itself adds 6-16 %. An edited
copy's fingerprint differs from its original's in ~5 % of the bits at the right alignment (median;
p99 0.11 for speech, 0.14 for music: MP3 32 kbit/s, AAC 24 kbit/s, Opus 12 kbit/s, AMR-NB, resampling
through 8 kHz, -12/+9 dB, white noise at 20 and 10 dB SNR), unrelated audio in 30-45 %.

**Binary form** (``to_bytes``): a 36-byte header (magic ``JAF1``, format version, algorithm, channels,
codec name length, source sample rate, item seconds and duration as float64, item count), the codec
name (ASCII), then the items as little-endian uint32: 4 bytes per 0.124 s, 116 KB per hour. Warnings are
not stored (ingest records them as warning rows). Another format version raises ValueError.
"""

from __future__ import annotations

import math
import os
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, ClassVar

import av
import numpy as np
from numpy.typing import NDArray

from jejak.errors import EvidenceError
from jejak.hashing.chromaprint import (
    ALGORITHM,
    DELAY_SAMPLES,
    ITEM_SAMPLES,
    ITEM_SECONDS,
    NAME,
    SAMPLE_RATE,
    WINDOW_SECONDS,
    fingerprint_pcm,
    library,
    library_version,
)

__all__ = [  # with Chromaprint's constants, re-exported: callers look for them here
    "ALGORITHM",
    "DELAY_SAMPLES",
    "FORMAT_VERSION",
    "ITEM_SAMPLES",
    "ITEM_SECONDS",
    "NAME",
    "SAMPLE_RATE",
    "WINDOW_SECONDS",
    "AudioFingerprint",
    "DecodeInfo",
    "Source",
    "decode_pcm",
    "fingerprint",
    "fingerprint_pcm",
    "fingerprint_samples",
    "library_version",
    "open_audio",
]

_MAGIC = b"JAF1"
FORMAT_VERSION = 1
"""Version of the binary form (``to_bytes``): bumped whenever the layout changes."""
# magic, format version, algorithm, channels, codec name length, sample rate, item seconds, duration, items
_HEADER = struct.Struct("<4sHHHHIddI")
_MAX_CODEC = 64
_MAX_DECODE_ERRORS = 20
"""Packets that fail to decode before decoding stops (each is skipped with a warning count)."""
_BLOCK = 48_000
"""Source samples gathered before a resampler call (about 1 s)."""
_TRUNCATION_SLACK = 1.0
"""A stream that decodes at least this many seconds short of its declared duration gets a warning."""


# --- the fingerprint --------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class AudioFingerprint:
    """Chromaprint's raw fingerprint of one audio stream, with what it was computed from."""

    NAME: ClassVar[str] = NAME
    FORMAT_VERSION: ClassVar[int] = FORMAT_VERSION

    items: NDArray[np.uint32]
    """One 32-bit sub-fingerprint per ITEM_SECONDS of audio; empty for audio shorter than ~2.6 s."""
    algorithm: int = ALGORITHM
    """Chromaprint algorithm id (1: the default)."""
    item_seconds: float = ITEM_SECONDS
    duration: float = 0.0
    """Seconds of audio decoded (after ``max_seconds``)."""
    sample_rate: int = 0
    """The source stream's sample rate, channels and codec (FFmpeg's canonical codec name)."""
    channels: int = 0
    codec: str = ""
    warnings: tuple[str, ...] = field(default=())
    """Problems met while decoding (truncation, skipped packets). Not part of the binary form."""

    def __len__(self) -> int:
        return len(self.items)

    def to_bytes(self) -> bytes:
        """The versioned binary form: a 36-byte header, the codec name (ASCII), little-endian uint32 items."""
        codec = self.codec.encode("ascii", "replace")[:_MAX_CODEC]
        items = np.ascontiguousarray(self.items, dtype="<u4")
        head = _HEADER.pack(
            _MAGIC,
            FORMAT_VERSION,
            self.algorithm,
            self.channels,
            len(codec),
            self.sample_rate,
            self.item_seconds,
            self.duration,
            len(items),
        )
        return head + codec + items.tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> AudioFingerprint:
        """Parse ``to_bytes`` output; ValueError for anything else (another format version included)."""
        if len(data) < _HEADER.size:
            raise ValueError("audio fingerprint: truncated header")
        magic, version, algorithm, channels, clen, rate, item_s, duration, n = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not an audio fingerprint: bad magic")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"audio fingerprint of format version {version}; this jejak reads {FORMAT_VERSION}"
            )
        if clen > _MAX_CODEC:
            raise ValueError(f"audio fingerprint: codec name of {clen} bytes")
        expected = _HEADER.size + clen + 4 * n
        if len(data) != expected:
            raise ValueError(f"audio fingerprint: {len(data)} bytes, expected {expected} for {n} items")
        if not (math.isfinite(item_s) and item_s > 0 and math.isfinite(duration) and duration >= 0):
            raise ValueError("audio fingerprint: bad item duration or duration")
        try:
            codec = data[_HEADER.size : _HEADER.size + clen].decode("ascii")
        except UnicodeDecodeError as exc:
            raise ValueError("audio fingerprint: codec name is not ASCII") from exc
        items = np.frombuffer(data, "<u4", n, _HEADER.size + clen).astype(np.uint32)
        return cls(items, algorithm, item_s, duration, rate, channels, codec)


# --- decoding ---------------------------------------------------------------------------------------------

Source = str | os.PathLike[str] | BinaryIO


@dataclass
class DecodeInfo:
    """What ``decode_pcm`` learnt about the source; complete once its chunks are exhausted."""

    sample_rate: int = 0
    channels: int = 0
    codec: str = ""
    declared: float | None = None
    """The duration the container or stream states, seconds, if any."""
    samples: int = 0
    """Samples yielded, at SAMPLE_RATE."""
    limited: bool = False
    """True when ``max_seconds`` stopped decoding."""
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.samples / SAMPLE_RATE


def _describe(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return getattr(source, "name", None) or "stream"


def _riff_shortfall(source: Source) -> str | None:
    """A warning when ``source`` is a RIFF/WAVE file shorter than its header declares (FFmpeg quietly
    decodes what is there: a truncated recording would otherwise look whole)."""
    try:
        if isinstance(source, str | os.PathLike):
            with open(source, "rb") as f:
                head = f.read(12)
                size = os.fstat(f.fileno()).st_size
        elif source.seekable():
            pos = source.tell()
            head = source.read(12)
            size = source.seek(0, os.SEEK_END)
            source.seek(pos)
        else:
            return None
    except OSError:
        return None
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    declared = int.from_bytes(head[4:8], "little") + 8
    if declared > size:
        return f"truncated: the WAV header declares {declared} bytes, the file has {size}"
    return None


def open_audio(source: Source) -> tuple[av.container.InputContainer, av.audio.stream.AudioStream]:
    """The container and its first audio stream; EvidenceError when it cannot be opened or has none."""
    try:
        container = av.open(source if not isinstance(source, os.PathLike) else os.fspath(source), "r")
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise EvidenceError(f"{_describe(source)}: cannot be opened as audio or video ({exc})") from exc
    if not container.streams.audio:
        container.close()
        raise EvidenceError(f"{_describe(source)}: no audio stream (a video without sound, or not audio)")
    return container, container.streams.audio[0]


def _declared(container: av.container.InputContainer, stream: av.audio.stream.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None and stream.duration > 0:
        return float(stream.duration * stream.time_base)
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    return None


def _packets(
    container: av.container.InputContainer, stream: av.audio.stream.AudioStream, info: DecodeInfo
) -> Iterator[av.AudioFrame]:
    """Decoded frames of ``stream``; a demuxer error ends the stream and a packet that fails to decode is
    skipped, each with a warning (up to _MAX_DECODE_ERRORS skipped packets)."""
    demux = container.demux(stream)
    errors = 0
    while True:
        try:
            packet = next(demux)
        except StopIteration:
            return
        except av.FFmpegError as exc:
            info.warnings.append(f"reading stopped after {info.seconds:.1f} s: {exc}")
            return
        try:
            frames = packet.decode()
        except av.FFmpegError as exc:
            errors += 1
            if errors in (1, _MAX_DECODE_ERRORS):
                info.warnings.append(f"undecodable packet at {info.seconds:.1f} s skipped: {exc}")
            if errors >= _MAX_DECODE_ERRORS:
                info.warnings.append(f"decoding stopped after {errors} undecodable packets")
                return
            continue
        yield from frames


def _as_pcm(frames: Iterable[av.AudioFrame]) -> NDArray[np.int16]:
    parts = [f.to_ndarray().reshape(-1) for f in frames]
    if not parts:
        return np.zeros(0, np.int16)
    return np.concatenate(parts).astype(np.int16, copy=False)


class _Converter:
    """Decoded frames to mono int16 at SAMPLE_RATE. Frames are gathered into blocks of about ``_BLOCK``
    source samples and each block goes through FFmpeg's resampler in one call: the same samples as frame
    by frame (the resampler keeps its state), at half the cost for MP3 and AAC, whose 1024-1152-sample
    frames made the per-call overhead dominate. A change of format, layout or rate midway (it happens in
    broadcast captures and concatenated files) drains the block and starts a new resampler."""

    def __init__(self) -> None:
        self._resampler: av.AudioResampler | None = None
        self._key: tuple[str, str, int] | None = None
        self._layout: av.AudioLayout | None = None
        self._parts: list[NDArray[Any]] = []
        self._count = 0

    def push(self, frame: av.AudioFrame) -> NDArray[np.int16]:
        out = []
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if key != self._key:
            out.append(self.finish())
            self._key, self._layout = key, frame.layout
            self._resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        self._parts.append(frame.to_ndarray())
        self._count += frame.samples
        if self._count >= _BLOCK:
            out.append(self._convert())
        return _joined(out)

    def _convert(self) -> NDArray[np.int16]:
        if not self._parts or self._key is None or self._layout is None or self._resampler is None:
            return np.zeros(0, np.int16)
        block = np.concatenate(self._parts, axis=1) if len(self._parts) > 1 else self._parts[0]
        self._parts, self._count = [], 0
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block), format=self._key[0], layout=self._layout
        )
        frame.sample_rate = self._key[2]
        return _as_pcm(self._resampler.resample(frame))

    def finish(self) -> NDArray[np.int16]:
        """Everything still buffered, the resampler's tail included."""
        if self._resampler is None:
            return np.zeros(0, np.int16)
        head = self._convert()
        tail = _as_pcm(self._resampler.resample(None))
        self._resampler = None
        self._key = None
        return _joined([head, tail])


def _joined(parts: list[NDArray[np.int16]]) -> NDArray[np.int16]:
    parts = [p for p in parts if len(p)]
    if not parts:
        return np.zeros(0, np.int16)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def decode_pcm(
    source: Source, *, max_seconds: float | None = None, info: DecodeInfo | None = None
) -> Iterator[NDArray[np.int16]]:
    """Mono int16 PCM at SAMPLE_RATE from the first audio stream of ``source``, in chunks of ~1 s, as it
    decodes (memory stays constant however long the file). ``info`` is filled in as it goes.
    EvidenceError (raised on the first ``next``) when the file cannot be opened or has no audio stream."""
    info = info if info is not None else DecodeInfo()
    limit = None if max_seconds is None else max(0, round(max_seconds * SAMPLE_RATE))
    shortfall = _riff_shortfall(source)
    container, stream = open_audio(source)
    try:
        cc = stream.codec_context
        info.sample_rate = int(cc.sample_rate or 0)
        info.channels = int(cc.layout.nb_channels) if cc.layout is not None else 0
        info.codec = cc.codec.canonical_name if cc.codec is not None else ""
        info.declared = _declared(container, stream)
        converter = _Converter()
        for frame in _packets(container, stream, info):
            pcm = converter.push(frame)
            if len(pcm):
                yield from _limited(pcm, limit, info)
                if info.limited:
                    return
        pcm = converter.finish()
        if len(pcm):
            yield from _limited(pcm, limit, info)
        declared = info.declared
        if shortfall and not info.limited:
            info.warnings.append(shortfall)
        elif not info.limited and declared is not None and info.seconds < declared - _TRUNCATION_SLACK:
            info.warnings.append(
                f"truncated or damaged: decoded {info.seconds:.1f} s of the {declared:.1f} s declared"
            )
    finally:
        container.close()


def _limited(pcm: NDArray[np.int16], limit: int | None, info: DecodeInfo) -> Iterator[NDArray[np.int16]]:
    if limit is not None and info.samples + len(pcm) >= limit:
        pcm = pcm[: limit - info.samples]
        info.limited = True
    info.samples += len(pcm)
    if len(pcm):
        yield pcm


def fingerprint(source: Source, *, max_seconds: float | None = None) -> AudioFingerprint:
    """The fingerprint of the first audio stream of ``source`` (a path or a binary file object): any file
    PyAV opens, audio or video. Audio too short or silent gives a short or degenerate fingerprint, not an
    error; a truncated or damaged file gives what decoded, with ``warnings``. EvidenceError when the file
    cannot be opened or has no audio stream; MissingLibrary without libchromaprint."""
    library()  # fail before decoding anything
    info = DecodeInfo()
    items = fingerprint_pcm(decode_pcm(source, max_seconds=max_seconds, info=info))
    return AudioFingerprint(
        items,
        ALGORITHM,
        ITEM_SECONDS,
        info.seconds,
        info.sample_rate,
        info.channels,
        info.codec,
        tuple(info.warnings),
    )


def fingerprint_samples(samples: NDArray[np.floating] | NDArray[np.int16], rate: int) -> AudioFingerprint:
    """The fingerprint of audio already decoded: mono samples at ``rate`` (float in [-1, 1] or int16),
    resampled to SAMPLE_RATE by FFmpeg as ``fingerprint`` does."""
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples, got shape {x.shape}")
    pcm = x.astype(np.int16) if x.dtype == np.int16 else (np.clip(x, -1.0, 1.0) * 32767).astype(np.int16)
    if rate != SAMPLE_RATE:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        frame = av.AudioFrame.from_ndarray(pcm[None, :], format="s16", layout="mono")
        frame.sample_rate = rate
        pcm = np.concatenate([_as_pcm(resampler.resample(frame)), _as_pcm(resampler.resample(None))])
    items = fingerprint_pcm([pcm])
    return AudioFingerprint(items, ALGORITHM, ITEM_SECONDS, len(pcm) / SAMPLE_RATE, rate, 1, "pcm")
