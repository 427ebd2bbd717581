"""Robust matching: shortlist references by visual words, then verify each candidate geometrically.

``verify(query, ref)`` decides whether the query picture contains the reference picture under a similarity
transform (rotation, uniform scale, translation, optionally mirrored):

1. **Putative matches.** Each query descriptor's two nearest reference descriptors (``cv2.BFMatcher``,
   Hamming); kept if the best is within ``MAX_HAMMING`` bits and clearly better than the second (ratio
   ``RATIO``). Repetitive patterns (checkerboards, stripes) have no clear best and contribute nothing,
   which is what keeps two different checkerboards apart.
2. **RANSAC.** ``cv2.estimateAffinePartial2D`` (4 degrees of freedom), reprojection threshold
   ``RANSAC_PX`` work pixels, with the scale limited to [``MIN_SCALE``, ``MAX_SCALE``].
3. **Consistency.** An inlier counts only if its ORB orientation difference agrees with the estimated
   rotation (within ``ANGLE_TOL`` degrees) and its pyramid level agrees with the estimated scale (within
   one octave's worth, ``log(scale) / log(1.2)`` +- 1.5): a coincidental alignment of unrelated corners
   rarely satisfies both. Inliers are counted once per distinct reference location (2 px cells), since ORB
   reports the same corner at several pyramid levels. The inliers must also spread: over at least
   ``MIN_CELLS`` cells of an 8 x 8 grid on the reference, with a convex hull of at least ``MIN_HULL`` of
   its area (one shared word or sticker is not the same picture; a 10 % crop of a text page still is).
4. **Score** = the consistent distinct inliers. ``MIN_SCORE`` is the default acceptance threshold.

Both the query's plain and mirrored descriptors (``describe_query``) are verified; the better one wins and
the evidence says ``mirrored``. The evidence's transform maps reference pixels (of the original reference
picture) to query pixels (of the original query picture): ``q = scale * R(rotation_deg) * r + (tx, ty)``,
applied after mirroring the reference horizontally when ``mirrored``.

``RobustMatcher`` holds a ``RobustIndex`` and a descriptor source (its own dict, or a ``get_descriptor``
callback so the service layer can load reference descriptors from the store on demand), and searches:
shortlist ``SHORTLIST`` candidates by visual words, verify each in the orientation its words voted for
(plain or mirrored; both when the votes are within ``ORIENTATION_RATIO``), keep those scoring at least
``min_score``. A small query's enlarged descriptor (``describe_enlarged``), when given, is searched the
same way and each reference keeps its better score. Recall, false-match rate and costs (with a
100,000-reference index) are measured by ``benchmarks/robustness.py``; see docs/benchmarks.md.

``aligned(query, ref)`` answers a narrower question without RANSAC: are the reference's corners where they
were (same relative position, pyramid level, orientation, close descriptor) in a query that was not moved?
Stripes and checkerboards give the ratio test nothing to keep, so a recompressed or noisy copy is not
verified; its corners are still in place. The service layer asks it for pairs whose plain PDQ came near
(``pdq+aligned``, services/robust.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from numpy.typing import NDArray

from jejak.hashing.robust import RobustDescriptor
from jejak.index.robust import RobustIndex

MIN_SCORE = 14
"""Default acceptance threshold on the score (setting ``robust_min_score``)."""
SHORTLIST = 16
"""Candidates verified per query (setting ``robust_shortlist``)."""
RATIO = 0.85
"""Lowe's ratio test on Hamming distances (best < RATIO * second best)."""
MAX_HAMMING = 80
"""A putative match's best distance must be at most this many of the 256 bits."""
RANSAC_PX = 4.0
"""RANSAC reprojection threshold, work-image pixels (the work images' longer side is 512)."""
MIN_SCALE, MAX_SCALE = 0.2, 5.0
"""Accepted range of the estimated scale between the work images."""
ANGLE_TOL = 20.0
"""Degrees an inlier's orientation difference may deviate from the estimated rotation."""
MIN_MATCHES = 6
COVER_GRID = 8
MIN_CELLS = 5
"""The consistent inliers must fall in at least MIN_CELLS of the COVER_GRID x COVER_GRID cells of the
reference: one shared word, logo or sticker is not the same picture."""
MIN_HULL = 0.05
"""... and their convex hull must cover this fraction of the reference (a shared line of text does not)."""

