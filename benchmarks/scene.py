"""Same scene (victim identification by room): room retrieval top-1/top-5 and false scene links.

Offline, deterministic and benign: the pictures are ``jejak.testing.scenes``' procedural rooms (walls with
wallpaper, floor and rug, bed or sofa with a patterned cover, window and curtains, shelf, picture, lamp)
photographed by a pinhole camera (viewpoint strength 0.2-1.0: yaw up to +-25, pitch +-10 degrees, 0.8 m
sideways, zoom), with occluders in front (10-35 % of the frame: boxes, balls, plants, blankets, and in half
of the views a flat pictogram silhouette), the movable things moved (rug, nightstand and lamp, curtains: up
to ``--moves`` m), light changes, noise and JPEG.

- **Rooms** (``--rooms``, 500): 40 % in hotel chains of four (``room(seed, chain=...)``: the same
  wallpaper print and the same bed or sofa cover in every room of the chain, their own layout, floor,
  rug, picture, shelf, curtains), 30 % same-style hard negatives of other rooms (``like``), 30 % plain.
- ``--views`` (3) views per room; every view is a query against all other pictures.

Methods, side by side on the same pictures (all from ``describe_query``'s descriptors, the form jejak
stores for every picture, except PDQ):

(a) PDQ: ranked by the nearest of the query's eight dihedral hashes to the other's plain hash; a link at
    distance <= 31;
(b) ``SceneMatcher``: the robust stage's visual-word index (``RobustIndex``), the first ``--shortlist``
    candidates verified (``verify_scene``), verified first by score, then the index's order;
(c) scene vectors alone (``jejak.index.scene.SceneIndex``: LCS-VLAD over the ORB descriptors), cosine;
(d) ``SceneRanker``: (c) with its first ``--rerank`` verified and the verified moved first by score.

**Top-1**: the best-ranked other picture is a view of the query's room; **top-5**: one of the first five
is. **False links**: accepted scene links (score >= ``SceneParams().min_score``) between different rooms,
per 10,000 impostor pairs in the collection (every query against every picture of another room) and per
10,000 impostor pairs the method verified; links between rooms of one chain are counted apart.

    .venv/bin/python benchmarks/scene.py [--rooms 500] [--views 3] [--rerank 30] [--shortlist 32]
        [--moves 0.3] [--seed 0] [--quick]

The default run (1,500 pictures) takes about ten minutes on one core; --quick (60 rooms) about one.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402

import benchkit  # noqa: E402
import cv2  # noqa: E402
import faiss  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from jejak.hashing.pdq import luma_of, pdq_dihedral_from_luma  # noqa: E402
from jejak.hashing.robust import RobustDescriptor, describe_query  # noqa: E402
from jejak.index.robust import RobustIndex  # noqa: E402
from jejak.index.scene import SceneIndex, default_vocabulary  # noqa: E402
from jejak.match.scene import SceneParams  # noqa: E402
from jejak.match.scene_search import SceneMatcher, SceneRanker  # noqa: E402
from jejak.testing import scenes  # noqa: E402

PDQ_THRESHOLD = 31
CHAIN = 4
QUICK_ROOMS = 60


@dataclass
class Data:
    room: NDArray[np.int64]  # room index per picture
    chain: NDArray[np.int64]  # chain id per picture, -1 outside chains
    silhouette: NDArray[np.bool_]
    descs: list[RobustDescriptor]
    pdq: NDArray[np.uint64]  # (N, 8, 4): dihedral variants, plain first
    seconds: dict[str, float] = field(default_factory=dict)


def plan(n: int, base: int) -> list[tuple[int, int | None, int | None]]:
    """(room seed, index of the room it is a hard negative of, chain) for ``n`` rooms: 40 % in chains of
    four, 30 % plain, 30 % hard negatives of the plain ones."""
    in_chains = (n * 2 // 5) // CHAIN * CHAIN
    plain = (n - in_chains + 1) // 2
    out: list[tuple[int, int | None, int | None]] = []
    for i in range(n):
        if i < in_chains:
            out.append((base + i, None, base + i // CHAIN))
        elif i < in_chains + plain:
            out.append((base + i, None, None))
        else:
            out.append((base + i, in_chains + (i - in_chains - plain) % plain, None))
    return out


def _words(hexes: Sequence[str]) -> NDArray[np.uint64]:
    return np.frombuffer(b"".join(bytes.fromhex(h) for h in hexes), dtype=np.uint64).reshape(len(hexes), 4)


def generate(args: argparse.Namespace) -> Data:
    cv2.setNumThreads(1)
    secs = {"room": 0.0, "render": 0.0, "describe": 0.0, "pdq": 0.0, "vector": 0.0}
    rooms, chains, sil, descs, hashes = [], [], [], [], []
    t0 = time.perf_counter()
    layout = plan(args.rooms, args.seed * 1_000_000)
    vocab = default_vocabulary()
    for i, (seed, like, chain) in enumerate(layout):
        t = time.perf_counter()
        rm = scenes.room(seed, like=scenes.room(layout[like][0]) if like is not None else None, chain=chain)
        secs["room"] += time.perf_counter() - t
        rng = np.random.default_rng([seed, 0xBE4C])
        for v in range(args.views):
            person = bool(rng.random() < 0.5)
            spec = scenes.view_spec(
                seed * 10 + v, float(rng.uniform(0.2, 1.0)), silhouette=person, moves=args.moves
            )
            t = time.perf_counter()
            img = scenes.render(rm, spec)
            secs["render"] += time.perf_counter() - t
            t = time.perf_counter()
            desc = describe_query(img)
            secs["describe"] += time.perf_counter() - t
            t = time.perf_counter()
            vocab.vector(desc)
            secs["vector"] += time.perf_counter() - t
            t = time.perf_counter()
            variants, _ = pdq_dihedral_from_luma(luma_of(img))
            secs["pdq"] += time.perf_counter() - t
            rooms.append(i)
            chains.append(-1 if chain is None else chain)
            sil.append(person)
            descs.append(desc)
            hashes.append(_words(list(variants.values())))
        if (i + 1) % max(1, args.rooms // 10) == 0:
            print(f"  rooms: {i + 1}/{args.rooms}, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return Data(
        np.array(rooms, np.int64), np.array(chains, np.int64), np.array(sil), descs, np.stack(hashes), secs
    )


@dataclass
class Result:
    """Per query: the first five ranked ids, the accepted links, how many impostors were verified."""

    title: str
    top5: list[list[int]] = field(default_factory=list)
    links: list[set[int]] = field(default_factory=list)
    verified_impostors: int = 0
    seconds: float = 0.0
    has_links: bool = True


def run(d: Data, title: str, fn: Callable[[int], tuple[list[int], set[int], list[int]]]) -> Result:
    """``fn(q)`` -> (ranked ids, accepted ids, verified ids)."""
    res = Result(title)
    t0 = time.perf_counter()
    n = len(d.descs)
    for q in range(n):
        ranked, links, verified = fn(q)
        res.top5.append(ranked[:5])
        res.links.append(links)
        res.verified_impostors += sum(1 for o in verified if d.room[o] != d.room[q])
        if (q + 1) % max(1, n // 5) == 0:
            print(f"  {title}: {q + 1}/{n}, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    res.seconds = time.perf_counter() - t0
    return res


def pdq_method(d: Data) -> Callable[[int], tuple[list[int], set[int], list[int]]]:
    refs = d.pdq[:, 0, :]
    ids = np.arange(len(d.descs))

    def fn(q: int) -> tuple[list[int], set[int], list[int]]:
        dist = np.full(len(refs), 256, np.int64)
        for v in range(8):
            dv = np.bitwise_count(d.pdq[q, v][None, :] ^ refs).sum(axis=1, dtype=np.int64)
            np.minimum(dist, dv, out=dist)
        dist[q] = 1 << 20
        order = np.lexsort((ids, dist))[:5]
        links = {int(o) for o in np.flatnonzero(dist <= PDQ_THRESHOLD)}
        return [int(o) for o in order], links, []

    return fn


def _pct(x: float) -> str:
    return f"{100 * x:.1f}"


def report(d: Data, results: list[Result], args: argparse.Namespace) -> str:
    n = len(d.descs)
    views = np.bincount(d.room)
    impostor_pairs = int(sum(n - views[r] for r in d.room))
    genuine_pairs = int(sum(views[r] - 1 for r in d.room))
    chain_q = d.chain >= 0
    out: list[str] = []
    add = out.append
    add(
        f"Pictures: {n:,} ({args.views} views of each of {args.rooms} rooms: "
        f"{int(chain_q.sum() // args.views)} in chains of {CHAIN}, the rest half plain, half same-style hard "
        f"negatives); {int(d.silhouette.sum())} views with a silhouette; movable things moved up to "
        f"{args.moves} m. Every picture is a query: "
        f"{genuine_pairs:,} genuine pairs, **{impostor_pairs:,} impostor pairs**."
    )
    add("")
    add(
        "| method | top-1 % | top-5 % | top-1 % chain rooms | top-1 % silhouette views "
        "| links: pairs found % | false links (same chain) | per 10k impostor pairs "
        "| per 10k verified impostor pairs "
        "| ms per query |"
    )
    add("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        hit1 = np.array([bool(t) and d.room[t[0]] == d.room[q] for q, t in enumerate(r.top5)])
        hit5 = np.array([any(d.room[o] == d.room[q] for o in t) for q, t in enumerate(r.top5)])
        if r.has_links:
            found = sum(sum(1 for o in links if d.room[o] == d.room[q]) for q, links in enumerate(r.links))
            false = [(q, o) for q, links in enumerate(r.links) for o in links if d.room[o] != d.room[q]]
            same_chain = sum(1 for q, o in false if d.chain[q] >= 0 and d.chain[q] == d.chain[o])
            per_all = 1e4 * len(false) / impostor_pairs
            per_ver = 1e4 * len(false) / r.verified_impostors if r.verified_impostors else float("nan")
            links_s = (
                f"{_pct(found / genuine_pairs)} | {len(false):,} ({same_chain:,}) | {per_all:.2f} | "
                + (f"{per_ver:.1f}" if r.verified_impostors else "-")
            )
        else:
            links_s = "- | - | - | -"
        add(
            f"| {r.title} | {_pct(float(hit1.mean()))} | {_pct(float(hit5.mean()))} | "
            f"{_pct(float(hit1[chain_q].mean())) if chain_q.any() else '-'} | "
            f"{_pct(float(hit1[d.silhouette].mean())) if d.silhouette.any() else '-'} | {links_s} | "
            f"{1000 * r.seconds / n:.1f} |"
        )
    add("")
    add("Floors: top-1 >= 80 %, top-5 >= 95 %, false links <= 1 per 10,000 pairs considered.")
    add("")
    add("Cost per picture (one core):")
    add("")
    add(
        f"- drawing (the benchmark's own): room textures {1000 * d.seconds['room'] / args.rooms:.1f} ms per "
        f"room, rendering {1000 * d.seconds['render'] / n:.1f} ms per 640 x 480 view"
    )
    add(f"- describe_query (ORB, stored for every picture): {1000 * d.seconds['describe'] / n:.1f} ms")
    add(
        f"- scene vector from the stored descriptors (2,048 float16 values, 4 KB): "
        f"{1000 * d.seconds['vector'] / n:.1f} ms"
    )
    add(f"- PDQ with dihedral variants: {1000 * d.seconds['pdq'] / n:.1f} ms")
    add(f"- index builds: {', '.join(f'{k} {v:.1f} s' for k, v in d.seconds.items() if k.endswith('index'))}")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    p.add_argument("--rooms", type=int, default=None, help=f"rooms (default 500; --quick {QUICK_ROOMS})")
    p.add_argument("--views", type=int, default=3, help="views per room")
    p.add_argument("--rerank", type=int, default=30, help="top of the global ranking (d) verifies")
    p.add_argument("--shortlist", type=int, default=32, help="candidates (b) verifies")
    p.add_argument("--moves", type=float, default=0.3, help="metres movable things move between views")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quick", action="store_true", help="a small run (smoke test)")
    args = p.parse_args(argv)
    if args.rooms is None:
        args.rooms = QUICK_ROOMS if args.quick else 500
    if args.rooms < 2 or args.views < 2:
        p.error("need at least two rooms with two views")
    faiss.omp_set_num_threads(1)
    watch = benchkit.Stopwatch()
    print("drawing and describing pictures ...", file=sys.stderr)
    d = generate(args)
    items = list(enumerate(d.descs))
    get = dict(items).get
    t = time.perf_counter()
    robust = RobustIndex.build(items)
    d.seconds["visual-word index"] = time.perf_counter() - t
    t = time.perf_counter()
    scene_index = SceneIndex.build(items)
    len(scene_index.search(d.descs[0], 1))  # merge
    d.seconds["scene index"] = time.perf_counter() - t
    params = SceneParams()
    matcher = SceneMatcher(robust, get_descriptor=get, params=params, shortlist=args.shortlist)
    ranker = SceneRanker(scene_index, get_descriptor=get, params=params, rerank=args.rerank)
    n = len(d.descs)
    results = [run(d, "(a) PDQ <= 31", pdq_method(d))]

    def words(q: int) -> tuple[list[int], set[int], list[int]]:
        cands = [c.ref_id for c in robust.candidates(d.descs[q], args.shortlist + 1) if c.ref_id != q]
        hits = matcher.search(d.descs[q], k=n, exclude=q)
        links = {ref for ref, ev in hits if ev.score >= params.min_score}
        first = [ref for ref, ev in hits if ev.score >= params.min_score]
        ranked = first + [c for c in cands if c not in links]
        return ranked, links, cands[: args.shortlist]

    results.append(run(d, f"(b) visual words + verify {args.shortlist}", words))

    def vectors(q: int) -> tuple[list[int], set[int], list[int]]:
        return [ref for ref, _ in scene_index.search(d.descs[q], 5, exclude=q)], set(), []

    plain = run(d, "(c) scene vectors", vectors)
    plain.has_links = False
    results.append(plain)

    def ranked(q: int) -> tuple[list[int], set[int], list[int]]:
        hits = ranker.rank(d.descs[q], k=args.rerank, exclude=q)
        links = {h.ref_id for h in hits if h.accepted}
        return [h.ref_id for h in hits], links, [h.ref_id for h in hits[: args.rerank]]

    results.append(run(d, f"(d) scene vectors + verify {args.rerank}", ranked))
    print(f"## Same scene ({' '.join(sys.argv[1:] if argv is None else argv) or 'defaults'})")
    print()
    print(f"Machine: {benchkit.machine(f'numpy {np.__version__}, opencv {cv2.__version__}')}  ")
    print(f"Took {watch.text()}")
    print()
    print(report(d, results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
