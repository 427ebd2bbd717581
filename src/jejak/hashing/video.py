"""vPDQ: a PDQ hash per sampled video frame, compatible with Meta's vpdq, decoded with PyAV.

Which frames. vpdq numbers the frames the decoder returns (frame ``n`` is the n-th in presentation order,
from 0), keeps frame ``n`` when ``n % int(seconds_per_hash * fps) == 0`` (at least 1), fps being the
stream's average frame rate (its base rate when there is none), and stamps it ``n / fps`` seconds.
``hash_video(fps=1.0)`` is ``seconds_per_hash=1``: frames 0, 30, 60... of a 30 frames/s video at 0.000,
1.000, 2.000 s, the frames vpdq 0.2.5 picks on the sample videos. ``fps=None`` hashes every frame, which
is how Meta's sample-hashes files were made.

Which pixels. A frame is converted to RGB24 by swscale with nearest-neighbour chroma and accurate
rounding, what the FFmpeg that made Meta's sample hashes produced (FFmpeg 8's fast default rounds
differently: 21 bits from Meta's hashes on average on the doorknob sample, whose frames fade to near
black), or resized to ``downsample`` x ``downsample`` with Lanczos (the filter of the -128x128 sample
files); jejak's numpy PDQ (``jejak.hashing.pdq``) hashes its luma (``luma_of``).
Against the sample-hashes files (tests/hashing/test_video.py): full size, 2,592 frames of 7 videos, mean
0.07 bits and at most 4 from Meta's, 100% within 31 bits (5 of the 7 bit for bit); 128x128, 2,442 frames
of 6 videos, mean 0.33 bits, at most 8, 100% within 31. Meta's own vpdq 0.2.5, built here against
Debian's FFmpeg 5.1, is further from its files: mean 20.9 bits on the doorknob, 1.2 on chair-19.

Rotation. Unlike vpdq, the picture is hashed as displayed: a phone's display matrix (quarter turns, and
a mirror) is applied to the pixels, and ``width``/``height`` are the displayed ones. Meta's vpdq hashes
the coded picture, so its hash of a rotated phone video and ours differ; the matcher tries no rotations.

Speed. Frames are found through a packet index and decoded from the keyframe before each sample, skipping
frames nothing refers to (``jejak.hashing.videoplan``); one decoding thread and one swscale thread, so
the numbers are per core. benchmarks/video.py (60-s H.264 clips with B-frames, CPU time, a loaded
2-core machine, docs/benchmarks.md): 1-s GOPs, 135x real time at 480p and 39x at 1080p, 3.2x and 4.2x
a full decode, 4.1x Meta's vpdq at 480p; 10-s GOPs, 1.6x a full decode at 480p, 1.4x at 1080p.

Deduplication: off by default. vpdq keeps every sampled frame and its matcher removes exact duplicates
itself; at 1 frame/s pruning at 16 bits removes no frame of the chair, pattern or doorknob samples, and a
pruned list would not line up with Meta's files. ``dedupe_bits=k`` drops a frame within k bits of the
last one kept: on every-frame hashes of chair-19, k=8 keeps 88% of the frames, k=16 74%. The matcher
does not depend on it.

Damage. A truncated or damaged video gives the frames that decoded and a warning (its header announced
more frames, the container a longer duration, or decoding failed); a file that cannot be opened at all,
a still image, a text file FFmpeg would render as a video, or a file without a video stream raises
EvidenceError.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final, Literal, TypeVar

import av
import numpy as np
from av.container import InputContainer
from av.stream import Discard
from av.video.frame import VideoFrame
from av.video.reformatter import Interpolation
from av.video.stream import VideoStream
from numpy.typing import NDArray

from jejak.errors import EvidenceError
from jejak.hashing.pdq import luma_of, pdq_from_luma
from jejak.hashing.videoplan import DecodeStats, PacketIndex, decode_indexed, decode_sequential, scan
from jejak.metadata.container import TEXT_FORMATS, display_transform
from jejak.model.video import FrameHash

__all__ = [
    "NAME",
    "FrameHash",
    "OnFrame",
    "Strategy",
    "VideoHashes",
    "as_displayed",
    "dedupe",
    "display_transform",
    "frame_pixels",
    "hash_video",
]

NAME: Final = "vpdq"
"""Algorithm name of a video's frame hashes (a storage key: never change it)."""

