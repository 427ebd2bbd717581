"""Same scene: two different photographs of one room, on the robust stage's stored ORB descriptors.

Victim identification links pictures taken in the same room (wallpaper, bed cover, curtains, furniture)
although the camera moved, the light changed and things stand in front. Unlike an edited copy
(``jejak.match.robust``: one similarity transform maps the whole reference into the query), two views of
a room are related by one *homography per planar surface* (a wall, the bed cover, the floor), and large
parts of either picture have no counterpart. The matcher works on the descriptors jejak already computes
and stores for every ingested picture (``jejak.hashing.robust.describe_query``: 768 + 64 ORB features of
the equalised value channel, mirrored descriptors included), so it costs nothing at ingest.

``verify_scene(query, reference, params)``:

1. **Putative matches.** Each query descriptor's two nearest reference descriptors (FAISS binary flat,
   Hamming); kept when the best is within ``max_hamming`` bits and below ``ratio`` x the second (a looser
   ratio than the copy matcher's: perspective and light make true matches less distinct, and the
   homography checks below carry the weight). One query feature per reference feature, the closest.
2. **Planes.** Up to ``max_planes`` rounds of ``cv2.findHomography`` (``cv2.USAC_MAGSAC``, reprojection
   threshold ``ransac_px`` work pixels) on the matches not yet explained; each round's inliers leave the
   pool whether or not its plane is accepted. A plane is accepted when its homography is plausible for
   two photographs of one surface: no mirror (positive Jacobian determinant at the inliers' centre),
   local scale within [``min_scale``, ``max_scale``], anisotropy (ratio of the Jacobian's singular
   values) at most ``max_anisotropy``, and the projective denominator positive over the inliers'
   bounding box and varying at most ``max_perspective``-fold across it (a surface seen at a grazing
   angle, or a degenerate fit through a line of points, fails this). Its inliers must also be
   *consistent*: the ORB orientation difference agrees with the homography's local rotation (within
   ``angle_tol`` degrees) and the pyramid levels with its local scale (within ``octave_tol`` levels),
   and at least ``min_plane_inliers`` distinct reference locations (2 px cells) remain.
3. **Spread.** Over all accepted planes, the consistent inliers must cover at least ``min_cells`` cells of
   an 8 x 8 grid and a convex hull of at least ``min_hull`` of the picture, in *both* pictures: a shared
   poster, logo or box is not the same room.
4. **Score** in [0, 1]: ``1 - exp(-n / score_scale)`` with n the distinct consistent inliers over all
   accepted planes (``score_scale`` = 20: 15 inliers give 0.53, 30 give 0.78, 60 give 0.95). The pair is
   accepted when n >= ``min_inliers`` (equivalently score >= ``SceneParams.min_score``), so the score can
   be used directly as the weight of a link.

When the plain descriptors give nothing or little (fewer than 2 x ``min_inliers``) and the query carries
mirrored descriptors, the mirrored ones are tried too and the better wins (a flipped photograph of the
room; a mirror-symmetric wallpaper can also match a flipped photograph in the plain orientation).

``SceneRanker`` (``jejak.match.scene_search``) ranks pictures by room: the global index of
``jejak.index.scene`` (LCS-VLAD: 64 centres
of ORB descriptor bits, 32 whitened local axes each, power and intra normalisation; 2,048 float16 values,
4 KB per picture, ~3 ms per picture from the stored descriptors) ranks every picture by cosine similarity,
its first ``rerank`` (``RERANK`` = 30) are verified with ``verify_scene`` (plain orientation only: views of
a room are not mirrored, and it halves the cost of the impostors), and the accepted ones move first by
score; the rest keep the global order. ``SceneRanker.rank`` gives that ranking with the evidence, and
``SceneRanker.search`` the accepted scenes in ``SceneMatcher.search``'s form. Measured by
``benchmarks/scene.py`` (defaults: 500 rooms x 3 views, 40 % of the rooms in hotel chains of four sharing
wallpaper and cover, 30 % same-style hard negatives, a pictogram silhouette in half the views, movable
things moved 0.3 m; every view a query against the 1,499 others): top-1 77.5 %, top-5 82.4 % (global
vectors alone 47.2 / 70.2 %, ``SceneMatcher`` 50.7 / 57.0 %, PDQ 0.8 / 1.5 %), 103 ms per query; 270 false
links over 2,245,500 impostor pairs (1.2 per 10,000; 63 per 10,000 verified pairs), 262 of them between
rooms of one chain (the same cover and wallpaper print verify as a plane); 8 outside chains.

``SceneMatcher`` shortlists with the robust stage's ``RobustIndex`` (visual words, tf-idf votes over the
same descriptors) and verifies the top ``shortlist`` candidates with ``verify_scene``, in the orientation
the words point to.

Measured by ``benchmarks/scene.py`` (one core; 150 rooms x 4 views as queries against those and 1,100 views
of 550 other rooms, half of them same-style hard negatives: 1,017,600 impostor comparisons; procedural rooms,
yaw +-25 and pitch +-10 degrees, 10-35 % occlusion, light changes, JPEG): at the defaults **0 false
matches**, 25.3 % of genuine pairs found and for 49.3 % of query views at least one other view of the room
(small / medium / large viewpoint change: 35 / 27 / 15 %), against 13.7 % (31.0 %) for the copy matcher
(``jejak.match.robust``) and 0 for PDQ <= 31; 107 ms per query (shortlist 32). The limit is the
shortlist, not the verification: only 40 % of genuine pairs are among the first 32 visual-word
candidates at 1,700 pictures (57 % at 128, 80 % at 512), and verification accepts ~63 % of those it is
given; on 176 pictures (``--quick``), where the shortlist holds 92 % of them, recall is 61 %. The stored
ORB descriptors verify well once a pair is found; a better shortlist for views of one room (an aggregate
that does not depend on the same corners being kept) is the next step, not another descriptor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from numpy.typing import NDArray

from jejak.hashing.robust import RobustDescriptor

faiss.omp_set_num_threads(1)  # verify_scene's small searches: OpenMP threads only contend (10x slower)

_LOG_OCTAVE = math.log(1.2)
_GRID = 8
_EMPTY = np.empty(0, np.intp)


@dataclass(frozen=True)
class SceneParams:
    """Thresholds of ``verify_scene`` (work-image pixels: the longer side of a work image is 512)."""

    ratio: float = 0.9
    """Lowe's ratio on Hamming distances (best < ratio * second best)."""
    max_hamming: int = 64
    """A putative match's best distance, bits of 256."""
    ransac_px: float = 6.0
    """Reprojection threshold of each homography, work pixels."""
    max_planes: int = 3
    """Rounds of homography fitting (walls, bed, floor)."""
    min_plane_inliers: int = 6
    """Distinct consistent inliers for a plane to count."""
    min_inliers: int = 8
    """Distinct consistent inliers over all planes for the pair to be accepted."""
    angle_tol: float = 45.0
    """Degrees an inlier's ORB orientation difference may deviate from the local rotation."""
    octave_tol: float = 2.5
    """Pyramid levels an inlier's level difference may deviate from the local scale's."""
    min_scale: float = 0.25
    max_scale: float = 4.0
    """Accepted local scale (query pixels per reference pixel, work images) at the inliers' centre."""
    max_anisotropy: float = 5.0
    """Largest ratio of the local Jacobian's singular values (a surface's foreshortening)."""
    max_perspective: float = 5.0
    """Largest ratio of the projective denominator over the inliers' bounding box."""
    min_cells: int = 4
    """Cells of an 8 x 8 grid the inliers must cover, in both pictures."""
    min_hull: float = 0.01
    """Fraction of each picture the inliers' convex hull must cover."""
    repeat_hamming: int = 48
    """An inlier counts only if neither picture holds another feature (more than ``REPEAT_PX`` away) within
    this many bits of its descriptor: a repeating motif (a lattice wallpaper, a printed check) matches
    any copy of the motif, in any room with that wallpaper."""
    score_scale: float = 12.0
    """Score = 1 - exp(-inliers / score_scale)."""
    mirrored: bool = True
    """Also try the query's mirrored descriptors when the plain ones give fewer than 2 x min_inliers."""

    @property
    def min_score(self) -> float:
        """The score of ``min_inliers``: the acceptance threshold on the score."""
        return score_of(self.min_inliers, self.score_scale)


