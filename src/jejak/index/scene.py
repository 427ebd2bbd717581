"""The scene stage's global index: one aggregated vector per picture over its stored ORB descriptors.

Two photographs of one room share most of their surfaces but few *identical* corners (the viewpoint, the
light and the occluders change which corners ORB keeps), so counting shared visual words
(``jejak.index.robust``) shortlists views of one room poorly. An aggregate of *where in descriptor space*
a picture's features lie does better:

* **Vocabulary.** ``CLUSTERS`` (64) centres of ORB descriptor bits (0/1 as floats, k-means) and, per
  centre, the ``AXES`` (32) principal axes of its members' residuals with their variances (a local
  coordinate system, LCS), trained by ``benchmarks/train_scene_vocabulary.py`` on benign procedural rooms
  (``jejak.testing.scenes``) and shipped as ``jejak/data/scene_vocabulary.npy`` (float16, 64 x 34 x 256:
  1.1 MB).
* **Vector** (``SceneVocabulary.vector``): each descriptor goes to its nearest centre; the residuals
  (bits - centre) are summed per centre, rotated into the centre's axes and whitened (divided by the
  square root of each axis' variance plus a tenth of the largest), then signed square root (power
  normalisation), L2 per centre (intra-normalisation) and L2 overall: ``DIM`` = 64 x 32 = 2,048 values,
  kept as float16 (4 KB per picture). Computed from the descriptors jejak already stores, so it costs no
  decoding: ~3 ms per picture of 832 features (``describe_query`` itself: ~19 ms).
* **Index** (``SceneIndex``): ids and vectors; ``search`` ranks every picture by cosine similarity (one
  matrix-vector product in blocks of ``BLOCK`` rows, float32), best first, ties by id; ``search_brute``
  is its twin (one dot product per picture, float64) and gives the same ranking.

Measured by ``benchmarks/scene.py`` (see ``jejak.match.scene`` for the whole method and the figures).

Persistence: one ``.npz`` (``np.load(allow_pickle=False)``, ``jejak.index.storage``) with a JSON header
naming the format, its version and the vocabulary's SHA-256, so an index built with another vocabulary is
refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from jejak.errors import StoreError
from jejak.hashing.robust import RobustDescriptor
from jejak.index.storage import load_index, save_index

CLUSTERS = 64
"""Centres of the scene vocabulary."""
AXES = 32
"""Principal axes kept per centre."""
DIM = CLUSTERS * AXES
"""Length of a scene vector."""
BITS = 256
"""Bits of an ORB descriptor."""
WHITEN_FLOOR = 0.1
"""Whitening divides by sqrt(variance + WHITEN_FLOOR * the centre's largest variance)."""
BLOCK = 65536
"""Rows per block of the search's matrix-vector product."""
VOCAB_PATH = Path(__file__).resolve().parent.parent / "data" / "scene_vocabulary.npy"
FORMAT = "jejak.scene-index"
VERSION = 1

F32 = NDArray[np.float32]


class SceneVocabulary:
    """Centres and local axes (see the module doc); ``table`` is (CLUSTERS, 2 + AXES, 256): row 0 the
    centre, row 1 the axes' variances (first AXES entries), rows 2.. the axes."""

    def __init__(self, table: NDArray[Any]) -> None:
        if table.shape != (CLUSTERS, 2 + AXES, BITS) or table.dtype.kind != "f":
            raise ValueError(
                f"scene vocabulary must be float of shape {(CLUSTERS, 2 + AXES, BITS)}, got "
                f"{table.dtype} {table.shape}"
            )
        t = np.ascontiguousarray(table, dtype=np.float32)
        self.sha256 = hashlib.sha256(np.ascontiguousarray(table).tobytes()).hexdigest()
        self.centres: F32 = np.ascontiguousarray(t[:, 0])
        self._sq: F32 = (self.centres * self.centres).sum(axis=1)
        var = t[:, 1, :AXES]
        floor = WHITEN_FLOOR * var[:, :1]
        self._scale: F32 = np.asarray(1.0 / np.sqrt(np.maximum(var + floor, 1e-12)), np.float32)
        self.axes: F32 = np.ascontiguousarray(t[:, 2:])

    def assign(self, bits: F32) -> NDArray[np.intp]:
        """The nearest centre (Euclidean on 0/1 bits) of each row of ``bits`` (n, 256)."""
        return np.asarray((self._sq[None, :] - 2.0 * (bits @ self.centres.T)).argmin(axis=1), np.intp)

    def vector(self, desc: RobustDescriptor | NDArray[np.uint8]) -> F32:
        """The picture's scene vector (``DIM``, float32, unit length; all zeros without features)."""
        d = desc.desc if isinstance(desc, RobustDescriptor) else desc
        out: F32 = np.zeros(DIM, np.float32)
        if len(d) == 0:
            return out
        bits = np.unpackbits(np.ascontiguousarray(d, dtype=np.uint8), axis=1).astype(np.float32)
        near = self.assign(bits)
        sums = np.zeros((CLUSTERS, BITS), np.float32)
        np.add.at(sums, near, bits)
        counts = np.bincount(near, minlength=CLUSTERS).astype(np.float32)
        sums -= counts[:, None] * self.centres  # summed residuals
        v = np.einsum("kab,kb->ka", self.axes, sums) * self._scale  # rotated into the local axes, whitened
        v = np.sign(v) * np.sqrt(np.abs(v))
        norms = np.linalg.norm(v, axis=1, keepdims=True)
        v = np.where(norms > 0, v / np.maximum(norms, 1e-12), 0.0)
        flat = v.ravel()
        total = float(np.linalg.norm(flat))
        if total > 0:
            out[:] = flat / total
        return out


@cache
def default_vocabulary() -> SceneVocabulary:
    try:
        table = np.load(VOCAB_PATH, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the scene vocabulary {VOCAB_PATH}: {exc}") from exc
    return SceneVocabulary(table)


def scene_vector(desc: RobustDescriptor, vocabulary: SceneVocabulary | None = None) -> F32:
    """``desc``'s scene vector with the shipped vocabulary (see ``SceneVocabulary.vector``)."""
    return (vocabulary or default_vocabulary()).vector(desc)


class SceneIndex:
    """Scene vectors by picture id, ranked by cosine similarity; see the module doc."""

    def __init__(self, vocabulary: SceneVocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self.meta: dict[str, Any] = {}
        self._ids: NDArray[np.int64] = np.empty(0, np.int64)
        self._vecs: NDArray[np.float16] = np.empty((0, DIM), np.float16)
        self._tail_ids: list[int] = []
        self._tail_vecs: list[F32] = []

    @classmethod
    def build(
        cls, items: Sequence[tuple[int, RobustDescriptor]], vocabulary: SceneVocabulary | None = None
    ) -> SceneIndex:
        idx = cls(vocabulary)
        idx.add(items)
        return idx

    def add(self, items: Iterable[tuple[int, RobustDescriptor]]) -> None:
        """Index more pictures by their ORB descriptors (plain ones; mirrored descriptors are ignored)."""
        for ref_id, desc in items:
            self._tail_ids.append(int(ref_id))
            self._tail_vecs.append(self.vocab.vector(desc))

    def add_vectors(self, ids: Sequence[int], vectors: NDArray[np.floating[Any]]) -> None:
        """Index precomputed scene vectors ((n, DIM), from this vocabulary)."""
        vecs = np.asarray(vectors, np.float32)
        if vecs.ndim != 2 or vecs.shape[1] != DIM or len(vecs) != len(ids):
            raise ValueError(f"expected {len(ids)} vectors of {DIM} values, got {vecs.shape}")
        self._tail_ids.extend(int(i) for i in ids)
        self._tail_vecs.extend(vecs)

    def _merge(self) -> None:
        if self._tail_ids:
            self._ids = np.concatenate([self._ids, np.array(self._tail_ids, np.int64)])
            self._vecs = np.concatenate([self._vecs, np.asarray(self._tail_vecs, np.float16)])
            self._tail_ids, self._tail_vecs = [], []

    def __len__(self) -> int:
        return len(self._ids) + len(self._tail_ids)

    @property
    def nbytes(self) -> int:
        self._merge()
        return int(self._ids.nbytes + self._vecs.nbytes)

    def vector_of(self, ref_id: int) -> F32 | None:
        """The stored vector of ``ref_id`` (float32), or None."""
        self._merge()
        hit = np.flatnonzero(self._ids == ref_id)
        return self._vecs[hit[0]].astype(np.float32) if len(hit) else None

    def _query(self, query: RobustDescriptor | NDArray[np.floating[Any]]) -> F32:
        if isinstance(query, RobustDescriptor):
            return self.vocab.vector(query)
        q = np.asarray(query, np.float32).ravel()
        if q.shape != (DIM,):
            raise ValueError(f"a scene vector has {DIM} values, got {q.shape}")
        return q

    @staticmethod
    def _top(
        ids: NDArray[np.int64], sims: NDArray[np.float64], k: int, exclude: int | None
    ) -> list[tuple[int, float]]:
        if exclude is not None:
            keep = ids != exclude
            ids, sims = ids[keep], sims[keep]
        k = min(k, len(ids))
        if k <= 0:
            return []
        top = np.argpartition(-sims, k - 1)[:k] if k < len(ids) else np.arange(len(ids))
        top = top[np.lexsort((ids[top], -sims[top]))]
        return [(int(ids[i]), float(sims[i])) for i in top]

    def search(
        self, query: RobustDescriptor | NDArray[np.floating[Any]], k: int = 50, exclude: int | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` most similar pictures as (id, cosine similarity), best first, ties by id; ``query`` is
        a descriptor or a scene vector; ``exclude``: an id to skip (the query's own)."""
        self._merge()
        q = self._query(query)
        sims = np.empty(len(self._ids), np.float64)
        for start in range(0, len(self._ids), BLOCK):
            block = self._vecs[start : start + BLOCK].astype(np.float32)
            sims[start : start + len(block)] = block @ q
        # float32 products rounded to 1e-6: the twin, in float64, then ranks ties the same way
        return self._top(self._ids, np.round(sims, 6), k, exclude)

    def search_brute(
        self, query: RobustDescriptor | NDArray[np.floating[Any]], k: int = 50, exclude: int | None = None
    ) -> list[tuple[int, float]]:
        """``search``'s twin: one float64 dot product per picture, sorted in Python."""
        self._merge()
        q = self._query(query).astype(np.float64)
        scored = [
            (round(float(np.dot(self._vecs[i].astype(np.float64), q)), 6), int(self._ids[i]))
            for i in range(len(self._ids))
            if exclude is None or int(self._ids[i]) != exclude
        ]
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(ref, sim) for sim, ref in scored[:k]]

    # --- persistence -------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically to ``path`` (an ``.npz``; the name is used as given)."""
        self._merge()
        save_index(
            path,
            "scene",
            {"dim": DIM, "vocabulary": self.vocab.sha256},
            self.meta,
            {"ids": self._ids, "vectors": self._vecs},
            format=FORMAT,
            version=VERSION,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], vocabulary: SceneVocabulary | None = None) -> SceneIndex:
        """Read a saved index; ``StoreError`` unless it is well-formed and built with this vocabulary."""
        where = Path(path)
        idx = cls(vocabulary)
        header, meta, arrays = load_index(
            where,
            None,
            {"ids": ("i", 1), "vectors": ("f", 2)},
            format=FORMAT,
            version=VERSION,
            noun="scene index",
        )
        if header.get("vocabulary") != idx.vocab.sha256 or header.get("dim") != DIM:
            raise StoreError(f"{where} was built with another scene vocabulary: rebuild it")
        ids, vecs = arrays["ids"], arrays["vectors"]
        if vecs.shape != (len(ids), DIM) or not np.all(np.isfinite(vecs)):
            raise StoreError(f"{where}: inconsistent arrays: corrupt scene index")
        idx._ids = ids.astype(np.int64)
        idx._vecs = vecs.astype(np.float16)
        idx.meta = meta
        return idx
