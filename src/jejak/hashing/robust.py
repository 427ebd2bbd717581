"""Robust image descriptors: ORB keypoints of the border-trimmed picture, for finding edited copies.

PDQ survives re-encoding, resizing and mild filtering, and its eight dihedral variants cover flips and
quarter turns; it does not survive crops, small rotations, padding or screenshots, which move content
relative to the frame. This stage describes an image by local features instead, so that a geometric
verification (``jejak.match.robust``) can find the reference inside the edited copy.

``describe`` does, per image (decode excluded):

1. **Value channel and work size.** The HSV value, max(R, G, B), which a hue rotation leaves unchanged
   (luma does not: a 90-degree hue shift moved half the corners), then ``cv2.resize`` (area) so the
   longer side is at most ``MAX_SIDE`` (512) pixels.
2. **Trim.** Fill borders (black, white or solid padding, phone UI bars, a blurred copy used as fill) are
   found on the work image by ``jejak.hashing.borders.trim_box`` and the box is then cut from the
   full-resolution channel and resized again, so a picture shrunk into a larger canvas keeps its
   resolution. Trimming is only an aid (features ignore padding anyway); the matcher never needs the boxes
   of query and reference to agree.
3. **Equalise.** ``cv2.equalizeHist`` of the trimmed work image: every monotonic tone change (gamma,
   brightness, contrast) then gives the same picture, and soft, low-contrast pictures (smooth textures,
   blurred stripes) get the contrast FAST needs. Measured on the robustness benchmark's bases: with plain
   luma, 0-20 corners on half of the soft ones and 18 % of their hard edits found; equalised, 512 on nearly
   all of them and ~95 %.
4. **Features.** ``cv2.ORB`` (FAST corners, Harris ranking, an 8-level 1.2x pyramid, rotated BRIEF), with
   a low FAST threshold so flat pictures still get corners. ``features`` of them are kept (``REF_FEATURES``
   = 256 for references, ``QUERY_FEATURES`` = 768 for queries), chosen round-robin over a 4x4 grid so a
   10 % crop of a corner never removes most of them. Queries keep more because an overlay (a large
   diagonal watermark) takes the strongest corners of every cell it crosses: with 512, 16 of 30
   watermarked soft textures were verified; with 768, 27. A query's first ``REF_FEATURES`` are the ones a
   reference's own description would keep (``_order``), and the order survives ``ORB.compute`` (which
   groups keypoints by level): a list built from seized media keeps that prefix (``reference``).
5. **Coarse features.** ``COARSE_FEATURES`` (64) more are found in the work image shrunk to ``COARSE_SIDE``
   (160) pixels, with their positions mapped back and their octave shifted by the shrink factor. ORB's own
   pyramid gives its coarse levels few features, so a copy shrunk to a quarter (its whole picture the size
   of a reference's level 7) found too little to verify: 70 % of them were verified without these, 90 %
   with them (robustness benchmark bases, every fourth).
6. **Mirror.** ORB is not mirror invariant. With ``mirror=True`` (queries), the same keypoints are also
   described in the horizontally flipped picture (``ORB.compute`` only: ~1 ms), so one query finds
   mirrored copies without storing anything extra per reference.
7. **Enlarged (small queries).** A picture whose longer side is under ``ENLARGE_BELOW`` (480) pixels is
   also described enlarged to the work size (``describe_enlarged``, stored as ``orb.enlarged``), and the
   matcher searches with both descriptors, keeping each reference's best score. A copy shrunk to a quarter
   has its whole content in the few pixels ORB's first levels see; enlarged, its corners meet the
   reference's own levels. Searched alone, the enlarged descriptor lost small pictures blurred or noisy
   (their references are described at their own small size); beside the plain one it loses nothing. On a
   200-base diagnostic, copies shrunk to 25 % went from 94.5 % to 99.0 % with no impostor scoring 11 or
   more added; only small pictures pay (a second description and search).

The binary form (``to_bytes``) is versioned: a 44-byte header (magic ``JRB1``, version, flags, sizes, trim
box, feature counts), then per feature x and y in 1/16 pixel (uint16), angle (uint8, 360/256 degree
steps), octave (uint8) and the 32-byte descriptor, then the mirror descriptors if present: 38 bytes per
feature, so a reference of 256 + 64 features takes 12.2 KB. Coordinates are quantised when described, so
a round trip is exact.
Measured by ``benchmarks/robustness.py`` (one core, pictures of 0.3-2.6 MP, decode excluded): see
docs/benchmarks.md for the current per-reference and per-query costs beside PDQ's eight variants.
Version 2 (value channel, equalisation) replaced version 1 (luma): stored version-1 descriptors are
skipped by the matcher until the list is rebuilt or the evidence re-ingested.
"""