def score_of(inliers: int, scale: float = 12.0) -> float:
    """The score of ``inliers`` distinct consistent inliers: 1 - exp(-inliers / scale), in [0, 1)."""
    return 1.0 - math.exp(-max(inliers, 0) / scale)


@dataclass(frozen=True)
class PlaneEvidence:
    """One verified surface: its homography and how it deforms the reference."""

    inliers: int
    """Distinct consistent inliers of this plane."""
    homography: tuple[float, ...]
    """3 x 3, row-major, original reference pixels -> original query pixels (after mirroring the
    reference horizontally when the evidence says ``mirrored``)."""
    scale: float
    """Local scale at the inliers' centre (query work pixels per reference work pixel)."""
    rotation_deg: float
    anisotropy: float
    perspective: float
    """Ratio of the projective denominator over the inliers' bounding box (1: affine)."""


@dataclass(frozen=True)
class SceneEvidence:
    """Why two pictures show the same scene."""

    score: float
    """In [0, 1]: 1 - exp(-inliers / score_scale)."""
    inliers: int
    """Distinct consistent inliers over all accepted planes."""
    matches: int
    """Putative descriptor matches."""
    planes: tuple[PlaneEvidence, ...]
    spread: float
    """The smaller of the two pictures' inlier hull fractions."""
    cells: int
    """The smaller of the two pictures' covered 8 x 8 grid cells."""
    mirrored: bool