Strategy = Literal["auto", "sequential", "indexed"]
OnFrame = Callable[[NDArray[np.uint8], float], None]
"""Receives each sampled frame as hashed (RGB rows x columns x 3, as displayed) and its time in seconds."""
_T = TypeVar("_T", bound=np.generic)

_FULL_SIZE = Interpolation.POINT | Interpolation.ACCURATE_RND
_RESIZED = Interpolation.LANCZOS | Interpolation.ACCURATE_RND
_MIN_SIDE = 5  # PDQ's smallest hashable side
_COUNT_SLACK = 1  # frames a header may announce beyond those that decode (AVI counts one more) unwarned


@dataclass(frozen=True)
class VideoHashes:
    """The frame hashes of a video and what was learnt about its video stream on the way."""

    frames: tuple[FrameHash, ...]
    duration: float | None  # seconds, from the container (None when it does not say)
    width: int  # as displayed (rotation applied)
    height: int
    rotation: int  # counter-clockwise degrees applied to show the picture: 0, 90, 180 or 270
    mirrored: bool  # the display matrix also mirrors the picture
    codec: str
    fps: float  # the rate frame numbers are divided by (average rate, else base rate)
    frames_decoded: int  # frames the decoder returned (skipped frames are not counted)
    seeked: bool  # the indexed strategy seeked to keyframes
    strategy: str  # "sequential" or "indexed"
    warnings: tuple[str, ...] = ()


def hash_video(
    source: str | os.PathLike[str] | BinaryIO,
    *,
    fps: float | None = 1.0,
    max_seconds: float | None = None,
    downsample: int | None = None,
    dedupe_bits: int | None = None,
    strategy: Strategy = "auto",
    on_frame: OnFrame | None = None,
    wants: Callable[[float], bool] | None = None,
) -> VideoHashes:
    """vPDQ frame hashes of the first video stream of ``source`` (a path or a seekable binary stream).

    ``fps``: frames hashed per second (vpdq's 1 / seconds_per_hash), None for every frame. ``max_seconds``:
    only frames before that time (a warning says the rest was not hashed). ``downsample``: resize frames
    to a square of that side before hashing, as vpdq's downsample_width/height. ``dedupe_bits``: drop a
    frame within that many bits of the last one kept. ``strategy``: "auto" (indexed when the packet index
    allows it), "sequential" (decode everything, count frames: vpdq's own loop) or "indexed".
    ``on_frame``: called with each sampled frame's pixels as hashed (RGB, as displayed) and its time, as
    they are decoded (in time order but for B-frame reordering at high rates): a contact sheet is made
    from them without decoding anything more. ``wants``: which frame times ``on_frame`` is called for
    (default: all); the pixels of the others are not even converted to RGB.
    """
    if fps is not None and not fps > 0:
        raise ValueError(f"fps must be > 0 or None: {fps}")
    if downsample is not None and downsample < _MIN_SIDE:
        raise ValueError(f"downsample must be at least {_MIN_SIDE} pixels: {downsample}")
    if dedupe_bits is not None and not 0 <= dedupe_bits <= 256:
        raise ValueError(f"dedupe_bits must be 0-256: {dedupe_bits}")
    name = _name(source)
    start: int | None = None
    if not isinstance(source, (str, os.PathLike)):
        start = source.tell() if source.seekable() else None
        if start is None:
            strategy = "sequential"  # seeking needs a seekable stream
    container = _open(source, name)
    try:
        index: PacketIndex | None = None
        notes: list[str] = []
        if strategy != "sequential" and fps is not None:
            index = scan(container, container.streams.video[0])
            if not index.usable:  # the scan read the stream to its end: start again from the top
                if strategy == "indexed":
                    notes.append("the packet index is unusable (missing or repeated timestamps): decoded all")
                index = None
                container.close()
                if start is not None and not isinstance(source, (str, os.PathLike)):
                    source.seek(start)
                container = _open(source, name)
        return _hash_open(
            container, name, fps, max_seconds, downsample, dedupe_bits, index, notes, on_frame, wants
        )
    finally:
        container.close()


def _name(source: str | os.PathLike[str] | BinaryIO) -> str:
    if isinstance(source, (str, os.PathLike)):
        return str(Path(source))
    return str(getattr(source, "name", "<stream>"))


