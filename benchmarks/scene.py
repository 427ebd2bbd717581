"""Same scene (victim identification by room): recall of other views of a room at measured false-match rates.

Offline, deterministic and benign: the pictures are ``jejak.testing.scenes``' procedural rooms (walls with
wallpaper, floor and rug, bed or sofa with a patterned cover, window and curtains, shelf, picture, lamp)
photographed by a pinhole camera (yaw +-25, pitch +-10 degrees, sideways moves, zoom), with occluders in
front (10-35 % of the frame: boxes, balls, plants, blankets), light changes, noise and JPEG.

- **Query views**: ``--rooms`` rooms x ``--views`` views (strength drawn from 0.2-1.0 per view).
- **Distractors**: ``--distractor-rooms`` other rooms x ``--distractor-views`` views; every other one is
  a hard negative (``room(seed, like=a query room)``: same style and palette of wallpaper, cover and
  floor, another draw).
- For each query view, every other picture (query views and distractors) is a comparison: the other views
  of its room are genuine pairs, the rest impostors. Q x (N - 1 - (views - 1)) impostor comparisons, so
  a false-match rate (FMR) of 1e-6 is measured when there are at least 10^6 of them.

Methods, side by side on the same pictures (all descriptors are ``describe_query``'s, the form jejak stores
for every ingested picture):

(a) jejak's PDQ (``pdq_dihedral_from_luma``): the nearest of the query's eight dihedral hashes to the other
    picture's plain hash, distance <= 31 (lower distance = stronger);
(b) the robust stage's copy matcher, ``RobustMatcher`` (visual-word shortlist of 16, ``verify``:
    similarity transform), score >= ``MIN_SCORE``;
(c) the scene matcher, ``SceneMatcher`` (the same visual-word index, shortlist of ``--shortlist``,
    ``verify_scene``: homographies per plane), accepted at ``SceneParams().min_inliers``.

Recall counts genuine pairs (query view, other view of its room) found; "any" counts query views for which
at least one other view of the room was found. Thresholds at a target FMR are chosen on the measured
impostor scores (the largest number of false matches not above target x comparisons). Pairs a method never
scores (not shortlisted, not verified) count as not matched.

    .venv/bin/python benchmarks/scene.py [--rooms 150] [--views 4] [--distractor-rooms 550]
        [--distractor-views 2] [--shortlist 32] [--seed 0] [--quick]

The default run (600 query views, 1,100 distractor views, ~1.02e6 impostor comparisons) takes about four
minutes on one core; --quick (24 rooms, 40 distractor rooms) about twenty seconds.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field, replace  # noqa: E402

import benchkit  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from jejak.hashing.pdq import luma_of, pdq_dihedral_from_luma  # noqa: E402
from jejak.hashing.robust import RobustDescriptor, describe_query  # noqa: E402
from jejak.index.robust import RobustIndex  # noqa: E402
from jejak.match import robust as copy_match  # noqa: E402
from jejak.match.scene import SceneMatcher, SceneParams  # noqa: E402
from jejak.testing import scenes  # noqa: E402

PDQ_THRESHOLD = 31
TARGETS = (1e-4, 1e-6)
CHANGE_BINS = (
    (0.0, 15.0, "small (<15 deg)"),
    (15.0, 30.0, "medium (15-30 deg)"),
    (30.0, 1e9, "large (>=30 deg)"),
)
OCCLUSION_BINS = ((0.0, 0.2, "10-20 %"), (0.2, 0.28, "20-28 %"), (0.28, 1.0, "28-35 %"))
QUICK = {"rooms": 24, "distractor_rooms": 40}


@dataclass
class Picture:
    room: int  # index of its room; query rooms are 0..rooms-1
    spec: scenes.ViewSpec
    query: bool


@dataclass
class Data:
    pics: list[Picture]
    rooms: list[scenes.Room]
    descs: list[RobustDescriptor]
    pdq: NDArray[np.uint64]  # (N, 8, 4): dihedral variants, plain first
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def queries(self) -> list[int]:
        return [i for i, p in enumerate(self.pics) if p.query]


def _words(hexes: Sequence[str]) -> NDArray[np.uint64]:
    return np.frombuffer(b"".join(bytes.fromhex(h) for h in hexes), dtype=np.uint64).reshape(len(hexes), 4)


def generate(args: argparse.Namespace) -> Data:
    cv2.setNumThreads(1)
    pics: list[Picture] = []
    rooms: list[scenes.Room] = []  # without their textures (only the geometry is needed later)
    descs: list[RobustDescriptor] = []
    hashes: list[NDArray[np.uint64]] = []
    secs = {"room": 0.0, "render": 0.0, "describe": 0.0, "pdq": 0.0}
    base = args.seed * 1_000_000
    total = args.rooms * args.views + args.distractor_rooms * args.distractor_views
    t0 = time.perf_counter()
    for r in range(args.rooms + args.distractor_rooms):
        is_query = r < args.rooms
        t = time.perf_counter()
        if is_query:
            rm = scenes.room(base + r)
        else:
            j = r - args.rooms
            like = scenes.room(base + j % args.rooms) if j % 2 == 0 else None  # a same-style hard negative
            rm = scenes.room(base + 500_000 + j, like=like)
        secs["room"] += time.perf_counter() - t
        rooms.append(replace(rm, planes=()))
        rng = np.random.default_rng([rm.seed, 0xBE4C])
        for v in range(args.views if is_query else args.distractor_views):
            spec = scenes.view_spec(rm.seed * 10 + v, float(rng.uniform(0.2, 1.0)))
            pics.append(Picture(r, spec, is_query))
            t = time.perf_counter()
            img = scenes.render(rm, spec)
            secs["render"] += time.perf_counter() - t
            t = time.perf_counter()
            descs.append(describe_query(img))
            secs["describe"] += time.perf_counter() - t
            t = time.perf_counter()
            variants, _ = pdq_dihedral_from_luma(luma_of(img))
            secs["pdq"] += time.perf_counter() - t
            hashes.append(_words(list(variants.values())))
            if len(pics) % max(1, total // 10) == 0:
                print(f"  pictures: {len(pics)}/{total}, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    pdq = np.stack(hashes)
    return Data(pics, rooms, descs, pdq, secs)


@dataclass
class Scores:
    """Per method: genuine pair scores (query, other) and every impostor score (higher = stronger; pairs
    never scored are absent), and search seconds over all queries."""

    title: str
    default: float
    genuine: dict[tuple[int, int], float]
    impostor: NDArray[np.float64]
    seconds: float
    fmt: Callable[[float], str]


def _truth(d: Data) -> tuple[dict[int, list[int]], int]:
    by_room: dict[int, list[int]] = {}
    for i, p in enumerate(d.pics):
        by_room.setdefault(p.room, []).append(i)
    qs = d.queries
    impostors = sum(len(d.pics) - len(by_room[d.pics[q].room]) for q in qs)
    return by_room, impostors


def pdq_scores(d: Data) -> Scores:
    """Score = -distance (so higher is stronger), every pair scored."""
    qs = d.queries
    t = time.perf_counter()
    refs = d.pdq[:, 0, :]
    genuine: dict[tuple[int, int], float] = {}
    imp: list[NDArray[np.float64]] = []
    for q in qs:
        dist = np.full(len(d.pics), 256, np.int64)
        for v in range(8):
            dv = np.zeros(len(d.pics), np.int64)
            for w in range(4):
                dv += np.bitwise_count(d.pdq[q, v, w] ^ refs[:, w]).astype(np.int64)
            np.minimum(dist, dv, out=dist)
        same = np.array([p.room == d.pics[q].room for p in d.pics])
        for o in np.flatnonzero(same):
            if o != q:
                genuine[(q, int(o))] = -float(dist[o])
        imp.append(-dist[~same].astype(np.float64))
    secs = time.perf_counter() - t
    return Scores(
        "(a) PDQ <= 31",
        -PDQ_THRESHOLD,
        genuine,
        np.concatenate(imp),
        secs,
        lambda s: f"distance <= {math.floor(-s)}",
    )


def search_scores(
    d: Data,
    title: str,
    default: float,
    search: Callable[[int], list[tuple[int, float]]],
    fmt: Callable[[float], str],
) -> Scores:
    genuine: dict[tuple[int, int], float] = {}
    imp: list[float] = []
    t0 = time.perf_counter()
    qs = d.queries
    for n, q in enumerate(qs, 1):
        for ref, score in search(q):
            if ref == q:
                continue
            if d.pics[ref].room == d.pics[q].room:
                genuine[(q, ref)] = max(score, genuine.get((q, ref), -1e18))
            else:
                imp.append(score)
        if n % max(1, len(qs) // 5) == 0:
            print(f"  {title}: {n}/{len(qs)}, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return Scores(title, default, genuine, np.array(imp, np.float64), time.perf_counter() - t0, fmt)


def threshold_at(s: Scores, impostors: int, target: float) -> float:
    """The lowest threshold whose false matches are at most floor(target * impostors)."""
    allowed = int(np.floor(target * impostors))
    vals = np.sort(s.impostor)[::-1]
    if len(vals) <= allowed:  # every scored pair may match: the lowest score any pair got
        scored = np.concatenate([s.impostor, np.fromiter(s.genuine.values(), np.float64)])
        return float(scored.min()) if len(scored) else np.inf
    return float(np.nextafter(vals[allowed], np.inf))  # strictly above the (allowed + 1)-th strongest


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def report(d: Data, methods: list[Scores], impostors: int, extra: dict[str, str]) -> str:
    by_room, _ = _truth(d)
    qs = d.queries
    pairs = [(q, o) for q in qs for o in by_room[d.pics[q].room] if o != q]
    change = np.array(
        [scenes.viewpoint_change(d.pics[q].spec, d.pics[o].spec, d.rooms[d.pics[q].room]) for q, o in pairs]
    )
    occl = np.array([max(d.pics[q].spec.occlusion, d.pics[o].spec.occlusion) for q, o in pairs])
    out: list[str] = []
    add = out.append
    nd = sum(1 for p in d.pics if not p.query)
    add(
        f"Pictures: {len(d.pics):,} ({len(qs):,} query views of {len({d.pics[q].room for q in qs})} rooms, "
        f"{nd:,} distractor views of {len(d.rooms) - len({d.pics[q].room for q in qs})} other rooms, half "
        f"of those rooms same-style hard negatives); genuine pairs: {len(pairs):,}; **impostor comparisons: "
        f"{impostors:,}** (FMR 1e-4 allows {int(1e-4 * impostors):,} false matches, 1e-6 allows "
        f"{int(1e-6 * impostors):,})."
    )
    add("")
    for k, v in extra.items():
        add(f"{k}: {v}  ")
    add("")
    cols = [("default", None)] + [(f"FMR {t:g}", t) for t in TARGETS]
    add("| method | operating point | threshold | false matches (FMR) | recall pairs % | recall any % |")
    add("|---|---|---|---:|---:|---:|")
    found_at: dict[tuple[str, str], NDArray[np.bool_]] = {}
    for m in methods:
        for name, target in cols:
            thr = m.default if target is None else threshold_at(m, impostors, target)
            if target is not None and not np.isfinite(thr):
                thr = -np.inf
            f = np.array([m.genuine.get(pq, -np.inf) >= thr for pq in pairs])
            found_at[(m.title, name)] = f
            false = int((m.impostor >= thr).sum())
            anyq = np.mean(
                [
                    any(m.genuine.get((q, o), -np.inf) >= thr for o in by_room[d.pics[q].room] if o != q)
                    for q in qs
                ]
            )
            thr_s = m.fmt(thr) if np.isfinite(thr) else "any scored"
            add(
                f"| {m.title} | {name} | {thr_s} | {false:,} ({false / impostors:.2g}) "
                f"| {_pct(float(f.mean()))} | {_pct(float(anyq))} |"
            )
    add("")
    add(
        "Recall of genuine pairs (%) by viewpoint change (rotation between the cameras + parallax at the "
        "back wall + 30 deg per zoom doubling) and by the larger occlusion of the two views:"
    )
    add("")
    heads = [f"{m.title.split(' ')[0]} {name}" for m in methods for name, _ in cols]
    add("| pairs | n | " + " | ".join(heads) + " |")
    add("|---|---:|" + "---:|" * len(heads))
    groups: list[tuple[str, NDArray[np.bool_]]] = [("all", np.ones(len(pairs), bool))]
    groups += [(f"view {label}", (change >= lo) & (change < hi)) for lo, hi, label in CHANGE_BINS]
    groups += [(f"occlusion {label}", (occl >= lo) & (occl < hi)) for lo, hi, label in OCCLUSION_BINS]
    for label, sel in groups:
        vals = [
            _pct(float(found_at[(m.title, name)][sel].mean())) if sel.any() else "-"
            for m in methods
            for name, _ in cols
        ]
        add(f"| {label} | {int(sel.sum()):,} | " + " | ".join(vals) + " |")
    add("")
    nq = len(qs)
    add("Cost per query view (one core; the descriptor is computed once at ingest and stored):")
    add("")
    add(
        f"- drawing (the benchmark's own): room textures {1000 * d.seconds['room'] / len(d.rooms):.1f} ms "
        f"per room, rendering {1000 * d.seconds['render'] / len(d.pics):.1f} ms per 640 x 480 view"
    )
    add(f"- PDQ with dihedral variants: {1000 * d.seconds['pdq'] / len(d.pics):.1f} ms per picture")
    add(
        f"- robust descriptor (describe_query): {1000 * d.seconds['describe'] / len(d.pics):.1f} ms "
        "per picture"
    )
    add(f"- visual-word index build over {len(d.pics):,} pictures: {1000 * d.seconds['index']:.0f} ms")
    for m in methods:
        add(f"- {m.title}: search {1000 * m.seconds / nq:.1f} ms per query against {len(d.pics):,} pictures")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    p.add_argument("--rooms", type=int, default=None, help="query rooms (default 150; --quick 24)")
    p.add_argument("--views", type=int, default=4, help="views per query room")
    p.add_argument("--distractor-rooms", type=int, default=None, help="other rooms (default 550; --quick 40)")
    p.add_argument("--distractor-views", type=int, default=2, help="views per distractor room")
    p.add_argument("--shortlist", type=int, default=32, help="candidates the scene matcher verifies")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    args = p.parse_args(argv)
    if args.rooms is None:
        args.rooms = QUICK["rooms"] if args.quick else 150
    if args.distractor_rooms is None:
        args.distractor_rooms = QUICK["distractor_rooms"] if args.quick else 550
    if args.rooms < 1 or args.views < 2:
        p.error("need at least one room with two views")
    watch = benchkit.Stopwatch()
    print("drawing and describing pictures ...", file=sys.stderr)
    d = generate(args)
    by_room, impostors = _truth(d)
    items = list(enumerate(d.descs))
    t = time.perf_counter()
    index = RobustIndex.build(items)
    d.seconds["index"] = time.perf_counter() - t
    copy_matcher = copy_match.RobustMatcher(index, get_descriptor=dict(items).get)
    params = SceneParams()
    # score every verified candidate down to a single plane, so thresholds below the default can be chosen
    loose = replace(params, min_inliers=params.min_plane_inliers)
    scene_matcher = SceneMatcher(
        index, get_descriptor=dict(items).get, params=loose, shortlist=args.shortlist
    )
    methods = [pdq_scores(d)]

    def copy_search(q: int) -> list[tuple[int, float]]:
        return [(h.ref_id, float(h.score)) for h in copy_matcher.search(d.descs[q], min_score=-(10**9))]

    def scene_search(q: int) -> list[tuple[int, float]]:
        return [(ref, float(ev.inliers)) for ref, ev in scene_matcher.search(d.descs[q], k=10**6, exclude=q)]

    methods.append(
        search_scores(
            d,
            "(b) copy matcher",
            float(copy_match.MIN_SCORE),
            copy_search,
            lambda s: f"score >= {math.ceil(s)}",
        )
    )
    methods.append(
        search_scores(
            d,
            "(c) scene matcher",
            float(params.min_inliers),
            scene_search,
            lambda s: f"inliers >= {math.ceil(s)}",
        )
    )
    depths = sorted({args.shortlist, 128, 512})
    shortlisted = dict.fromkeys(depths, 0)
    pairs = 0
    for q in d.queries:
        ranked = [c.ref_id for c in index.candidates(d.descs[q], depths[-1] + 1) if c.ref_id != q]
        mates = [o for o in by_room[d.pics[q].room] if o != q]
        for k in depths:
            top = set(ranked[:k])
            shortlisted[k] += sum(o in top for o in mates)
        pairs += len(mates)
    extra = {
        "Scene matcher": f"SceneParams() defaults, shortlist {args.shortlist}; score = 1 - exp(-inliers / "
        f"{params.score_scale:g}), accepted at inliers >= {params.min_inliers} "
        f"(score >= {params.min_score:.3f})",
        "Shortlist recall": "genuine pairs among a query's first k visual-word candidates (RobustIndex): "
        + ", ".join(f"k = {k}: {_pct(shortlisted[k] / max(pairs, 1))} %" for k in depths)
        + f" (k = {args.shortlist} is the ceiling of (c)'s recall)",
    }
    print(f"## Same scene ({' '.join(sys.argv[1:] if argv is None else argv) or 'defaults'})")
    print()
    print(f"Machine: {benchkit.machine(f'numpy {np.__version__}, opencv {cv2.__version__}')}  ")
    print(f"Took {watch.text()}")
    print()
    print(report(d, methods, impostors, extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
