"""Many audio fingerprints searched by one: ``AudioIndex``, an inverted index from 16-bit item halves to
(track, item), with votes per (track, offset) verified by ``jejak.match.audio.match_segments``; and its
brute-force twin ``search_brute``. See ``jejak.match.audio`` for the matcher and its measurements."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from jejak.hashing.audio import AudioFingerprint
from jejak.match.audio import (
    DEFAULT,
    KEY_SPACE,
    FingerprintLike,
    Items,
    MatchParams,
    Segment,
    index_keys,
    informative,
    items_of,
    match_exhaustive,
    match_segments,
    vote_peaks,
)


@dataclass(frozen=True)
class AudioHit:
    """A stored fingerprint that shares audio with the query, with the verified segments."""

    track: int
    """Position of the fingerprint in the index (order of ``add``)."""
    key: str
    """The caller's key for it."""
    votes: int
    segments: tuple[Segment, ...]

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.segments)


class AudioIndex:
    """Many fingerprints, searched by one: an inverted index from 16-bit item halves to (track, item).

    ``add`` appends (cheap); the postings are rebuilt on the next search after an add. ``search`` looks up
    the query's informative keys, counts votes per (track, offset), and verifies the best-voted tracks
    with ``match_segments`` at their voted offsets. ``search_brute`` does the same with every stored
    fingerprint (its twin in the tests). Saved as .npz without pickle."""

    def __init__(self, params: MatchParams = DEFAULT) -> None:
        self.params = params
        self._chunks: list[Items] = []
        self._keys: list[str] = []
        self._algorithm: int | None = None
        self._item_seconds: float | None = None
        self._items: Items = np.zeros(0, np.uint32)
        self._starts: NDArray[np.int64] = np.zeros(1, np.int64)
        self._key_start: NDArray[np.int64] | None = None
        self._postings: NDArray[np.uint32] = np.zeros(0, np.uint32)

    def __len__(self) -> int:
        return len(self._keys)

    @property
    def keys(self) -> Sequence[str]:
        return tuple(self._keys)

    def add(self, key: str, fp: FingerprintLike) -> int:
        """Store ``fp`` under ``key``; returns its track number."""
        if isinstance(fp, AudioFingerprint):
            for attr, value in (("_algorithm", fp.algorithm), ("_item_seconds", fp.item_seconds)):
                have = getattr(self, attr)
                if have is None:
                    setattr(self, attr, value)
                elif have != value:
                    raise ValueError(
                        f"fingerprint {key!r}: {attr.strip('_')} {value} differs from the index's {have}"
                    )
        self._chunks.append(items_of(fp))
        self._keys.append(key)
        return len(self._keys) - 1

    def fingerprint(self, track: int) -> Items:
        self._build()
        return self._items[self._starts[track] : self._starts[track + 1]]

    def _build(self) -> None:
        """Fold the fingerprints added since the last build into the items and the postings (the new
        tracks' keys are merged with the existing postings in one stable sort: O(total) numpy work)."""
        if not self._chunks and self._key_start is not None:
            return
        first_new = len(self._starts) - 1
        if self._chunks:
            lengths = np.array([len(c) for c in self._chunks], np.int64)
            self._items = np.concatenate([self._items, *self._chunks])
            self._starts = np.concatenate([self._starts, self._starts[-1] + np.cumsum(lengths)])
            self._chunks = []
        old_counts = (
            np.diff(self._key_start) if self._key_start is not None else np.zeros(KEY_SPACE, np.int64)
        )
        keys = [np.repeat(np.arange(KEY_SPACE, dtype=np.int64), old_counts)]
        glob = [self._postings.astype(np.int64)]
        for t in range(first_new, len(self._starts) - 1):
            a, b = int(self._starts[t]), int(self._starts[t + 1])
            k, p = index_keys(self._items[a:b], informative(self._items[a:b], self.params))
            keys.append(k)
            glob.append(p + a)
        allk, allg = np.concatenate(keys), np.concatenate(glob)
        order = np.argsort(allk, kind="stable")
        self._postings = allg[order].astype(np.uint32)
        self._key_start = np.concatenate([[0], np.cumsum(np.bincount(allk, minlength=KEY_SPACE))]).astype(
            np.int64
        )

    def candidates(self, query: FingerprintLike, limit: int = 20) -> list[tuple[int, int, list[int]]]:
        """Up to ``limit`` (track, votes, offsets) with the most votes at their best offset."""
        self._build()
        assert self._key_start is not None
        q = items_of(query)
        qk, qp = index_keys(q, informative(q, self.params))
        lo, hi = self._key_start[qk], self._key_start[qk + 1]
        counts = hi - lo
        counts[counts > self.params.max_postings] = 0
        total = int(counts.sum())
        if total == 0:
            return []
        rep = np.repeat(np.arange(len(qk)), counts)
        first = np.repeat(np.cumsum(counts) - counts, counts)
        glob = self._postings[lo[rep] + (np.arange(total) - first)].astype(np.int64)
        track = np.searchsorted(self._starts, glob, "right") - 1
        diff = glob - self._starts[track] - qp[rep]
        code = (track << 32) + (diff + (1 << 31))
        uniq, votes = np.unique(code, return_counts=True)
        # votes of each (track, offset) with its ±1 neighbours (adjacent codes, same track)
        smooth = votes.astype(np.int64)
        for step in (-1, 1):
            at = np.clip(np.searchsorted(uniq, uniq + step), 0, len(uniq) - 1)
            hit = uniq[at] == uniq + step
            smooth[hit] += votes[at[hit]]
        tracks = uniq >> 32
        bounds = np.flatnonzero(np.diff(tracks, prepend=-1) != 0)
        peak = np.maximum.reduceat(smooth, bounds)
        keep = np.flatnonzero(peak >= self.params.min_votes)
        ranked = keep[np.lexsort((tracks[bounds[keep]], -peak[keep]))][:limit]
        ends = np.append(bounds[1:], len(uniq))
        out: list[tuple[int, int, list[int]]] = []
        for g in ranked:
            a, b = int(bounds[g]), int(ends[g])
            offsets = (uniq[a:b] & 0xFFFFFFFF) - (1 << 31)
            peaks = vote_peaks(
                offsets, votes[a:b].astype(np.int64), self.params.offsets, self.params.min_votes
            )
            out.append((int(tracks[a]), int(peak[g]), peaks))
        return out

    def search(self, query: FingerprintLike, limit: int = 20) -> list[AudioHit]:
        """Stored fingerprints that share at least one verified segment with ``query``, most audio first."""
        hits = []
        for track, votes, offsets in self.candidates(query, limit):
            segs = match_segments(query, self.fingerprint(track), self.params, offsets=offsets)
            if segs:
                hits.append(AudioHit(track, self._keys[track], votes, tuple(segs)))
        hits.sort(key=lambda h: (-h.seconds, h.track))
        return hits

    def search_brute(self, query: FingerprintLike, *, exhaustive: bool = False) -> list[AudioHit]:
        """``search``'s twin: ``match_segments`` (or ``match_exhaustive``) with every stored fingerprint."""
        self._build()
        hits = []
        for track in range(len(self._keys)):
            ref = self.fingerprint(track)
            segs = (
                match_exhaustive(query, ref, self.params)
                if exhaustive
                else match_segments(query, ref, self.params)
            )
            if segs:
                hits.append(AudioHit(track, self._keys[track], 0, tuple(segs)))
        hits.sort(key=lambda h: (-h.seconds, h.track))
        return hits

    def save(self, path: str | Path) -> None:
        self._build()
        np.savez(
            path,
            items=self._items,
            starts=self._starts,
            keys=np.array(self._keys, dtype=np.str_),
            meta=np.array([self._algorithm or 0, self._item_seconds or 0.0], dtype=np.float64),
        )

    @classmethod
    def load(cls, path: str | Path, params: MatchParams = DEFAULT) -> AudioIndex:
        """An index saved by ``save``; ValueError for anything else."""
        with np.load(path, allow_pickle=False) as z:
            try:
                items, starts, keys, meta = z["items"], z["starts"], z["keys"], z["meta"]
            except KeyError as exc:
                raise ValueError(f"{path}: not a saved AudioIndex ({exc})") from exc
        starts = starts.astype(np.int64)
        if (
            len(starts) != len(keys) + 1
            or starts[0] != 0
            or starts[-1] != len(items)
            or np.any(np.diff(starts) < 0)
        ):
            raise ValueError(f"{path}: inconsistent AudioIndex arrays")
        index = cls(params)
        index._chunks = [items[a:b].astype(np.uint32) for a, b in itertools.pairwise(starts)]
        index._keys = [str(k) for k in keys]
        algo, item_s = (float(v) for v in meta)
        index._algorithm = int(algo) or None
        index._item_seconds = item_s or None
        index._build()
        return index