from __future__ import annotations

import dataclasses
import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np
from numpy.typing import NDArray

from jejak.hashing.borders import trim_box
from jejak.hashing.image import Picture, as_pixels

NAME = "orb"
"""The algorithm name stored beside descriptors."""
VERSION = 2
"""Bumped whenever stored descriptors can no longer be compared with new ones (other features, settings or
format). A better trim alone does not bump it: old and new descriptors describe the same features."""

MAX_SIDE = 512
"""Longer side, in pixels, of the work image features are detected in (setting ``robust_max_side``)."""
REF_FEATURES = 256
"""Features kept per reference (setting ``robust_ref_features``): 38 bytes each when stored."""
QUERY_FEATURES = 768
"""Features kept per query (setting ``robust_query_features``): queries are not stored, more is cheap."""
ENLARGED_NAME = "orb.enlarged"
"""Stored beside ``orb`` for small pictures only: their descriptor when enlarged (``describe_enlarged``)."""
ENLARGE_BELOW = 480
"""Pictures whose longer side is under this many pixels also get the enlarged descriptor (setting
``robust_enlarge_below``)."""
COARSE_SIDE = 160
"""Longer side of the shrunken rendition the coarse features are found in."""
COARSE_FEATURES = 64
"""Features found in that rendition (references and queries alike): they stand for the picture as a
thumbnail shows it, so a copy shrunk to a quarter still meets features of its own scale."""
FAST_THRESHOLD = 8
"""ORB's FAST threshold: low, so that smooth pictures still yield corners."""

_MAGIC = b"JRB1"
_HEADER = struct.Struct("<4sHHIIffffHHII")  # magic, version, flags, width, height, box, work w/h, n, coarse
_FLAG_MIRROR = 1
_PYRAMID_SCALE = 1.2  # ORB's scale factor between pyramid levels (its default), and its levels
_PYRAMID_LEVELS = 8
_LOG_PYRAMID = math.log(_PYRAMID_SCALE)
_XY_STEP = 16.0  # coordinates are stored in 1/16 pixel
_ANGLE_STEP = 360.0 / 256.0
_GRID = 4
_MIN_SIDE = 24