# --- verification ----------------------------------------------------------------------------------------


def _putative(
    qdesc: NDArray[np.uint8], rdesc: NDArray[np.uint8], p: SceneParams
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    if len(qdesc) < 2 or len(rdesc) < 2:
        return _EMPTY, _EMPTY
    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(rdesc, dtype=np.uint8))
    dist, nidx = index.search(np.ascontiguousarray(qdesc, dtype=np.uint8), 2)
    ok = (dist[:, 0] <= p.max_hamming) & (dist[:, 0] < p.ratio * dist[:, 1]) & (nidx[:, 0] >= 0)
    q = np.flatnonzero(ok)
    if not len(q):
        return _EMPTY, _EMPTY
    q = q[np.argsort(dist[q, 0], kind="stable")]  # closest first: unique keeps the best per reference
    r = nidx[q, 0].astype(np.intp)
    _, first = np.unique(r, return_index=True)
    return q[first].astype(np.intp), r[first]


def _key(pts: NDArray[np.float32], cell: NDArray[np.float32] | float) -> NDArray[np.int64]:
    c = np.floor(pts / cell).astype(np.int64)
    return np.asarray(c[:, 0] + (c[:, 1] << 20), np.int64)


@dataclass(frozen=True)
class _Plane:
    good: NDArray[np.intp]
    """Indices (into the putative matches) of the consistent inliers."""
    h: NDArray[np.float64]
    distinct: int
    scale: float
    rotation: float
    anisotropy: float
    perspective: float


def _jacobian(h: NDArray[np.float64], pts: NDArray[np.float64]) -> NDArray[np.float64]:
    """(n, 2, 2) derivative of the homography at each point."""
    xh = np.column_stack([pts, np.ones(len(pts))]) @ h.T
    w = xh[:, 2]
    dst = xh[:, :2] / w[:, None]
    jac = (h[None, :2, :2] - dst[:, :, None] * h[None, 2:3, :2]) / w[:, None, None]
    return np.asarray(jac, np.float64)