ORIENTATION_RATIO = 0.9
"""An orientation (plain or mirrored) of the query is verified when its vote is at least this fraction of
the other's: near-symmetric pictures get both."""
ALIGN_PX = 4.0
"""``aligned``: how far (reference work pixels) a query corner may be from where the reference has it."""
ALIGN_HAMMING = 80
"""``aligned``: how many of a corner's 256 descriptor bits may differ."""
_LOG_OCTAVE = math.log(1.2)
faiss.omp_set_num_threads(1)  # one small search per candidate: threads cost more than they give


@dataclass(frozen=True)
class RobustEvidence:
    """Why a pair matched: the verified inliers and the transform (reference pixels -> query pixels)."""

    score: int
    """Consistent distinct inliers: the number compared with ``min_score``."""
    inliers: int
    """RANSAC inliers before the consistency checks."""
    matches: int
    """Putative descriptor matches that went into RANSAC."""
    rotation_deg: float
    """Counter-clockwise rotation in image coordinates (y down), degrees in (-180, 180]."""
    scale: float
    """Query pixels per reference pixel (original pictures)."""
    tx: float
    ty: float
    mirrored: bool
    """The query is a horizontally mirrored copy (the reference is flipped before the transform)."""
    enlarged: bool = False
    """Verified with the query's enlarged descriptor (a small picture: ``describe_enlarged``)."""


@dataclass(frozen=True)
class RobustHit:
    ref_id: int
    score: int
    inliers: int
    evidence: RobustEvidence


def _two_nearest(
    qdesc: NDArray[np.uint8], rdesc: NDArray[np.uint8]
) -> tuple[NDArray[np.int32], NDArray[np.int64]]:
    """Hamming distances and indices of each query descriptor's two nearest reference descriptors:
    FAISS's binary flat search (64-bit popcounts), 4x faster than ``cv2.batchDistance`` at 576 x 320."""
    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(rdesc, dtype=np.uint8))
    dist, nidx = index.search(np.ascontiguousarray(qdesc, dtype=np.uint8), 2)
    return dist, nidx