@dataclass(frozen=True, eq=False)
class RobustDescriptor:
    """The ORB features of one picture, in the coordinates of its trimmed work image."""

    NAME: ClassVar[str] = NAME
    VERSION: ClassVar[int] = VERSION

    width: int
    """Original picture width, pixels."""
    height: int
    box: tuple[float, float, float, float]
    """The trimmed content box (x0, y0, x1, y1) in original pixels."""
    work_size: tuple[int, int]
    """(width, height) of the work image: the box resized so its longer side is at most MAX_SIDE."""
    xy: NDArray[np.float32]
    """(n, 2) keypoint positions in work-image pixels."""
    angle: NDArray[np.float32]
    """(n,) keypoint orientations, degrees in [0, 360)."""
    octave: NDArray[np.uint8]
    """(n,) pyramid level each keypoint was found at (patch size 31 * 1.2**octave)."""
    desc: NDArray[np.uint8]
    """(n, 32) rotated-BRIEF descriptors."""
    mirror_desc: NDArray[np.uint8] | None = None
    """(n, 32) descriptors of the same keypoints in the horizontally mirrored picture, or None."""
    coarse: int = 0
    """The last ``coarse`` features come from the shrunken rendition (``COARSE_SIDE``): their positions
    are in work-image pixels and their octave is shifted by the shrink factor, in pyramid levels."""

    def __len__(self) -> int:
        return len(self.desc)

    @property
    def scale(self) -> float:
        """Work pixels per original pixel."""
        bw = self.box[2] - self.box[0]
        return self.work_size[0] / bw if bw > 0 else 1.0

    def mirrored_xy(self) -> NDArray[np.float32]:
        """Keypoint positions in the horizontally flipped work image (where ``mirror_desc`` was computed)."""
        out = self.xy.copy()
        out[:, 0] = np.float32(self.work_size[0] - 1) - out[:, 0]
        return out

    def reference(self) -> RobustDescriptor:
        """What a list entry keeps of a seized picture's descriptor: its first ``REF_FEATURES`` features
        (the ones ``describe`` with the defaults would keep: see ``_order``) and its coarse ones, without
        the mirrored descriptors (the query side carries those): 12 KB instead of 58 KB."""
        main = len(self) - self.coarse
        keep = np.r_[0 : min(main, REF_FEATURES), main : len(self)]
        return dataclasses.replace(
            self,
            xy=self.xy[keep],
            angle=self.angle[keep],
            octave=self.octave[keep],
            desc=self.desc[keep],
            mirror_desc=None,
        )

    def to_bytes(self) -> bytes:
        n = len(self.desc)
        flags = _FLAG_MIRROR if self.mirror_desc is not None else 0
        head = _HEADER.pack(
            _MAGIC, VERSION, flags, self.width, self.height, *self.box, *self.work_size, n, self.coarse
        )
        parts = [
            head,
            np.rint(self.xy * _XY_STEP).astype("<u2").tobytes(),
            np.rint(self.angle / _ANGLE_STEP).astype(np.int64).__mod__(256).astype(np.uint8).tobytes(),
            self.octave.astype(np.uint8).tobytes(),
            np.ascontiguousarray(self.desc, dtype=np.uint8).tobytes(),
        ]
        if self.mirror_desc is not None:
            parts.append(np.ascontiguousarray(self.mirror_desc, dtype=np.uint8).tobytes())
        return b"".join(parts)

    @classmethod
    def from_bytes(cls, data: bytes) -> RobustDescriptor:
        """Parse ``to_bytes`` output; ValueError for anything else (another version included)."""
        if len(data) < _HEADER.size:
            raise ValueError("robust descriptor: truncated header")
        magic, version, flags, width, height, x0, y0, x1, y1, ww, wh, n, coarse = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not a robust (ORB) descriptor: bad magic")
        if version != VERSION:
            raise ValueError(
                f"robust descriptor of version {version}; this jejak reads {VERSION}: re-describe"
            )
        if flags & ~_FLAG_MIRROR:
            raise ValueError(f"robust descriptor: unknown flags {flags:#x}")
        mirror = bool(flags & _FLAG_MIRROR)
        expected = _HEADER.size + n * (38 + (32 if mirror else 0))
        if len(data) != expected:
            raise ValueError(f"robust descriptor: {len(data)} bytes, expected {expected} for {n} features")
        pos = _HEADER.size
        xy = np.frombuffer(data, "<u2", 2 * n, pos).reshape(n, 2).astype(np.float32) / np.float32(_XY_STEP)
        pos += 4 * n
        angle = np.frombuffer(data, np.uint8, n, pos).astype(np.float32) * np.float32(_ANGLE_STEP)
        pos += n
        octave = np.frombuffer(data, np.uint8, n, pos).copy()
        pos += n
        desc = np.frombuffer(data, np.uint8, 32 * n, pos).reshape(n, 32).copy()
        pos += 32 * n
        mdesc = np.frombuffer(data, np.uint8, 32 * n, pos).reshape(n, 32).copy() if mirror else None
        if coarse > n:
            raise ValueError(f"robust descriptor: {coarse} coarse features of {n}")
        return cls(width, height, (x0, y0, x1, y1), (ww, wh), xy, angle, octave, desc, mdesc, coarse)


def _value(img: Picture) -> NDArray[np.uint8]:
    """The HSV value channel, max(R, G, B): unchanged by a hue rotation, unlike luma."""
    a = as_pixels(img)
    if a.ndim == 2:
        return np.ascontiguousarray(a)
    r, g, b = cv2.split(a)
    return np.asarray(cv2.max(cv2.max(r, g), b), np.uint8)


