"""Video keyframes for the robust stage: ORB descriptors of a few frames spread over a video.

vPDQ (``hashing.video``) compares videos frame by frame with PDQ, so it inherits PDQ's blind spots: a large
logo, letterbox bars added or removed, a crop or a rotation change most frames' hashes by more than 31
bits. Measured on Meta's sample videos (``../shared/testdata/threatexchange/tmk``): vPDQ found 10 % of the
large-logo chair's frames in its original and 0 % of the pattern with bars in the one without. The robust
stage (``hashing.robust``, ``match.robust``) was built for exactly those edits on stills; describing a few
frames of every video with it found 8 of 8 large-logo keyframes and 7 of 7 barred-pattern keyframes, and
none of the 1,400 pairs of keyframes of different sample videos.

So, while the video is hashed, ``KeyframePicker`` takes frames spread evenly over its duration (the frames
vPDQ decodes anyway: nothing more is decoded): one per ``spacing`` seconds, at least ``minimum`` and at
most ``maximum`` of them, skipping flat frames (a black or single-colour picture has no features), and
describes each with ``describe`` (seized videos: the query form, 768 features and their mirror; list
entries keep the reference form). The result is a ``KeyframeSet`` stored as one descriptor per content,
algorithm ``orb.frames``. About 18 ms per keyframe at 480p: 0.1 s for a one-minute video.

The binary form: magic ``JKF1``, version, count, then per frame its time (float64 seconds), the length
of its robust descriptor and the descriptor's own binary form (``RobustDescriptor.to_bytes``).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jejak.hashing.preview import FrameSpread
from jejak.hashing.robust import MAX_SIDE, RobustDescriptor, describe

NAME = "orb.frames"
"""The algorithm name stored beside a video's keyframe descriptors."""
SPACING = 10.0
"""Seconds of video per keyframe (setting ``video_keyframe_seconds``)."""
MINIMUM = 4
"""Keyframes of a short video, whatever its length (a 20 s clip gets 4, not 2)."""
MAXIMUM = 32
"""Keyframes of a long video (setting ``video_keyframes``): a two-hour film gets one per 4 minutes."""
FLAT = 12
"""A frame whose value channel spans fewer grey levels than this (5th to 95th percentile) is skipped."""

_MAGIC = b"JKF1"
_VERSION = 1
_HEAD = struct.Struct("<4sHI")
_ITEM = struct.Struct("<dI")


@dataclass(frozen=True, eq=False)
class KeyframeSet:
    """Robust descriptors of a video's keyframes, in time order."""

    seconds: tuple[float, ...]
    frames: tuple[RobustDescriptor, ...]

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[tuple[float, RobustDescriptor]]:
        return iter(zip(self.seconds, self.frames, strict=True))

    def map(self, fn: Callable[[RobustDescriptor], RobustDescriptor]) -> KeyframeSet:
        return KeyframeSet(self.seconds, tuple(fn(d) for d in self.frames))

    def to_bytes(self) -> bytes:
        parts = [_HEAD.pack(_MAGIC, _VERSION, len(self.frames))]
        for s, d in self:
            blob = d.to_bytes()
            parts += [_ITEM.pack(s, len(blob)), blob]
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> KeyframeSet:
        """Parse ``to_bytes`` output; ValueError for anything else (another version of the set or of a
        frame's robust descriptor included)."""
        if len(data) < _HEAD.size:
            raise ValueError("keyframe set: truncated header")
        magic, version, n = _HEAD.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a keyframe set: bad magic")
        if version != _VERSION:
            raise ValueError(f"keyframe set of version {version}; this jejak reads {_VERSION}")
        pos = _HEAD.size
        seconds: list[float] = []
        frames: list[RobustDescriptor] = []
        for _ in range(n):
            if pos + _ITEM.size > len(data):
                raise ValueError("keyframe set: truncated")
            s, length = _ITEM.unpack_from(data, pos)
            pos += _ITEM.size
            if pos + length > len(data):
                raise ValueError("keyframe set: truncated descriptor")
            frames.append(RobustDescriptor.from_bytes(data[pos : pos + length]))
            seconds.append(s)
            pos += length
        if pos != len(data):
            raise ValueError(f"keyframe set: {len(data) - pos} bytes after the last frame")
        return cls(tuple(seconds), tuple(frames))


def planned(duration: float | None, spacing: float = SPACING, maximum: int = MAXIMUM) -> int:
    """How many keyframes a video of ``duration`` seconds gets (``maximum`` when it is unknown)."""
    if maximum <= 0:
        return 0
    if duration is None or not duration > 0:
        return maximum
    return max(min(MINIMUM, maximum), min(maximum, int(duration / spacing)))


class KeyframePicker:
    """Offered the sampled frames of a video in time order (``add``, the ``on_frame`` hook of
    ``hash_video``), describes up to ``planned(duration)`` of them, evenly spread."""

    def __init__(
        self,
        duration: float | None,
        features: int,
        mirror: bool,
        max_side: int = MAX_SIDE,
        spacing: float = SPACING,
        maximum: int = MAXIMUM,
    ) -> None:
        self.spread = FrameSpread(planned(duration, spacing, maximum), duration, spacing)
        self.features, self.mirror, self.max_side = features, mirror, max_side
        self.seconds: list[float] = []
        self.frames: list[RobustDescriptor] = []

    def wants(self, seconds: float) -> bool:
        """Whether a frame at ``seconds`` would be described (so the caller converts only those)."""
        return self.spread.wants(seconds)

    def add(self, pixels: NDArray[np.uint8], seconds: float) -> None:
        if not self.spread.wants(seconds):
            return
        if _flat(pixels):
            return  # the next frame offered is tried instead
        self.frames.append(describe(pixels, self.features, self.mirror, self.max_side))
        self.seconds.append(round(seconds, 3))
        self.spread.took(seconds)

    def result(self) -> KeyframeSet:
        return KeyframeSet(tuple(self.seconds), tuple(self.frames))


def _flat(pixels: NDArray[np.uint8]) -> bool:
    small = pixels[:: max(1, pixels.shape[0] // 64), :: max(1, pixels.shape[1] // 64)]
    value = small.max(axis=2) if small.ndim == 3 else small
    lo, hi = np.percentile(value, (5, 95))
    return bool(hi - lo < FLAT)