def _open(source: str | os.PathLike[str] | BinaryIO, name: str) -> InputContainer:
    try:
        container = av.open(source if not isinstance(source, os.PathLike) else os.fspath(source), "r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        raise EvidenceError(f"cannot open {name} as a video: {exc}") from exc
    fmt = container.format.name
    if fmt == "image2" or fmt.endswith("_pipe"):
        container.close()
        raise EvidenceError(f"{name} is a still image ({fmt}), not a video")
    if fmt in TEXT_FORMATS:
        container.close()
        raise EvidenceError(f"{name} is text (FFmpeg reads it as {fmt} art), not a video")
    if not container.streams.video:
        container.close()
        raise EvidenceError(f"{name} has no video stream")
    video = container.streams.video[0]
    for other in container.streams:
        if other.index != video.index:
            other.discard = Discard.all  # the demuxer skips the other streams' data
    return container


def _rate(stream: VideoStream) -> float | None:
    for rate in (stream.average_rate, stream.base_rate, stream.guessed_rate):
        if rate is not None and rate > 0:
            return float(rate)
    return None


def _duration(container: InputContainer, stream: VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _hash_open(
    container: InputContainer,
    name: str,
    fps: float | None,
    max_seconds: float | None,
    downsample: int | None,
    dedupe_bits: int | None,
    index: PacketIndex | None,
    notes: list[str],
    on_frame: OnFrame | None,
    wants: Callable[[float], bool] | None = None,
) -> VideoHashes:
    stream = container.streams.video[0]
    warnings = list(notes)
    try:
        codec = stream.codec_context
    except av.error.FFmpegError as exc:
        raise EvidenceError(f"{name}: no decoder for its video stream: {exc}") from exc
    codec.thread_count = 1
    rate = _rate(stream)
    if rate is None:
        rate = 25.0
        warnings.append("the video stream states no frame rate: frame times assume 25 frames/s")
    every = max(1, int((1.0 / fps) * rate)) if fps is not None else 1
    limit = math.ceil(max_seconds * rate) if max_seconds is not None else None
    hasher = _FrameHasher(rate, downsample, on_frame, wants)

    if index is not None:
        total = len(index.frame_positions())
        wanted = [n for n in range(0, total, every) if limit is None or n < limit]
        stats = decode_indexed(container, stream, index, wanted, hasher)
        if not index.complete:
            warnings.append(f"demuxing stopped after {len(index.pts)} packets: {index.error}")
        declared = stream.frames
        if declared and len(index.pts) < declared - _COUNT_SLACK:
            warnings.append(
                f"the video stream ends after {len(index.pts)} of the {declared} frames its header "
                "announces (truncated or damaged file)"
            )
    else:
        stats = decode_sequential(container, stream, every, limit, hasher)
        total = stats.frames_decoded
        declared = stream.frames
        if declared and stats.frames_decoded < declared - _COUNT_SLACK and limit is None:
            warnings.append(
                f"decoded {stats.frames_decoded} of the {declared} frames the header announces "
                "(truncated or damaged file)"
            )
    warnings += _stats_warnings(stats)
    frames = sorted(hasher.hashes, key=lambda f: f.frame)
    duration = _duration(container, stream)
    if not frames and total == 0:
        warnings.append("no frame of the video stream could be decoded")
    elif (
        not warnings
        and duration is not None
        and limit is None
        and frames
        and total / rate < duration - max(1.0, 3 / rate)
    ):
        warnings.append(
            f"the video stream ends at {total / rate:.2f} s of the {duration:.2f} s the container "
            "announces (truncated or damaged file)"
        )
    if limit is not None and (total > limit or stats.cut_at_limit):
        warnings.append(f"hashed the first {max_seconds:g} s only (max_seconds); the video is longer")
    if dedupe_bits is not None:
        frames = dedupe(frames, dedupe_bits)
    width, height = hasher.size if hasher.size else (codec.width, codec.height)
    return VideoHashes(
        frames=tuple(frames),
        duration=duration,
        width=width,
        height=height,
        rotation=hasher.turns * 90,
        mirrored=hasher.mirror,
        codec=codec.codec.canonical_name,
        fps=rate,
        frames_decoded=stats.frames_decoded,
        seeked=stats.seeks > 0,
        strategy="indexed" if index is not None else "sequential",
        warnings=tuple(warnings),
    )


def _stats_warnings(stats: DecodeStats) -> list[str]:
    out = list(stats.warnings)
    if stats.errors:
        out.append(f"{stats.errors} decoding errors (damaged stream?); last: {stats.last_error}")
    return out


def dedupe(frames: list[FrameHash], bits: int) -> list[FrameHash]:
    """Keep a frame only if it is more than ``bits`` bits from the last frame kept (vPDQ's pruning)."""
    kept: list[FrameHash] = []
    last = -1
    for f in frames:
        value = int(f.pdq, 16)
        if last < 0 or (value ^ last).bit_count() > bits:
            kept.append(f)
            last = value
    return kept


# --- one frame --------------------------------------------------------------------------------------------


def frame_pixels(frame: VideoFrame, downsample: int | None = None) -> NDArray[np.uint8]:
    """The frame as RGB24 (h, w, 3) the way vpdq converts it: full size with nearest-neighbour chroma and
    accurate rounding, or resized to ``downsample`` x ``downsample`` with Lanczos. One swscale thread."""
    if downsample is None:
        out = frame.reformat(format="rgb24", interpolation=_FULL_SIZE, threads=1)
    else:
        out = frame.reformat(
            width=downsample, height=downsample, format="rgb24", interpolation=_RESIZED, threads=1
        )
    return np.asarray(out.to_ndarray(), np.uint8)


def as_displayed(a: NDArray[_T], turns: int, mirror: bool) -> NDArray[_T]:
    """``a`` (rows first) turned counter-clockwise by ``turns`` quarter turns, then mirrored left-right."""
    if turns % 4:
        a = np.rot90(a, turns % 4)
    if mirror:
        a = a[:, ::-1]
    return a


# 8-bit formats whose first plane is the luma, full size: PDQ's luma is read from it (range-expanded)
# instead of converting the frame to RGB and weighting the channels back into luma, which gives the same
# values within rounding (swscale's YUV -> RGB and PDQ's RGB -> luma use the same BT.601 weights).
_LUMA_PLANE = {
    "yuv420p": False,
    "yuv422p": False,
    "yuv444p": False,
    "nv12": False,
    "nv21": False,
    "yuvj420p": True,
    "yuvj422p": True,
    "yuvj444p": True,
    "gray": True,
}
_TV_SCALE = np.float32(255.0 / 219.0)
_EXACT_BELOW = 60  # PDQ quality under which a frame is hashed through RGB after all (matching needs 50)


def plane_luma(frame: VideoFrame) -> NDArray[np.float32] | None:
    """The frame's luma (0-255, float32, rows x columns as stored) from its Y plane, or None when its
    format has none we read directly (10-bit, RGB, palette...)."""
    full = _LUMA_PLANE.get(frame.format.name)
    if full is None:
        return None
    plane = frame.planes[0]
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
    y = rows[: frame.height, : frame.width]
    if full or frame.color_range == 2:  # AVCOL_RANGE_JPEG: already 0-255
        return y.astype(np.float32)
    out = y.astype(np.float32)
    out -= np.float32(16.0)
    out *= _TV_SCALE
    np.clip(out, 0.0, 255.0, out=out)
    return out


class _FrameHasher:
    """Called with each sampled frame: hashes it, remembers the display transform and size."""

    def __init__(
        self,
        rate: float,
        downsample: int | None,
        on_frame: OnFrame | None,
        wants: Callable[[float], bool] | None = None,
    ) -> None:
        self.rate = rate
        self.downsample = downsample
        self.on_frame = on_frame
        self.wants = wants
        self.hashes: list[FrameHash] = []
        self.turns = 0
        self.mirror = False
        self.size: tuple[int, int] | None = None

    def __call__(self, frame: VideoFrame, number: int) -> None:
        if self.size is None:
            self.turns, self.mirror = display_transform(frame)
            w, h = frame.width, frame.height
            self.size = (h, w) if self.turns % 2 else (w, h)
        seconds = number / self.rate
        rgb: NDArray[np.uint8] | None = None
        luma = plane_luma(frame) if self.downsample is None else None
        if luma is None:
            rgb = frame_pixels(frame, self.downsample)
            luma = luma_of(rgb)
        pdq, quality = pdq_from_luma(as_displayed(luma, self.turns, self.mirror))  # tiny: zeros, quality 0
        if rgb is None and quality < _EXACT_BELOW:
            # near-flat frames: PDQ's bits follow the rounding there, so hash them exactly as vpdq does
            rgb = frame_pixels(frame, self.downsample)
            pdq, quality = pdq_from_luma(as_displayed(luma_of(rgb), self.turns, self.mirror))
        self.hashes.append(FrameHash(number, quality, pdq, seconds))
        if self.on_frame is not None and (self.wants is None or self.wants(seconds)):
            if rgb is None:
                rgb = frame_pixels(frame, self.downsample)
            self.on_frame(as_displayed(rgb, self.turns, self.mirror), seconds)