def _resize(grey: NDArray[np.uint8], max_side: int) -> NDArray[np.uint8]:
    h, w = grey.shape
    s = max_side / max(h, w)
    if s >= 1.0:
        return np.ascontiguousarray(grey)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return np.asarray(cv2.resize(grey, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def _select(kps: Sequence[cv2.KeyPoint], w: int, h: int, n: int) -> list[int]:
    """Indices of up to ``n`` keypoints, strongest first within each cell of a 4x4 grid, round-robin."""
    if len(kps) <= n:
        return list(range(len(kps)))
    resp = np.array([k.response for k in kps], np.float32)
    pts = np.asarray(cv2.KeyPoint_convert(kps), np.float32)  # type: ignore[attr-defined]
    cx = np.minimum((pts[:, 0] * _GRID / w).astype(np.int64), _GRID - 1)
    cy = np.minimum((pts[:, 1] * _GRID / h).astype(np.int64), _GRID - 1)
    cell = cy * _GRID + cx
    order = np.lexsort((-resp, cell))  # by cell, strongest first
    sorted_cell = cell[order]
    first = np.searchsorted(sorted_cell, sorted_cell, side="left")
    rank = np.arange(len(order)) - first  # rank inside its cell
    pick = np.lexsort((-resp[order], rank))[:n]
    return [int(i) for i in order[pick]]


def _level_quota(n: int) -> list[int]:
    """Keypoints ORB keeps per pyramid level when asked for ``n`` (OpenCV's split: geometric in the
    scale factor, the last level taking the remainder)."""
    factor = 1.0 / _PYRAMID_SCALE
    per = n * (1.0 - factor) / (1.0 - factor**_PYRAMID_LEVELS)
    quota = []
    for _ in range(_PYRAMID_LEVELS - 1):
        quota.append(round(per))
        per *= factor
    quota.append(max(n - sum(quota), 0))
    return quota


def _order(kps: Sequence[cv2.KeyPoint], w: int, h: int, n: int) -> list[int]:
    """``_select`` of ``n`` keypoints, arranged so that the first ``REF_FEATURES`` are the ones a
    reference's own description would keep: ORB asked for fewer keypoints keeps each level's strongest,
    so those are taken per level from this larger pool before the round-robin, and the rest follow in
    ``_select``'s order. A list built from seized media keeps that prefix (``reference``): a plain
    round-robin over the larger pool filled it with fine-level corners (no keypoint above level 3)."""
    picks = _select(kps, w, h, n)
    if n <= REF_FEATURES or len(kps) <= REF_FEATURES:
        return picks
    octave = np.array([k.octave for k in kps], np.int64)
    resp = np.array([k.response for k in kps], np.float32)
    pool: list[int] = []
    for level, quota in enumerate(_level_quota(2 * REF_FEATURES)):
        at = np.flatnonzero(octave == level)
        pool.extend(at[np.argsort(-resp[at], kind="stable")[:quota]].tolist())
    first = [pool[i] for i in _select([kps[i] for i in pool], w, h, REF_FEATURES)]
    taken = set(first)
    return first + [i for i in picks if i not in taken][: n - len(first)]


_ORB_CACHE: dict[int, cv2.ORB] = {}


def _orb(n: int) -> cv2.ORB:
    orb = _ORB_CACHE.get(n)
    if orb is None:
        orb = cv2.ORB_create(  # type: ignore[attr-defined]  # absent from OpenCV's stubs
            nfeatures=n, fastThreshold=FAST_THRESHOLD, edgeThreshold=19, patchSize=31
        )
        _ORB_CACHE[n] = orb
    return orb


def describe(
    img: Picture,
    features: int = REF_FEATURES,
    mirror: bool = False,
    max_side: int = MAX_SIDE,
    coarse: int = COARSE_FEATURES,
) -> RobustDescriptor:
    """The robust descriptor of ``img``: references with the defaults, queries with
    ``features=QUERY_FEATURES, mirror=True`` (see ``describe_query``); ``coarse`` more features come from
    the picture shrunk to ``COARSE_SIDE``."""
    full = _value(img)
    height, width = full.shape
    work = _resize(full, max_side)
    x0, y0, x1, y1 = trim_box(work)
    if (x1 - x0) < _MIN_SIDE or (y1 - y0) < _MIN_SIDE:
        x0, y0, x1, y1 = 0, 0, work.shape[1], work.shape[0]
    s = work.shape[1] / width
    box = (x0 / s, y0 / s, x1 / s, y1 / s)
    if (x0, y0, x1, y1) != (0, 0, work.shape[1], work.shape[0]):
        bx0, by0 = int(box[0]), int(box[1])
        bx1, by1 = max(bx0 + 1, round(box[2])), max(by0 + 1, round(box[3]))
        box = (float(bx0), float(by0), float(bx1), float(by1))
        work = _resize(full[by0:by1, bx0:bx1], max_side)
    work = np.asarray(cv2.equalizeHist(work), np.uint8)
    main = _features(work, features, mirror)
    parts = [main]
    n_coarse = 0
    wh, ww = work.shape
    if coarse > 0 and max(ww, wh) >= 1.5 * COARSE_SIDE:
        small = _resize(work, COARSE_SIDE)
        c = _features(small, coarse, mirror)
        sx, sy = ww / small.shape[1], wh / small.shape[0]
        shift = round(math.log((sx + sy) / 2) / _LOG_PYRAMID)
        xy = (np.round(c.xy * np.array([sx, sy], np.float32) * _XY_STEP) / _XY_STEP).astype(np.float32)
        octave = np.minimum(c.octave.astype(np.int64) + shift, 255).astype(np.uint8)
        parts.append(_Features(xy, c.angle, octave, c.desc, c.mdesc))
        n_coarse = len(c.desc)
    mdesc = None if not mirror else np.vstack([p.mdesc for p in parts if p.mdesc is not None])
    return RobustDescriptor(
        width,
        height,
        box,
        (ww, wh),
        np.vstack([p.xy for p in parts]).astype(np.float32),
        np.concatenate([p.angle for p in parts]).astype(np.float32),
        np.concatenate([p.octave for p in parts]).astype(np.uint8),
        np.vstack([p.desc for p in parts]).astype(np.uint8),
        mdesc,
        n_coarse,
    )


@dataclass(frozen=True)
class _Features:
    xy: NDArray[np.float32]
    angle: NDArray[np.float32]
    octave: NDArray[np.uint8]
    desc: NDArray[np.uint8]
    mdesc: NDArray[np.uint8] | None


def _features(work: NDArray[np.uint8], features: int, mirror: bool) -> _Features:
    """ORB on ``work``: up to ``features`` keypoints (see ``_select``), and their mirrored descriptors."""
    wh, ww = work.shape
    empty: NDArray[np.uint8] = np.empty((0, 32), np.uint8)
    xy: NDArray[np.float32] = np.empty((0, 2), np.float32)
    angle: NDArray[np.float32] = np.empty(0, np.float32)
    octave: NDArray[np.uint8] = np.empty(0, np.uint8)
    desc = empty
    mdesc: NDArray[np.uint8] | None = empty if mirror else None
    if min(ww, wh) >= _MIN_SIDE:
        orb = _orb(features * 2)
        kps = orb.detect(work, None)
        keep = [kps[i] for i in _order(kps, ww, wh, features)]
        kps2, d = orb.compute(work, keep)
        if d is not None and len(kps2):
            kps2, d = _as_asked(keep, kps2, np.asarray(d, np.uint8))
            pts = np.asarray(cv2.KeyPoint_convert(kps2), np.float64)  # type: ignore[attr-defined]
            xy = (np.round(pts * _XY_STEP) / _XY_STEP).astype(np.float32)
            steps = np.round(np.array([k.angle for k in kps2]) / _ANGLE_STEP) % 256
            angle = (steps * _ANGLE_STEP).astype(np.float32)
            octave = np.array([k.octave for k in kps2], np.uint8)
            desc = np.asarray(d, np.uint8)
            if mirror:
                flipped = cv2.flip(work, 1)
                # the same keypoints, mirrored: x -> w - 1 - x, angle -> 180 - angle
                mx = (np.float32(ww - 1) - xy[:, 0]).tolist()
                my = xy[:, 1].tolist()
                ma = ((180.0 - np.array([k.angle for k in kps2], np.float64)) % 360.0).tolist()
                mk = [
                    cv2.KeyPoint(x, y, k.size, a, k.response, k.octave)
                    for k, x, y, a in zip(kps2, mx, my, ma, strict=True)
                ]
                mk2, md = orb.compute(flipped, mk)
                mdesc = _align(mk, mk2, None if md is None else np.asarray(md, np.uint8), len(desc))
    return _Features(xy, angle, octave, desc, mdesc)


def _keys(kps: Sequence[cv2.KeyPoint]) -> NDArray[np.int64]:
    """(n, 3) position in quarter pixels and octave of each keypoint: identifies it across ``compute``."""
    if not kps:
        return np.empty((0, 3), np.int64)
    pts = np.asarray(cv2.KeyPoint_convert(kps), np.float64)  # type: ignore[attr-defined]
    octave = np.fromiter((k.octave for k in kps), np.int64, len(kps))
    return np.column_stack([np.round(pts * 4).astype(np.int64), octave])


def _asked_index(asked: Sequence[cv2.KeyPoint], got: Sequence[cv2.KeyPoint]) -> NDArray[np.int64]:
    """For each keypoint of ``got`` (``compute``'s output for ``asked``), the index of the first keypoint
    of ``asked`` at the same position and level; ``len(asked)`` for none."""
    rank: dict[tuple[int, ...], int] = {}
    for i, k in enumerate(_keys(asked).tolist()):
        rank.setdefault(tuple(k), i)
    return np.fromiter((rank.get(tuple(k), len(asked)) for k in _keys(got).tolist()), np.int64, len(got))


def _as_asked(
    asked: Sequence[cv2.KeyPoint], got: Sequence[cv2.KeyPoint], desc: NDArray[np.uint8]
) -> tuple[list[cv2.KeyPoint], NDArray[np.uint8]]:
    """``got`` and its descriptors back in the order of ``asked``: ``compute`` returns them grouped by
    pyramid level, which lost the selection's order (a reference form, the first ``REF_FEATURES``, then
    held level-0 corners only)."""
    order = np.argsort(_asked_index(asked, got), kind="stable")
    return [got[i] for i in order.tolist()], desc[order]


def _align(
    asked: Sequence[cv2.KeyPoint], got: Sequence[cv2.KeyPoint], desc: NDArray[np.uint8] | None, n: int
) -> NDArray[np.uint8]:
    """``desc`` (computed for ``got``) placed at the rows of ``asked``: ``compute`` drops keypoints too
    near the border; a dropped one gets an all-zero row."""
    out: NDArray[np.uint8] = np.zeros((n, 32), np.uint8)
    if desc is None or not len(got):
        return out
    pos = _asked_index(asked, got)
    ok = pos < min(len(asked), n)
    out[pos[ok]] = desc[ok]
    return out


def describe_query(img: Picture, max_side: int = MAX_SIDE) -> RobustDescriptor:
    """A query's descriptor: more features, and the mirrored descriptors for flipped copies."""
    return describe(img, features=QUERY_FEATURES, mirror=True, max_side=max_side, coarse=COARSE_FEATURES)


def query_pair(blob: bytes, enlarged: bytes | None) -> tuple[RobustDescriptor, RobustDescriptor | None]:
    """A stored query's descriptor and its enlarged one (None when the picture was not small), parsed;
    ValueError when either is of another version or malformed."""
    return RobustDescriptor.from_bytes(blob), None if enlarged is None else RobustDescriptor.from_bytes(
        enlarged
    )


def describe_enlarged(
    img: Picture, features: int = QUERY_FEATURES, max_side: int = MAX_SIDE, below: int = ENLARGE_BELOW
) -> RobustDescriptor | None:
    """The second query descriptor of a small picture (longer side under ``below``): the picture
    enlarged (bilinear) so its longer side is ``max_side``, described as a query, its geometry (size, box)
    stated in the original picture's pixels so a verified transform reads as for ``describe_query``.
    None for a picture that is not small. Stored at ingest as ``ENLARGED_NAME`` (see the module doc)."""
    pixels = as_pixels(img)
    h, w = pixels.shape[:2]
    if max(w, h) >= min(below, max_side) or min(w, h) < 1:
        return None
    s = max_side / max(w, h)
    size = (max(1, round(w * s)), max(1, round(h * s)))
    d = describe(
        np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_LINEAR), np.uint8),
        features=features,
        mirror=True,
        max_side=max_side,
        coarse=COARSE_FEATURES,
    )
    sx, sy = size[0] / w, size[1] / h
    box = (d.box[0] / sx, d.box[1] / sy, d.box[2] / sx, d.box[3] / sy)
    return dataclasses.replace(d, width=w, height=h, box=box)