def _putative(
    qdesc: NDArray[np.uint8], rdesc: NDArray[np.uint8]
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    if len(qdesc) < 2 or len(rdesc) < 2:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    dist, nidx = _two_nearest(qdesc, rdesc)
    ok = (dist[:, 0] <= MAX_HAMMING) & (dist[:, 0] < RATIO * dist[:, 1]) & (nidx[:, 0] >= 0)
    q = np.flatnonzero(ok)
    r = nidx[q, 0].astype(np.intp)
    if len(r):  # one query feature per reference feature: keep the first (any) of duplicates
        _, first = np.unique(r, return_index=True)
        q, r = q[first], r[first]
    return q, r


def _verify_set(
    qxy: NDArray[np.float32],
    qangle: NDArray[np.float32],
    qoct: NDArray[np.uint8],
    qdesc: NDArray[np.uint8],
    ref: RobustDescriptor,
) -> tuple[int, int, int, NDArray[np.float64]] | None:
    """(score, inliers, matches, 2x3 work-to-work matrix) or None."""
    qi, ri = _putative(qdesc, ref.desc)
    if len(qi) < MIN_MATCHES:
        return None
    src = ref.xy[ri].astype(np.float32)
    dst = qxy[qi].astype(np.float32)
    m, mask = cv2.estimateAffinePartial2D(
        src, dst, method=cv2.RANSAC, ransacReprojThreshold=RANSAC_PX, maxIters=1000, confidence=0.995
    )
    if m is None or mask is None:
        return None
    inl = mask.ravel().astype(bool)
    scale = math.hypot(m[0, 0], m[1, 0])
    if not MIN_SCALE <= scale <= MAX_SCALE:
        return None
    rot = math.degrees(math.atan2(m[1, 0], m[0, 0]))
    # ORB angles are measured in image coordinates like atan2 on (x, y-down): a rotation by rot adds rot
    dang = (qangle[qi] - ref.angle[ri] - rot + 180.0) % 360.0 - 180.0
    doct = qoct[qi].astype(np.float32) - ref.octave[ri].astype(np.float32)
    expect = math.log(scale) / _LOG_OCTAVE  # a smaller query finds the corner at a lower level
    good = inl & (np.abs(dang) <= ANGLE_TOL) & (np.abs(doct - expect) <= 1.5)
    pts = src[good]
    distinct = np.unique(np.floor(pts / 2.0).astype(np.int64) @ np.array([1, 1 << 20], np.int64))
    grid = np.array(ref.work_size, np.float32) / COVER_GRID
    cells = np.unique(np.floor(pts / grid).astype(np.int64) @ np.array([1, 1 << 20], np.int64))
    if len(cells) < MIN_CELLS:
        return None
    hull = cv2.convexHull(pts.astype(np.float32))
    if cv2.contourArea(hull) < MIN_HULL * ref.work_size[0] * ref.work_size[1]:
        return None
    return len(distinct), int(inl.sum()), len(qi), m.astype(np.float64)


def _to_original(
    m: NDArray[np.float64], query: RobustDescriptor, ref: RobustDescriptor, mirrored: bool
) -> tuple[float, float, float, float]:
    """(rotation_deg, scale, tx, ty) of the map from original reference pixels to original query pixels."""

    def affine(s: float, ox: float, oy: float) -> NDArray[np.float64]:  # original -> work
        return np.array([[s, 0, -s * ox], [0, s, -s * oy], [0, 0, 1]], np.float64)

    r_to_work = affine(ref.scale, ref.box[0], ref.box[1])
    q_to_work = affine(query.scale, query.box[0], query.box[1])
    full = np.vstack([m, [0, 0, 1]])
    if mirrored:  # m maps into the flipped query work image; flip back, and flip the reference instead
        fq = np.array([[-1, 0, query.work_size[0] - 1], [0, 1, 0], [0, 0, 1]], np.float64)
        fr = np.array([[-1, 0, ref.width - 1], [0, 1, 0], [0, 0, 1]], np.float64)
        t = np.linalg.inv(q_to_work) @ fq @ full @ r_to_work @ fr
    else:
        t = np.linalg.inv(q_to_work) @ full @ r_to_work
    scale = math.hypot(t[0, 0], t[1, 0])
    rot = math.degrees(math.atan2(t[1, 0], t[0, 0]))
    return rot, scale, float(t[0, 2]), float(t[1, 2])


def verify(
    query: RobustDescriptor, ref: RobustDescriptor, plain: bool = True, mirrored: bool = True
) -> RobustEvidence | None:
    """The best geometric evidence that ``query`` shows ``ref`` (plain or mirrored), or None.
    ``plain=False`` or ``mirrored=False`` skips that orientation."""
    best: tuple[int, int, int, NDArray[np.float64], bool] | None = None
    found = _verify_set(query.xy, query.angle, query.octave, query.desc, ref) if plain else None
    if found is not None:
        best = (*found, False)
    if mirrored and query.mirror_desc is not None and len(query):
        mangle = (180.0 - query.angle) % 360.0
        mir = _verify_set(
            query.mirrored_xy(), mangle.astype(np.float32), query.octave, query.mirror_desc, ref
        )
        if mir is not None and (best is None or mir[0] > best[0]):
            best = (*mir, True)
    if best is None:
        return None
    score, inliers, matches, m, mirrored = best
    rot, scale, tx, ty = _to_original(m, query, ref, mirrored)
    return RobustEvidence(score, inliers, matches, rot, scale, tx, ty, mirrored)


def aligned(query: RobustDescriptor, ref: RobustDescriptor) -> int:
    """How many reference corners the query has in the same place, untransformed: distinct reference
    locations (2 px cells) with a query keypoint within ``ALIGN_PX`` work pixels at the same relative
    position in the picture, at the pyramid level the pictures' sizes predict (+- 1.5), with an
    orientation within ``ANGLE_TOL`` and a descriptor within ``ALIGN_HAMMING`` bits. A lightly edited copy
    (recompressed, noisy, blurred, resized) keeps its corners where they were even when the ratio test
    finds no distinct match (stripes, checkerboards); two different pictures share a few by chance."""
    if not len(query) or not len(ref) or min(query.width, query.height, ref.width, ref.height) <= 0:
        return 0
    rel = (query.xy.astype(np.float64) / query.scale + np.array(query.box[:2])) / (query.width, query.height)
    qxy = (rel * (ref.width, ref.height) - np.array(ref.box[:2])) * ref.scale  # in reference work pixels
    rxy = ref.xy.astype(np.float64)
    dx = rxy[:, None, 0] - qxy[None, :, 0]
    dy = rxy[:, None, 1] - qxy[None, :, 1]
    ri, qi = np.nonzero(dx * dx + dy * dy <= ALIGN_PX * ALIGN_PX)
    if not len(ri):
        return 0
    expect = math.log(query.scale * query.width / (ref.scale * ref.width)) / _LOG_OCTAVE
    doct = query.octave[qi].astype(np.float64) - ref.octave[ri].astype(np.float64)
    dang = (query.angle[qi] - ref.angle[ri] + 180.0) % 360.0 - 180.0
    ok = (np.abs(doct - expect) <= 1.5) & (np.abs(dang) <= ANGLE_TOL)
    ri, qi = ri[ok], qi[ok]
    bits = np.bitwise_count(query.desc[qi] ^ ref.desc[ri]).sum(axis=1, dtype=np.int64)
    ri = ri[bits <= ALIGN_HAMMING]
    cells = np.floor(rxy[ri] / 2.0).astype(np.int64) @ np.array([1, 1 << 20], np.int64)
    return len(np.unique(cells))


class RobustMatcher:
    """Shortlist with a ``RobustIndex``, verify with ``verify``; see the module doc."""

    def __init__(
        self,
        index: RobustIndex,
        get_descriptor: Callable[[int], RobustDescriptor | None] | None = None,
        shortlist: int = SHORTLIST,
    ) -> None:
        self.index = index
        self.shortlist = shortlist
        self._own: dict[int, RobustDescriptor] = {}
        self._get = get_descriptor if get_descriptor is not None else self._own.get

    @classmethod
    def build(
        cls, items: Sequence[tuple[int, RobustDescriptor]], shortlist: int = SHORTLIST
    ) -> RobustMatcher:
        """A matcher that keeps ``items``' descriptors in memory."""
        matcher = cls(RobustIndex.build(items), shortlist=shortlist)
        matcher._own.update(items)
        return matcher

    def add(self, items: Iterable[tuple[int, RobustDescriptor]]) -> None:
        items = list(items)
        self.index.add(items)
        self._own.update(items)

    def __len__(self) -> int:
        return len(self.index)

    def descriptor(self, ref_id: int) -> RobustDescriptor | None:
        """A reference's descriptor (from the store when the matcher reads it there), or None."""
        return self._get(ref_id)

    def search(
        self, desc: RobustDescriptor, min_score: int | None = None, enlarged: RobustDescriptor | None = None
    ) -> list[RobustHit]:
        """Verified hits, best first. ``enlarged``: the query's enlarged descriptor (a small picture),
        searched too; each reference keeps its best score (the evidence says which descriptor gave it)."""
        threshold = MIN_SCORE if min_score is None else min_score
        best: dict[int, RobustHit] = {}
        for query, big in ((desc, False), (enlarged, True)):
            if query is None:
                continue
            for cand in self.index.candidates(query, self.shortlist):
                ref = self._get(cand.ref_id)
                if ref is None:
                    continue
                # verify the orientation the visual words point to; both when they hardly differ
                plain = cand.plain >= ORIENTATION_RATIO * cand.mirror
                mirrored = cand.mirror >= ORIENTATION_RATIO * cand.plain
                ev = verify(query, ref, plain=plain, mirrored=mirrored)
                if ev is None or ev.score < threshold:
                    continue
                if big:
                    ev = dataclasses.replace(ev, enlarged=True)
                seen = best.get(cand.ref_id)
                if seen is None or ev.score > seen.score:
                    best[cand.ref_id] = RobustHit(cand.ref_id, ev.score, ev.inliers, ev)
        return sorted(best.values(), key=lambda h: (-h.score, h.ref_id))