def _plane(
    h: NDArray[np.float64],
    inl: NDArray[np.intp],
    src: NDArray[np.float32],
    dang_raw: NDArray[np.float32],
    doct: NDArray[np.float32],
    p: SceneParams,
) -> _Plane | None:
    """The plane of homography ``h`` with RANSAC inliers ``inl``, or None when implausible."""
    if abs(h[2, 2]) < 1e-9:
        return None
    h = h / h[2, 2]
    pts = src[inl].astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    box = np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]])
    w = box @ h[2, :2] + h[2, 2]
    if np.any(w <= 1e-6):
        return None
    perspective = float(w.max() / w.min())
    if perspective > p.max_perspective:
        return None
    centre = pts.mean(axis=0, keepdims=True)
    jc = _jacobian(h, centre)[0]
    det = float(np.linalg.det(jc))
    if det <= 0:
        return None
    sv = np.linalg.svd(jc, compute_uv=False)
    scale = math.sqrt(det)
    anisotropy = float(sv[0] / max(sv[1], 1e-12))
    if not p.min_scale <= scale <= p.max_scale or anisotropy > p.max_anisotropy:
        return None
    # per inlier: local rotation and scale of the homography against ORB's orientation and level
    jac = _jacobian(h, pts)
    rot = np.degrees(np.arctan2(jac[:, 1, 0] - jac[:, 0, 1], jac[:, 0, 0] + jac[:, 1, 1]))
    loc_det = np.maximum(jac[:, 0, 0] * jac[:, 1, 1] - jac[:, 0, 1] * jac[:, 1, 0], 1e-12)
    expect = np.log(np.sqrt(loc_det)) / _LOG_OCTAVE
    dang = (dang_raw[inl] - rot + 180.0) % 360.0 - 180.0
    ok = (np.abs(dang) <= p.angle_tol) & (np.abs(doct[inl] - expect) <= p.octave_tol)
    good = inl[ok]
    distinct = len(np.unique(_key(src[good], 2.0)))
    if distinct < p.min_plane_inliers:
        return None
    rotation = math.degrees(math.atan2(jc[1, 0] - jc[0, 1], jc[0, 0] + jc[1, 1]))
    return _Plane(good, h, distinct, scale, rotation, anisotropy, perspective)


REPEAT_PX = 12.0
"""Features this close (work pixels) to each other are the same corner described twice, not a repeat."""


def _distinct_from_rest(
    desc: NDArray[np.uint8], xy: NDArray[np.float32], idx: NDArray[np.intp], bits: int
) -> NDArray[np.bool_]:
    """For each feature ``idx``: is every other feature of the picture (beyond ``REPEAT_PX``) more than
    ``bits`` away from its descriptor?"""
    if not len(idx):
        return np.zeros(0, bool)
    words = np.ascontiguousarray(desc, dtype=np.uint8).view(np.uint64)  # (n, 4)
    dist = np.bitwise_count(words[idx][:, None, :] ^ words[None, :, :]).sum(axis=2, dtype=np.int64)
    near = np.linalg.norm(xy[idx][:, None, :] - xy[None, :, :], axis=2) <= REPEAT_PX
    dist = np.where(near, 1 << 20, dist)
    return np.asarray(dist.min(axis=1) > bits)


def _spread(pts: NDArray[np.float32], size: tuple[int, int]) -> tuple[float, int]:
    """(convex hull fraction, covered cells of the 8 x 8 grid) of ``pts`` in a picture of ``size``."""
    w, h = size
    cells = len(np.unique(_key(pts, np.array([w / _GRID, h / _GRID], np.float32))))
    if len(pts) < 3:
        return 0.0, cells
    hull = cv2.convexHull(pts.astype(np.float32))
    return float(cv2.contourArea(hull)) / max(w * h, 1), cells


