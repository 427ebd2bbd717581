"""Train the scene vocabulary of ``jejak.index.scene`` (``src/jejak/data/scene_vocabulary.npy``).

Reproducible and benign: the training pictures are ``jejak.testing.scenes``' procedural rooms (seeds from
30_000_000 up, never the seeds tests and benchmarks use), a third of them in hotel chains of four, a third
same-style hard negatives, photographed three times each with the benchmark's conditions (viewpoint
strength 0.2-1.0, occluders, a pictogram silhouette in half of the views, movable things moved 0.3 m).
Every picture is described by ``describe_query`` (the ORB descriptors jejak stores).

The vocabulary: ``CLUSTERS`` k-means centres of the descriptors' bits (as 0/1 floats, Lloyd iterations
from a seeded random draw), then per centre the principal axes of its members' residuals (a local
coordinate system: ``AXES`` axes and their variances). Saved as one float16 array (CLUSTERS, 2 + AXES,
256): row 0 the centre, row 1 the variances (first AXES entries), rows 2.. the axes. All randomness comes
from ``numpy.random.default_rng(SEED)``; OpenCV runs single-threaded.

Run: ``.venv/bin/python benchmarks/train_scene_vocabulary.py [--rooms 240] [--out PATH]`` (about 1.5 min).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray

from jejak.hashing.robust import describe_query
from jejak.index.scene import AXES, CLUSTERS, VOCAB_PATH
from jejak.testing import scenes

SEED = 20240817
BASE = 30_000_000
SAMPLE = 200_000
ITERATIONS = 10


def _bits(desc: NDArray[np.uint8]) -> NDArray[np.float32]:
    return np.unpackbits(desc, axis=1).astype(np.float32)


def descriptors(n_rooms: int) -> NDArray[np.uint8]:
    found: list[NDArray[np.uint8]] = []
    third = n_rooms // 3 // 4 * 4
    t0 = time.perf_counter()
    for i in range(n_rooms):
        seed = BASE + i
        if i < third:
            rm = scenes.room(seed, chain=BASE + i // 4)
        elif i < 2 * third:
            rm = scenes.room(seed, like=scenes.room(BASE + i - third))
        else:
            rm = scenes.room(seed)
        rng = np.random.default_rng([seed, 0x7EA1])
        for v in range(3):
            spec = scenes.view_spec(
                seed * 10 + v, float(rng.uniform(0.2, 1.0)), silhouette=bool(rng.random() < 0.5), moves=0.3
            )
            found.append(describe_query(scenes.render(rm, spec)).desc)
        if (i + 1) % 40 == 0:
            print(f"  rooms {i + 1}/{n_rooms}, {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return np.concatenate(found)


def kmeans(x: NDArray[np.float32], k: int, rng: np.random.Generator) -> NDArray[np.float32]:
    centres = x[rng.choice(len(x), k, replace=False)].copy()
    for _ in range(ITERATIONS):
        nearest = ((centres * centres).sum(1)[None] - 2 * x @ centres.T).argmin(1)
        for j in range(k):
            members = x[nearest == j]
            centres[j] = members.mean(0) if len(members) else x[rng.integers(len(x))]
    return centres


def local_axes(
    x: NDArray[np.float32], centres: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    nearest = ((centres * centres).sum(1)[None] - 2 * x @ centres.T).argmin(1)
    axes, variances = [], []
    for j in range(len(centres)):
        r = x[nearest == j] - centres[j]
        cov = r.T @ r / max(len(r), 1)
        w, v = np.linalg.eigh(cov.astype(np.float64))
        top = np.argsort(w)[::-1][:AXES]
        axes.append(v[:, top].T)
        variances.append(np.maximum(w[top], 0))
    return np.asarray(axes, np.float32), np.asarray(variances, np.float32)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    p.add_argument("--rooms", type=int, default=240)
    p.add_argument("--out", type=Path, default=VOCAB_PATH)
    args = p.parse_args(argv)
    cv2.setNumThreads(1)
    rng = np.random.default_rng(SEED)
    desc = descriptors(args.rooms)
    x = _bits(desc[rng.choice(len(desc), min(SAMPLE, len(desc)), replace=False)])
    print(f"  {len(desc):,} descriptors, training on {len(x):,}", file=sys.stderr)
    centres = kmeans(x, CLUSTERS, rng)
    axes, variances = local_axes(x, centres)
    out = np.zeros((CLUSTERS, 2 + AXES, 256), np.float32)
    out[:, 0] = centres
    out[:, 1, :AXES] = variances
    out[:, 2:] = axes
    np.save(args.out, out.astype(np.float16), allow_pickle=False)
    print(f"wrote {args.out} ({os.path.getsize(args.out):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
