"""The candidate index of the robust stage: a visual vocabulary and an inverted file with tf-idf votes.

* **Vocabulary.** ``BRANCH`` x ``BRANCH`` (128 x 128 = 16,384) binary words in a two-level tree, trained by
  ``benchmarks/train_vocabulary.py`` (k-majority on ORB descriptors of benign procedural scenes and
  scikit-image sample photos) and shipped as ``jejak/data/orb_vocabulary.npy`` (16,512 x 32 bytes,
  528 KB). A descriptor's word is its nearest leaf under its nearest top-level centre (Hamming,
  ``cv2.batchDistance`` with the descriptors grouped by top-level centre): 128 + 128 comparisons per
  descriptor, ~7 us each.
* **Inverted file.** One CSR table: ``offsets`` over the words and ``postings`` (int32 row numbers) sorted
  by word, one posting per distinct (word, reference), with ``geo`` (one byte each, see the re-ranking): 5
  bytes per reference feature, plus 12 bytes per reference (its id and tf-idf norm). ``build`` sorts once;
  ``add`` appends to a pending tail that the next query merges in with one stable sort (bulk adds are
  cheap; interleaving single adds and queries re-sorts).
* **Votes.** The query's distinct words (plain and mirrored descriptors together, so one lookup covers
  flipped copies) gather their postings; each shared word adds ``idf**2`` to the reference, and the sum
  is divided by the reference's norm (cosine of tf-idf vectors, binary term frequencies), once for the
  plain words and once for the mirrored ones. Words held by more than ``STOP_FRACTION`` of the
  references are skipped.
* **Geometric re-ranking** (weak geometric consistency). Each posting also keeps one byte of its reference
  feature's geometry: orientation in ``ANGLE_BINS`` bins and pyramid level (``OCTAVES``), of the first
  feature holding the word. The ``RERANK`` (200) references with the best vote are re-scored per
  orientation: every (query feature, posting) pair of a shared word adds its ``idf**2`` (shared among the
  query features holding the word) to a histogram of orientation difference x level difference, and the
  score is the heaviest 2 x 2 block of bins, divided by the norm. A copy's matches agree on one rotation and
  scale; a scene that merely shares words does not. On 200 bases of the robustness benchmark against its
  5,500 references, the true base was in the top 16 for 89.5 -> 96.5 % of off-centre 10 % crops, 94 -> 98 %
  of social uploads, 92 -> 98 % of rotate+crop 10 degrees. The postings that vote are already gathered, so
  this costs a bool gather over them (~5 ms per query at 100,000 references) and a small histogram.
  Re-ranking 200 rather than 100 (measured on all 500 bases, 14 edits, 7,000 queries: 6,503 rather than
  6,472 true bases in the top 16; blurred copies r4 86.0 -> 87.6 %) costs ~1 ms more per query at 100,000
  references; 300 and 400 gave no more.
  The top ``k`` by the better of the two re-ranked scores are returned with both, so the matcher verifies
  only the orientation the words point to.

Persistence: one ``.npz`` (``np.load(allow_pickle=False)``) with a JSON header naming the format, its
version and the vocabulary's SHA-256, so an index built with another vocabulary is refused. Version 2 added
``geo``: a version-1 file is refused (``StoreError``), so it is rebuilt from the stored descriptors.
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
VERSION = 2
RERANK = 200
"""The best this many references by tf-idf vote are re-ranked by geometric consistency (module doc)."""
ANGLE_BINS = 16
"""Orientation bins of the geometric re-ranking (22.5 degrees each)."""
OCTAVES = 16
"""Pyramid levels told apart by the geometric re-ranking (octaves above are counted as the last)."""


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


def _pack(angle: NDArray[np.float32], octave: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """One byte per feature: its orientation bin (high 4 bits) and pyramid level (low 4 bits)."""
    a = (np.floor(angle.astype(np.float64) * (ANGLE_BINS / 360.0)).astype(np.int64)) % ANGLE_BINS
    o = np.minimum(octave.astype(np.int64), OCTAVES - 1)
    return (a * OCTAVES + o).astype(np.uint8)


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


class _Gathered(NamedTuple):
    """The postings of some query words: ``rows`` is the concatenation of their lists."""

    words: NDArray[np.int64]
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]
    rows: NDArray[np.int32]


class RobustIndex:
    """Shortlists reference ids for a query descriptor; see the module doc."""

    def __init__(self, vocabulary: Vocabulary | None = None) -> None:
        self.vocab = vocabulary or default_vocabulary()
        self.meta: dict[str, Any] = {}
        self._ids: NDArray[np.int64] = np.empty(0, np.int64)
        self._offsets: NDArray[np.int64] = np.zeros(WORDS + 1, np.int64)
        self._postings: NDArray[np.int32] = np.empty(0, np.int32)
        self._geo: NDArray[np.uint8] = np.empty(0, np.uint8)
        self._tail_ids: list[int] = []
        self._tail_words: list[NDArray[np.int64]] = []
        self._tail_geo: list[NDArray[np.uint8]] = []
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
            words, first = np.unique(self.vocab.words(desc.desc), return_index=True)
            self._tail_ids.append(int(ref_id))
            self._tail_words.append(words)
            self._tail_geo.append(_pack(desc.angle[first], desc.octave[first]))
        self._weights = None

    def __len__(self) -> int:
        return len(self._ids) + len(self._tail_ids)

    @property
    def nbytes(self) -> int:
        return (
            self._ids.nbytes
            + self._offsets.nbytes
            + self._postings.nbytes
            + self._geo.nbytes
            + 4 * len(self._ids)
        )

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
        self._geo = np.concatenate([self._geo, *self._tail_geo])[order]
        self._offsets = np.concatenate([[0], np.cumsum(np.bincount(all_words, minlength=WORDS))]).astype(
            np.int64
        )
        self._ids = np.concatenate([self._ids, np.array(self._tail_ids, np.int64)])
        self._tail_ids, self._tail_words, self._tail_geo = [], [], []
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

    def _gather(self, words: NDArray[np.int64], limit: float) -> _Gathered | None:
        """The postings of ``words`` (stop words and words no reference holds skipped), or None."""
        starts, ends = self._offsets[words], self._offsets[words + 1]
        keep = (ends > starts) & (ends - starts <= limit)
        if not keep.any():
            return None
        starts, ends, words = starts[keep], ends[keep], words[keep]
        rows = np.concatenate(
            [self._postings[a:b] for a, b in zip(starts.tolist(), ends.tolist(), strict=True)]
        )
        return _Gathered(words, starts, ends - starts, rows)

    def candidates(self, desc: RobustDescriptor, k: int) -> list[Candidate]:
        """Up to ``k`` candidates, best first; references sharing no word are left out."""
        self._merge()
        n = len(self._ids)
        if n == 0 or k <= 0 or len(desc) == 0:
            return []
        idf, inv_norm = self._idf_norm()
        pw = self.vocab.words(desc.desc)
        mw = self.vocab.words(desc.mirror_desc) if desc.mirror_desc is not None else pw[:0]
        plain, mirror = np.unique(pw), np.unique(mw)
        limit = max(STOP_FRACTION * n, 50)
        # three groups of words: in both orientations, plain only, mirrored only; one pass over postings
        both = np.intersect1d(plain, mirror, assume_unique=True)
        groups = [
            self._gather(g, limit)
            for g in (both, np.setdiff1d(plain, both, True), np.setdiff1d(mirror, both, True))
        ]
        if all(g is None for g in groups):
            return []
        vb, vp, vm = (
            np.zeros(n)
            if g is None
            else np.bincount(
                g.rows, weights=np.repeat(idf[g.words].astype(np.float64) ** 2, g.lengths), minlength=n
            )
            for g in groups
        )
        inv = inv_norm.astype(np.float64)
        vp = (vb + vp) * inv
        vm = (vb + vm) * inv
        votes = np.maximum(vp, vm)
        r = min(max(k, RERANK), n)
        top = np.argpartition(-votes, r - 1)[:r] if r < n else np.arange(n)
        top = top[votes[top] > 0]
        if RERANK <= 0 or len(top) == 0:
            top = top[np.lexsort((self._ids[top], -votes[top]))][:k]
            return [Candidate(int(self._ids[i]), float(votes[i]), float(vp[i]), float(vm[i])) for i in top]
        # re-rank by geometric consistency: the matched words of each of these references
        rank = np.full(n, -1, np.int64)
        rank[top] = np.arange(len(top))
        ranked = rank >= 0
        found = [None if g is None else self._matched(g, rank, ranked) for g in groups]
        gb, gp_only, gm_only = found
        gp = self._consistent([gb, gp_only], pw, desc.angle, desc.octave, len(top), idf) * inv[top]
        mangle = (180.0 - desc.angle) % 360.0
        gm = self._consistent([gb, gm_only], mw, mangle, desc.octave, len(top), idf) * inv[top]
        gv = np.maximum(gp, gm)
        order = np.lexsort((self._ids[top], -votes[top], -gv))[:k]
        top, gp, gm, gv = top[order], gp[order], gm[order], gv[order]
        return [
            Candidate(int(self._ids[i]), float(v), float(a), float(b))
            for i, v, a, b in zip(top.tolist(), gv.tolist(), gp.tolist(), gm.tolist(), strict=True)
        ]

    def _matched(
        self, g: _Gathered, rank: NDArray[np.int64], ranked: NDArray[np.bool_]
    ) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None:
        """(word, rank of the reference, packed geometry) of the postings of ``g`` whose reference has a
        rank (is re-ranked)."""
        at = np.flatnonzero(ranked[g.rows])  # a bool gather: the rows are millions at 100,000 references
        if len(at) == 0:
            return None
        ends = np.cumsum(g.lengths)
        seg = np.searchsorted(ends, at, side="right")
        posting = g.starts[seg] + at - (ends[seg] - g.lengths[seg])
        return g.words[seg], rank[g.rows[at]], self._geo[posting].astype(np.int64)

    @staticmethod
    def _consistent(
        parts: Sequence[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None],
        words: NDArray[np.int64],
        angle: NDArray[np.float32],
        octave: NDArray[np.uint8],
        ntop: int,
        idf: NDArray[np.float32],
    ) -> NDArray[np.float64]:
        """Per re-ranked reference: the largest idf**2 mass of its word matches with the query features
        (``words``, ``angle``, ``octave``) that agree on one rotation and scale: orientation and pyramid
        level differences histogrammed, 2 x 2 neighbouring bins. A query word held by several features
        shares its weight among their matches."""
        out = np.zeros(ntop)
        got = [p for p in parts if p is not None]
        if not got or len(words) == 0:
            return out
        mw = np.concatenate([p[0] for p in got])
        mr = np.concatenate([p[1] for p in got])
        mg = np.concatenate([p[2] for p in got])
        order = np.argsort(words, kind="stable")
        uw, gstart, gcount = np.unique(words[order], return_index=True, return_counts=True)
        gi = np.searchsorted(uw, mw)  # every matched word is one of the query's
        c = gcount[gi]
        e = np.repeat(np.arange(len(mw)), c)  # one entry per (query feature, posting)
        qi = order[np.repeat(gstart[gi], c) + np.arange(len(e)) - np.repeat(np.cumsum(c) - c, c)]
        qa = (np.floor(angle[qi].astype(np.float64) * (ANGLE_BINS / 360.0)).astype(np.int64)) % ANGLE_BINS
        qo = np.minimum(octave[qi].astype(np.int64), OCTAVES - 1)
        ge = mg[e]
        da = (qa - ge // OCTAVES) % ANGLE_BINS
        do = qo - ge % OCTAVES + OCTAVES - 1
        w = idf[mw[e]].astype(np.float64) ** 2 / c[e]
        nb = 2 * OCTAVES - 1
        h = np.bincount((mr[e] * ANGLE_BINS + da) * nb + do, weights=w, minlength=ntop * ANGLE_BINS * nb)
        h = h.reshape(ntop, ANGLE_BINS, nb)
        h = h + np.roll(h, -1, axis=1)
        h = h[:, :, :-1] + h[:, :, 1:]
        out[:] = h.reshape(ntop, -1).max(axis=1)
        return out

    # --- persistence -------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index atomically to ``path`` (an ``.npz``; the name is used as given)."""
        self._merge()
        save_index(
            path,
            "robust",
            {"words": WORDS, "vocabulary": self.vocab.sha256},
            self.meta,
            {"ids": self._ids, "offsets": self._offsets, "postings": self._postings, "geo": self._geo},
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
            {"ids": ("i", 1), "offsets": ("i", 1), "postings": ("i", 1), "geo": ("u", 1)},
            format=FORMAT,
            version=VERSION,
            noun="robust index",
        )
        if header.get("vocabulary") != idx.vocab.sha256 or header.get("words") != WORDS:
            raise StoreError(f"{where} was built with another vocabulary: rebuild it")
        ids, offsets, postings, geo = arrays["ids"], arrays["offsets"], arrays["postings"], arrays["geo"]
        if (
            ids.ndim != 1
            or offsets.shape != (WORDS + 1,)
            or postings.ndim != 1
            or geo.shape != postings.shape
            or offsets[0] != 0
            or offsets[-1] != len(postings)
            or np.any(np.diff(offsets) < 0)
            or (len(postings) and (postings.min() < 0 or postings.max() >= len(ids)))
        ):
            raise StoreError(f"{where}: inconsistent arrays: corrupt robust index")
        idx._ids = ids.astype(np.int64)
        idx._offsets = offsets.astype(np.int64)
        idx._postings = postings.astype(np.int32)
        idx._geo = geo.astype(np.uint8)
        idx.meta = meta
        return idx