def _verify_set(
    qxy: NDArray[np.float32],
    qangle: NDArray[np.float32],
    qoct: NDArray[np.uint8],
    qdesc: NDArray[np.uint8],
    qsize: tuple[int, int],
    ref: RobustDescriptor,
    p: SceneParams,
) -> tuple[int, int, list[_Plane], float, int] | None:
    """(inliers, matches, planes, spread, cells) in work coordinates, or None."""
    qi, ri = _putative(qdesc, ref.desc, p)
    if len(qi) < max(p.min_plane_inliers, 4):
        return None
    src = ref.xy[ri].astype(np.float32)
    dst = qxy[qi].astype(np.float32)
    dang = (qangle[qi] - ref.angle[ri]).astype(np.float32)
    doct = qoct[qi].astype(np.float32) - ref.octave[ri].astype(np.float32)
    pool = np.arange(len(qi), dtype=np.intp)
    planes: list[_Plane] = []
    for _ in range(p.max_planes):
        if len(pool) < max(p.min_plane_inliers, 4):
            break
        h, mask = cv2.findHomography(
            src[pool], dst[pool], cv2.USAC_MAGSAC, p.ransac_px, maxIters=2000, confidence=0.995
        )
        if h is None or mask is None:
            break
        inl_mask = mask.ravel().astype(bool)
        inl = pool[inl_mask]
        if len(inl) < p.min_plane_inliers:
            break
        plane = _plane(np.asarray(h, np.float64), inl, src, dang, doct, p)
        if plane is not None:
            planes.append(plane)
        pool = pool[~inl_mask]
    if not planes:
        return None
    good = np.unique(np.concatenate([pl.good for pl in planes]))
    if p.repeat_hamming > 0:
        keep = _distinct_from_rest(ref.desc, ref.xy, ri[good], p.repeat_hamming)
        keep &= _distinct_from_rest(qdesc, qxy, qi[good], p.repeat_hamming)
        good = good[keep]
    n = len(np.unique(_key(src[good], 2.0)))
    if n < p.min_inliers:
        return None
    r_hull, r_cells = _spread(src[good], ref.work_size)
    q_hull, q_cells = _spread(dst[good], qsize)
    spread, cells = min(r_hull, q_hull), min(r_cells, q_cells)
    if spread < p.min_hull or cells < p.min_cells:
        return None
    return n, len(qi), planes, spread, cells


def _to_work(d: RobustDescriptor) -> NDArray[np.float64]:
    s = d.scale
    return np.array([[s, 0, -s * d.box[0]], [0, s, -s * d.box[1]], [0, 0, 1]], np.float64)


def _evidence(
    found: tuple[int, int, list[_Plane], float, int],
    query: RobustDescriptor,
    ref: RobustDescriptor,
    mirrored: bool,
    p: SceneParams,
) -> SceneEvidence:
    n, matches, planes, spread, cells = found
    q_inv = np.linalg.inv(_to_work(query))
    r_to = _to_work(ref)
    flip = np.array([[-1, 0, query.work_size[0] - 1], [0, 1, 0], [0, 0, 1]], np.float64)
    out = []
    for pl in planes:
        full = q_inv @ (flip @ pl.h if mirrored else pl.h) @ r_to
        full = full / full[2, 2]
        out.append(
            PlaneEvidence(
                pl.distinct,
                tuple(float(v) for v in full.ravel()),
                pl.scale,
                pl.rotation,
                pl.anisotropy,
                pl.perspective,
            )
        )
    return SceneEvidence(score_of(n, p.score_scale), n, matches, tuple(out), spread, cells, mirrored)


def verify_scene(
    query: RobustDescriptor,
    reference: RobustDescriptor,
    params: SceneParams | None = None,
    plain: bool = True,
    mirrored: bool | None = None,
) -> SceneEvidence | None:
    """Evidence that ``query`` and ``reference`` show the same scene, or None (see the module doc).
    ``plain=False`` skips the plain descriptors; ``mirrored`` (default ``params.mirrored``) allows the
    query's mirrored descriptors when the plain ones found nothing."""
    p = params or SceneParams()
    if len(query) < p.min_plane_inliers or len(reference) < p.min_plane_inliers:
        return None
    best = None
    if plain:
        best = _verify_set(query.xy, query.angle, query.octave, query.desc, query.work_size, reference, p)
        if best is not None and best[0] >= 2 * p.min_inliers:
            return _evidence(best, query, reference, False, p)
    use_mirror = p.mirrored if mirrored is None else mirrored
    if use_mirror and query.mirror_desc is not None:
        mangle = ((180.0 - query.angle) % 360.0).astype(np.float32)
        mir = _verify_set(
            query.mirrored_xy(), mangle, query.octave, query.mirror_desc, query.work_size, reference, p
        )
        if mir is not None and (best is None or mir[0] > best[0]):
            return _evidence(mir, query, reference, True, p)
    return None if best is None else _evidence(best, query, reference, False, p)
