"""Train the visual vocabulary of the robust index (``src/jejak/data/orb_vocabulary.npy``).

Reproducible and benign: the training pictures are procedural scenes (``jejak.testing.images``, all seven
styles, seeds from 10_000_000 up, so never the seeds tests and benchmarks use) and the scikit-image sample
photos that show no person, each also described after a few fixed edits (crop, rotation, scale) so the
words cover the appearance changes the matcher must survive. Nothing is downloaded.

The vocabulary is a two-level tree of binary centres (``BRANCH`` x ``BRANCH`` leaves), trained by
k-majority: assign every descriptor to its nearest centre by Hamming distance (``cv2.BFMatcher``), then
set each centre bit to the majority of its members' bits; empty clusters are re-seeded from random
descriptors. All randomness comes from ``numpy.random.default_rng(SEED)``; OpenCV is single-threaded here.

Run: ``.venv/bin/python benchmarks/train_vocabulary.py [--images N] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from jejak.hashing.robust import describe
from jejak.index.robust import BRANCH, VOCAB_PATH
from jejak.testing.images import STYLES, procedural_image

SEED = 20240604
SAMPLES = (
    "brick", "chelsea", "coffee", "coins", "color", "grass", "gravel", "hubble_deep_field", "logo", "moon",
    "motorcycle_left", "motorcycle_right", "page", "rocket", "text", "chessboard_RGB", "clock_motion",
    "retina", "cell", "ihc",
)  # fmt: skip
ITERATIONS = 8


def _sample_photos() -> list[Image.Image]:
    from skimage import data

    out = []
    for name in SAMPLES:
        loader = getattr(data, name, None)
        try:  # some samples are absent from some scikit-image versions, or need a download: skip them
            arr = np.asarray(loader()) if loader is not None else None
        except Exception:
            arr = None
        if arr is None:
            continue
        if arr.dtype != np.uint8:
            arr = (255 * (arr.astype(np.float64) / max(float(arr.max()), 1e-9))).astype(np.uint8)
        if arr.ndim == 3 and arr.shape[2] == 4:
            arr = arr[:, :, :3]
        out.append(Image.fromarray(arr).convert("RGB"))
    return out


def _edits(img: Image.Image, rng: np.random.Generator) -> list[Image.Image]:
    w, h = img.size
    c = rng.uniform(0.03, 0.1, size=4)
    crop = img.crop((int(w * c[0]), int(h * c[1]), int(w * (1 - c[2])), int(h * (1 - c[3]))))
    rot = img.rotate(float(rng.uniform(-12, 12)), resample=Image.Resampling.BILINEAR, expand=True)
    small = img.resize((max(16, w // 2), max(16, h // 2)), Image.Resampling.BILINEAR)
    return [img, crop, rot, small]


def _descriptors(n_images: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    found: list[NDArray[np.uint8]] = []
    pics = _sample_photos()
    for i in range(n_images):
        seed = 10_000_000 + i
        w, h = int(rng.integers(480, 900)), int(rng.integers(360, 800))
        pics.append(procedural_image(seed, w, h, STYLES[i % len(STYLES)]))
    for pic in pics:
        for edited in _edits(pic, rng):
            found.append(describe(edited).desc)
    return np.concatenate(found)


def _kmajority(x: NDArray[np.uint8], k: int, rng: np.random.Generator) -> NDArray[np.uint8]:
    """``k`` binary centres of the rows of ``x`` (n, 32)."""
    if len(x) <= k:
        reps = np.resize(np.arange(len(x)), k)
        return x[reps].copy()
    centres = x[rng.choice(len(x), k, replace=False)].copy()
    bf = cv2.BFMatcher(cv2.NORM_HAMMING)
    bits = np.unpackbits(x, axis=1)
    for _ in range(ITERATIONS):
        labels = np.array([m.trainIdx for m in bf.match(x, centres)], np.int64)
        order = np.argsort(labels, kind="stable")
        counts = np.bincount(labels, minlength=k)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        nonempty = counts > 0
        sums = np.add.reduceat(bits[order], starts[nonempty], axis=0, dtype=np.int32)
        centres[nonempty] = np.packbits((2 * sums > counts[nonempty, None]).astype(np.uint8), axis=1)
        empty = np.flatnonzero(~nonempty)
        if len(empty):
            centres[empty] = x[rng.choice(len(x), len(empty), replace=False)]
    return centres


def train(n_images: int) -> NDArray[np.uint8]:
    cv2.setNumThreads(1)
    rng = np.random.default_rng(SEED)
    t0 = time.perf_counter()
    x = _descriptors(n_images, rng)
    print(
        f"{len(x)} descriptors from {n_images} procedural pictures and the sample photos "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    top = _kmajority(x, BRANCH, rng)
    labels = np.array([m.trainIdx for m in cv2.BFMatcher(cv2.NORM_HAMMING).match(x, top)], np.int64)
    leaves = np.zeros((BRANCH, BRANCH, 32), np.uint8)
    for c in range(BRANCH):
        leaves[c] = _kmajority(x[labels == c], BRANCH, rng)
    print(f"trained in {time.perf_counter() - t0:.0f} s")
    return np.concatenate([top, leaves.reshape(-1, 32)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--images", type=int, default=1200, help="procedural training pictures")
    parser.add_argument("--out", type=Path, default=VOCAB_PATH)
    args = parser.parse_args()
    vocab = train(args.images)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, vocab, allow_pickle=False)
    print(f"wrote {args.out}: {vocab.shape}")


if __name__ == "__main__":
    main()
