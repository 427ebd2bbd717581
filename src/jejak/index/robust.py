"""The candidate index of the robust stage: a visual vocabulary and an inverted file with tf-idf votes.

* **Vocabulary.** ``BRANCH`` x ``BRANCH`` (128 x 128 = 16,384) binary words in a two-level tree, trained by
  ``benchmarks/train_vocabulary.py`` (k-majority on ORB descriptors of benign procedural scenes and
  scikit-image sample photos) and shipped as ``jejak/data/orb_vocabulary.npy`` (16,512 x 32 bytes,
  528 KB). A descriptor's word is its nearest leaf under its nearest top-level centre (Hamming,
  ``cv2.batchDistance`` with the descriptors grouped by top-level centre): 128 + 128 comparisons per
  descriptor, ~7 us each.
* **Inverted file.** One CSR table: ``offsets`` over the words and ``postings`` (int32 row numbers) sorted
  by word, one posting per distinct (word, reference): 4 bytes per reference feature, plus 12 bytes per
  reference (its id and tf-idf norm). ``build`` sorts once; ``add`` appends to a pending tail that the next
  query merges in with one stable sort (bulk adds are cheap; interleaving single adds and queries re-sorts).
* **Votes.** The query's distinct words (plain and mirrored descriptors together, so one lookup covers
  flipped copies) gather their postings; each shared word adds ``idf**2`` to the reference, and the sum
  is divided by the reference's norm (cosine of tf-idf vectors, binary term frequencies), once for the
  plain words and once for the mirrored ones. Words held by more than ``STOP_FRACTION`` of the
  references are skipped. The top ``k`` by the better of the two votes are returned with both, so the
  matcher verifies only the orientation the words point to.

Persistence: one ``.npz`` (``np.load(allow_pickle=False)``) with a JSON header naming the format, its
version and the vocabulary's SHA-256, so an index built with another vocabulary is refused.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import cv2
import numpy as np
from numpy.typing import NDArray

from jejak.errors import StoreError
from jejak.hashing.robust import RobustDescriptor
from jejak.index.storage import load_index, save_index

BRANCH = 128
"""Branching of the two-level vocabulary tree: BRANCH**2 words."""
WORDS = BRANCH * BRANCH
VOCAB_PATH = Path(__file__).resolve().parent.parent / "data" / "orb_vocabulary.npy"
STOP_FRACTION = 0.05
"""Words present in more than this fraction of the references carry no vote."""
FORMAT = "jejak.robust-index"
VERSION = 1


class Vocabulary:
    """The two-level binary vocabulary (see the module doc)."""

    def __init__(self, centres: NDArray[np.uint8]) -> None:
        if centres.dtype != np.uint8 or centres.shape != (BRANCH + WORDS, 32):
            raise ValueError(f"vocabulary must be uint8 of shape {(BRANCH + WORDS, 32)}, got {centres.shape}")
        self.sha256 = hashlib.sha256(centres.tobytes()).hexdigest()
        self._top = np.ascontiguousarray(centres[:BRANCH])  # (B, 32)
        self._leaves = np.ascontiguousarray(centres[BRANCH:]).reshape(BRANCH, BRANCH, 32)

    def words(self, desc: NDArray[np.uint8]) -> NDArray[np.int64]:
        """The word (0..WORDS-1) of each row of ``desc`` (n, 32): nearest top-level centre, then nearest
        leaf under it (``cv2.batchDistance``, Hamming; ties go to the lower index)."""
        out: NDArray[np.int64] = np.empty(len(desc), np.int64)
        if len(desc) == 0:
            return out
        d = np.ascontiguousarray(desc, dtype=np.uint8)
        _, nearest = cv2.batchDistance(d, self._top, -1, normType=cv2.NORM_HAMMING, K=1)
        first = nearest[:, 0].astype(np.int64)
        order = np.argsort(first, kind="stable")
        for group in np.split(order, np.flatnonzero(np.diff(first[order])) + 1):
            top = int(first[group[0]])
            _, leaf = cv2.batchDistance(d[group], self._leaves[top], -1, normType=cv2.NORM_HAMMING, K=1)
            out[group] = top * BRANCH + leaf[:, 0]
        return out


@cache
def default_vocabulary() -> Vocabulary:
    try:
        centres = np.load(VOCAB_PATH, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise StoreError(f"cannot read the robust vocabulary {VOCAB_PATH}: {exc}") from exc
    return Vocabulary(centres)


class Candidate(NamedTuple):
    """A shortlisted reference: its votes from the query's plain and mirrored words; ``vote`` is the
    larger, and says which orientation of the query is worth verifying."""

    ref_id: int
    vote: float
    plain: float
    mirror: float


class RobustIndex:
    """Shortlists reference ids for a query descriptor; see the module doc."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self.meta: dict[str, Any] = {}
        self._ids: NDArray[np.int64] = np.empty(0, np.int64)
        self._offsets: NDArray[np.int64] = np.zeros(WORDS + 1, np.int64)
        self._postings: NDArray[np.int32] = np.empty(0, np.int32)
        self._tail_ids: list[int] = []
        self._tail_words: list[NDArray[np.int64]] = []
        self._weights: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None  # idf, 1 / norm

    @classmethod
    def build(
        cls, items: Sequence[tuple[int, RobustDescriptor]], vocabulary: Vocabulary | None = None
    ) -> RobustIndex:
        idx = cls(vocabulary)
        idx.add(items)
        idx._merge()
        return idx

    def add(self, items: Iterable[tuple[int, RobustDescriptor]]) -> None:
        """Index more references (their ``desc`` only; mirrored descriptors of references are ignored)."""
        for ref_id, desc in items:
            self._tail_ids.append(int(ref_id))
            self._tail_words.append(np.unique(self.vocab.words(desc.desc)))
        self._weights = None

    def __len__(self) -> int:
        return len(self._ids) + len(self._tail_ids)

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes + self._offsets.nbytes + self._postings.nbytes + 4 * len(self._ids)

    def _merge(self) -> None:
        if not self._tail_ids:
            return
        n0 = len(self._ids)
        rows = np.repeat(
            np.arange(n0, n0 + len(self._tail_ids), dtype=np.int32), [len(w) for w in self._tail_words]
        )
        words = np.concatenate(self._tail_words) if self._tail_words else np.empty(0, np.int64)
        old_words = np.repeat(np.arange(WORDS, dtype=np.int64), np.diff(self._offsets))
        all_words = np.concatenate([old_words, words])
        all_rows = np.concatenate([self._postings, rows])
        order = np.argsort(all_words, kind="stable")  # rows stay ascending inside a word
        self._postings = all_rows[order]
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_words, minlength=WORDS))]).astype(
            np.int64
        )
        self._ids = np.concatenate([self._ids, np.array(self._tail_ids, np.int64)])
        self._tail_ids, self._tail_words = [], []
        self._weights = None

    def _idf_norm(self) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
        if self._weights is None:
            n = max(len(self._ids), 1)
            df = np.diff(self._offsets)
            # a word every reference holds weighs (almost) nothing, but not zero: with one reference
            # (a unit's list of a single picture) every shared word is such a word
            idf = np.maximum(np.log((n + 1) / (df + 1)), 1e-3).astype(np.float32)
            sq = np.bincount(self._postings, weights=np.repeat(idf.astype(np.float64) ** 2, df), minlength=n)
            inv = (1.0 / np.sqrt(np.maximum(sq, 1e-6))).astype(np.float32)
            self._weights = (idf, inv)
        return self._weights

    def _votes(
        self, words: NDArray[np.int64], idf: NDArray[np.float32], limit: float, n: int
    ) -> NDArray[np.float64] | None:
        """Per reference row: the sum of idf**2 over ``words`` it holds (stop words skipped), or None."""
        starts, ends = self._offsets[words], self._offsets[words + 1]
        keep = (ends > starts) & (ends - starts <= limit)
        if not keep.any():
            return None
        starts, ends, words = starts[keep], ends[keep], words[keep]
        rows = np.concatenate(
            [self._postings[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        )
        w2 = idf[words].astype(np.float64) ** 2
        out = np.bincount(rows, weights=np.repeat(w2, ends - starts), minlength=n)
        return out.astype(np.float64, copy=False)

    def candidates(self, desc: RobustDescriptor, k: int) -> list[Candidate]:
        """Up to ``k`` candidates, best vote first; references sharing no word are left out."""
        self._merge()
        n = len(self._ids)
        if n == 0 or k <= 0 or len(desc) == 0:
            return []
        idf, inv_norm = self._idf_norm()
        plain = np.unique(self.vocab.words(desc.desc))
        mirror = np.unique(self.vocab.words(desc.mirror_desc)) if desc.mirror_desc is not None else plain[:0]
        limit = max(STOP_FRACTION * n, 50)
        # three groups of words: in both orientations, plain only, mirrored only; one pass over postings
        both = np.intersect1d(plain, mirror, assume_unique=True)
        groups = (both, np.setdiff1d(plain, both, True), np.setdiff1d(mirror, both, True))
        got = [self._votes(g, idf, limit, n) for g in groups]
        if all(v is None for v in got):
            return []
        zero = np.zeros(n)
        vb, vp, vm = (zero if v is None else v for v in got)
        inv = inv_norm.astype(np.float64)
        vp = (vb + vp) * inv
        vm = (vb + vm) * inv
        votes = np.maximum(vp, vm)
        k = min(k, n)
        top = np.argpartition(-votes, k - 1)[:k] if k < n else np.arange(n)
        top = top[votes[top] > 0]
        top = top[np.lexsort((self._ids[top], -votes[top]))]
        return [Candidate(int(self._ids[i]), float(votes[i]), float(vp[i]), float(vm[i])) for i in top]

    # --- persistence -------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically to ``path`` (an ``.npz``; the name is used as given)."""
        self._merge()
        save_index(
            path,
            "robust",
            {"words": WORDS, "vocabulary": self.vocab.sha256},
            self.meta,
            {"ids": self._ids, "offsets": self._offsets, "postings": self._postings},
            format=FORMAT,
            version=VERSION,
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], vocabulary: Vocabulary | None = None) -> RobustIndex:
        """Read a saved index; ``StoreError`` unless it is well-formed and built with this vocabulary."""
        where = Path(path)
        idx = cls(vocabulary)
        header, meta, arrays = load_index(
            where,
            None,
            {"ids": ("i", 1), "offsets": ("i", 1), "postings": ("i", 1)},
            format=FORMAT,
            version=VERSION,
            noun="robust index",
        )
        if header.get("vocabulary") != idx.vocab.sha256 or header.get("words") != WORDS:
            raise StoreError(f"{where} was built with another vocabulary: rebuild it")
        ids, offsets, postings = arrays["ids"], arrays["offsets"], arrays["postings"]
        if (
            ids.ndim != 1
            or offsets.shape != (WORDS + 1,)
            or postings.ndim != 1
            or offsets[0] != 0
            or offsets[-1] != len(postings)
            or np.any(np.diff(offsets) < 0)
            or (len(postings) and (postings.min() < 0 or postings.max() >= len(ids)))
        ):
            raise StoreError(f"{where}: inconsistent arrays: corrupt robust index")
        idx._ids = ids.astype(np.int64)
        idx._offsets = offsets.astype(np.int64)
        idx._postings = postings.astype(np.int32)
        idx.meta = meta
        return idx
