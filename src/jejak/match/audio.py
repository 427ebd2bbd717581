"""Audio segment matching over Chromaprint fingerprints, and an inverted index to search many at once.

Two recordings share audio when, at some offset, their fingerprints agree over a stretch far better than
chance. ``match_segments`` finds the stretches, with their time ranges on both sides:

1. **Informative items.** Chromaprint gives silence, a steady tone or a chord one repeated value, and white
   noise or noise textures bits that look alike whatever the source. ``information`` rates each item by
   its neighbourhood (16 items, ~2 s): the mean over the 32 bits of 2p(1-p), p the share of items with
   the bit set, i.e. the BER two items drawn from that neighbourhood would have. Silence, tones and chords:
   0; white noise ~0.14; noise textures 0.15-0.3; speech, music and mixes 0.25-0.38. Items under
   ``min_information`` (0.15) take no part in voting or verification.
2. **Candidate offsets.** Each informative item gives two keys, its high and its low 16 bits (tagged
   apart), so items within one flipped bit still share one; at the right alignment the high half alone is
   equal for 47 % (AMR-NB) to 99 % (resampling) of item pairs. Equal keys vote for their offset, counted
   with its ±1 neighbours (neighbouring items are alike: one item off, a copy's BER is ~0.16), and the 6
   best offsets with at least 3 votes are verified, each with its ±1 neighbours.
3. **Verification.** At an offset, the bit errors of each aligned item pair, smoothed over 16 items
   (informative pairs only); runs under ``run_ber`` (0.3) are merged across gaps up to 3 s (pauses,
   held notes), trimmed to the first and last pair that agrees on its own (at most ``max_ber`` of its
   bits), and kept when at least ``min_seconds`` (5 s) long with a BER of at most ``max_ber`` (0.2) and
   of at most ``max_relative`` (0.7) times their information. Overlapping finds at neighbouring offsets
   are reduced to the best.
4. **Times.** Item ``i`` covers 2.6 s from ``i * 0.1238`` s, and at a boundary of shared audio items keep
   agreeing while most of their window is inside it: the first agreeing item starts ~0.5 s before the
   shared audio, the last ~1.5 s before its end (medians over the 80 boundaries of 40 pasted stretches;
   quartiles within ±0.2 s of them, worst 0.9 s). Segments are reported with these corrections; one that
   reaches the first or last item of either file runs to that file's edge (a clip). A stretch that ends
   within ~1.5 s of a file's end cannot be told from one that runs to it.

**Thresholds** (benchmarks/audio.py, 200 known tracks of 20 s in four kinds, 10 edits each, 100
distractors; docs/benchmarks.md). With the thresholds off, the best segment of an edited copy at the right
offset has a BER of 0.05 (median; p99 0.11 for speech and mixes, 0.14 for music, 0.24 for noise
textures) and a relative BER (BER / information) of at most 0.35 for speech and mixes, 0.62 for music;
the closest unrelated pair in 8,000 came to a BER of 0.19 (two noise textures) and a relative BER of
0.94. Hence BER <= 0.2 *and* relative <= 0.7: no false match in 40,000 impostor comparisons and none in
2,000 index searches (398,000 query-track pairs), while every edited speech, music and mixed copy is
found (MP3 32 kbit/s, AAC 24 kbit/s, Opus 12 kbit/s, AMR-NB, 8 kHz resampling, -12/+9 dB, white noise at
20 and 10 dB SNR, a 15 s stretch pasted into another track). Noise textures are the exception: their
copies are found after high-bitrate edits, 2-30 % after Opus 12 kbit/s or AMR-NB; their fingerprints are
too alike across sources for more without false matches. 5 s of shared audio is 34 item pairs.

**Index** (``jejak.match.audio_index``). ``AudioIndex`` keeps every stored fingerprint's items in one
array and an inverted file from the 2 x 2^16 keys to item positions (CSR: uint32 postings sorted by
key, two per informative item). A search looks up the query's keys, counts votes per (track, offset)
with numpy, ranks tracks by their best offset's votes and verifies the top ones with ``match_segments``
at their voted offsets.
``search_brute`` is its twin (every stored fingerprint through ``match_segments``, or
``match_exhaustive``, which verifies every offset where any window agrees); the tests require the same
answers. Measured: 10,000 stored tracks of 20 s build in ~2-3 s and answer a query in ~24 ms;
``match_segments`` of two 20 s fingerprints takes ~0.5 ms. Saved as .npz without pickle.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from jejak.hashing.audio import AudioFingerprint
from jejak.hashing.chromaprint import ITEM_SECONDS, WINDOW_SECONDS

Items = NDArray[np.uint32]
FingerprintLike = AudioFingerprint | Items

LEAD_SECONDS = 0.5
"""The first item that matches inside shared audio starts about this much before it (its 2.6 s window
is then mostly inside): the median over spliced segments (see the module doc)."""
TAIL_SECONDS = 1.5
"""The last item that matches starts about this much before the end of the shared audio (median)."""

KEY_BITS = 16
KEY_SPACE = 2 << KEY_BITS  # two 16-bit halves, tagged apart


@dataclass(frozen=True)
class MatchParams:
    """Thresholds of the segment matcher (defaults measured by benchmarks/audio.py; see the module doc)."""

    max_ber: float = 0.2
    """A segment is kept when the bit error rate of its informative items is at most this (edited copies
    of speech and music: p99 0.11-0.14; unrelated speech and music: 0.3 and up) ..."""
    max_relative: float = 0.7
    """... and at most this fraction of its ``information`` (the BER unrelated stretches with the same bit
    statistics would have; copies of speech and music: at most 0.62, unrelated audio: 0.94 and up).
    Unrelated noise textures reach a BER of 0.19, under ``max_ber``: this is what rejects them."""
    min_seconds: float = 5.0
    """Shortest segment reported, in seconds of shared audio."""
    window: int = 16
    """Items in the sliding window the BER is smoothed over (~2 s)."""
    run_ber: float = 0.3
    """Items whose smoothed BER is below this form a run; a run is then trimmed and checked against
    ``max_ber``."""
    min_information: float = 0.15
    """Items whose neighbourhood has less bit variety than this (mean 2p(1-p) over the 32 bits in the
    window) are ignored: silence, steady tones and white noise give bits alike whatever the source."""
    gap_seconds: float = 3.0
    """Runs at the same offset separated by at most this much are merged (a pause, a held note)."""
    offsets: int = 6
    """Candidate offsets verified per pair of fingerprints."""
    min_votes: int = 3
    """Key collisions (±1 item) an offset needs to be verified."""
    max_postings: int = 50_000
    """Index keys with more postings than this are not looked up (too common to say anything)."""

    def __post_init__(self) -> None:
        if not (0 < self.max_ber <= 0.5 and 0 < self.run_ber <= 0.5 and self.max_relative > 0):
            raise ValueError("max_ber and run_ber must be in (0, 0.5], max_relative above 0")
        if self.window < 1 or self.offsets < 1 or self.min_votes < 1 or self.max_postings < 1:
            raise ValueError("window, offsets, min_votes and max_postings must be at least 1")
        if self.min_seconds < 0 or self.gap_seconds < 0 or not 0 <= self.min_information < 0.5:
            raise ValueError("min_seconds and gap_seconds must be >= 0, min_information in [0, 0.5)")

    @property
    def min_items(self) -> int:
        """Item pairs in the shortest segment reported (34 for 5 s)."""
        return max(1, math.ceil((self.min_seconds - (TAIL_SECONDS - LEAD_SECONDS)) / ITEM_SECONDS) + 1)


DEFAULT = MatchParams()


@dataclass(frozen=True)
class Segment:
    """Audio that two fingerprints share: the same stretch at ``offset`` seconds apart."""

    query_start: float
    query_end: float
    ref_start: float
    ref_end: float
    offset: float
    """ref time minus query time, seconds."""
    ber: float
    """Bit error rate over the informative items of the segment."""
    information: float
    """Mean ``information`` of the segment's items (the lower of the two sides): the BER to expect from
    unrelated audio of the same kind."""
    bits: int
    """Bits compared (32 per informative item pair)."""

    @property
    def seconds(self) -> float:
        return self.query_end - self.query_start

    @property
    def score(self) -> float:
        """1 - BER / information: 1 for identical bits, about 0 for unrelated audio."""
        return 1.0 - self.ber / self.information if self.information > 0 else 0.0


# --- helpers ----------------------------------------------------------------------------------------------


def items_of(fp: FingerprintLike) -> Items:
    raw = fp.items if isinstance(fp, AudioFingerprint) else fp
    return np.ascontiguousarray(raw, dtype=np.uint32)


if hasattr(np, "bitwise_count"):

    def popcount(x: NDArray[np.uint32]) -> NDArray[np.uint8]:
        """Set bits per element."""
        out: NDArray[np.uint8] = np.bitwise_count(x).astype(np.uint8, copy=False)
        return out

else:  # numpy < 2.0
    _POP16 = np.array([bin(i).count("1") for i in range(1 << 16)], dtype=np.uint8)

    def popcount(x: NDArray[np.uint32]) -> NDArray[np.uint8]:
        """Set bits per element."""
        x = np.asarray(x, np.uint32)
        out: NDArray[np.uint8] = _POP16[x & 0xFFFF] + _POP16[x >> 16]
        return out


def _window_sums(x: NDArray[np.float64], w: int) -> NDArray[np.float64]:
    """Centred moving sum of ``x`` along its last axis over ``w`` items (shorter at the ends)."""
    n = x.shape[-1]
    c = np.concatenate([np.zeros((*x.shape[:-1], 1)), np.cumsum(x, axis=-1)], axis=-1)
    lo = np.clip(np.arange(n) - w // 2, 0, n)
    hi = np.clip(np.arange(n) - w // 2 + w, 0, n)
    out: NDArray[np.float64] = c[..., hi] - c[..., lo]
    return out


def information(items: Items, window: int = DEFAULT.window) -> NDArray[np.float64]:
    """Per item, the bit variety of its neighbourhood: the mean over the 32 bits of 2p(1-p), p the
    fraction of items in the centred window with the bit set. 0 for silence and steady tones (every item
    the same), ~0.14 for white noise, ~0.3-0.35 for speech and music (see the module doc)."""
    n = len(items)
    if n == 0:
        return np.zeros(0)
    bits = np.unpackbits(items.astype("<u4").view(np.uint8)).reshape(n, 32).T.astype(np.float64)
    sums = _window_sums(bits, window)
    counts = _window_sums(np.ones((1, n)), window)
    p = sums / counts
    out: NDArray[np.float64] = (2 * p * (1 - p)).mean(axis=0)
    return out


def informative(items: Items, params: MatchParams = DEFAULT) -> NDArray[np.bool_]:
    """The items that take part in matching (``information`` at least ``min_information``)."""
    out: NDArray[np.bool_] = information(items, params.window) >= params.min_information
    return out


def index_keys(items: Items, mask: NDArray[np.bool_]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(key, item position) pairs of the informative items: each item's high and low 16 bits, tagged
    apart, so two items within one flipped bit of each other still share a key."""
    pos = np.flatnonzero(mask)
    sel = items[pos].astype(np.int64)
    keys = np.concatenate([sel >> KEY_BITS, (sel & 0xFFFF) | (1 << KEY_BITS)])
    return keys, np.concatenate([pos, pos])


def vote_peaks(offsets: NDArray[np.int64], votes: NDArray[np.int64], k: int, min_votes: int) -> list[int]:
    """Up to ``k`` offsets with the most votes (each counting its ±1 neighbours), at least 3 apart."""
    if len(offsets) == 0:
        return []
    order = np.argsort(offsets)
    offsets, votes = offsets[order], votes[order]
    total = votes.copy()
    for step in (-1, 1):
        at = np.searchsorted(offsets, offsets + step)
        ok = at < len(offsets)
        hit = ok & (offsets[np.minimum(at, len(offsets) - 1)] == offsets + step)
        total[hit] += votes[at[hit]]
    ranked = np.argsort(-total, kind="stable")
    chosen: list[int] = []
    for i in ranked:
        if total[i] < min_votes or len(chosen) >= k:
            break
        d = int(offsets[i])
        if all(abs(d - c) > 2 for c in chosen):
            chosen.append(d)
    return chosen


def candidate_offsets(
    query: FingerprintLike, reference: FingerprintLike, params: MatchParams = DEFAULT
) -> list[int]:
    """Offsets (reference item minus query item) where the two share keys, most votes first."""
    q, r = items_of(query), items_of(reference)
    return _offsets(q, r, information(q, params.window), information(r, params.window), params)


def _offsets(
    q: Items, r: Items, qinfo: NDArray[np.float64], rinfo: NDArray[np.float64], params: MatchParams
) -> list[int]:
    qk, qp = index_keys(q, qinfo >= params.min_information)
    rk, rp = index_keys(r, rinfo >= params.min_information)
    order = np.argsort(rk, kind="stable")
    rk, rp = rk[order], rp[order]
    lo = np.searchsorted(rk, qk, "left")
    hi = np.searchsorted(rk, qk, "right")
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return []
    rep = np.repeat(np.arange(len(qk)), counts)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    diffs = rp[lo[rep] + (np.arange(total) - first)] - qp[rep]
    uniq, votes = np.unique(diffs, return_counts=True)
    return vote_peaks(uniq, votes.astype(np.int64), params.offsets, params.min_votes)


# --- verification -----------------------------------------------------------------------------------------


def _runs(good: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[start, end) of each run of True."""
    edges = np.diff(np.concatenate([[0], good.astype(np.int8), [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def _segments_at(
    q: Items,
    r: Items,
    qinfo: NDArray[np.float64],
    rinfo: NDArray[np.float64],
    offset: int,
    params: MatchParams,
    item_seconds: float,
) -> list[Segment]:
    """The segments of query and reference aligned at ``offset`` (reference item = query item + offset)."""
    window_seconds = WINDOW_SECONDS * item_seconds / ITEM_SECONDS
    i0 = max(0, -offset)
    i1 = min(len(q), len(r) - offset)
    if i1 - i0 < params.min_items:
        return []
    qs, rs = q[i0:i1], r[i0 + offset : i1 + offset]
    info = np.minimum(qinfo[i0:i1], rinfo[i0 + offset : i1 + offset])
    mask = info >= params.min_information
    errors = popcount(qs ^ rs).astype(np.float64)
    used = mask.astype(np.float64)
    err_sum = _window_sums((errors * used)[None, :], params.window)[0]
    used_sum = _window_sums(used[None, :], params.window)[0]
    smooth = np.where(used_sum >= params.window / 2, err_sum / (32 * np.maximum(used_sum, 1)), 1.0)
    runs = _runs(smooth <= params.run_ber)
    # merge runs split by a short pause (same offset, so same alignment)
    gap = round(params.gap_seconds / item_seconds)
    merged: list[list[int]] = []
    for a, b in runs:
        if merged and a - merged[-1][1] <= gap:
            merged[-1][1] = b
        else:
            merged.append([a, b])
    out = []
    item_ok = mask & (errors <= 32 * params.max_ber)
    for start, stop in merged:
        # trim to the first and last informative item that agrees on its own
        inside = np.flatnonzero(item_ok[start:stop])
        if len(inside) == 0:
            continue
        a, b = start + int(inside[0]), start + int(inside[-1]) + 1
        if b - a < params.min_items:
            continue
        m = mask[a:b]
        n = int(m.sum())
        if n < params.min_items // 2:
            continue
        ber = float(errors[a:b][m].sum()) / (32 * n)
        seg_info = float(info[a:b][m].mean())
        if ber > params.max_ber or ber > params.max_relative * seg_info:
            continue
        qa, qb = i0 + a, i0 + b - 1
        # A segment that reaches the first or last item of either side runs on to that file's edge: its
        # first (last) item starts (ends) with the shared audio rather than straddling its boundary.
        lead = 0.0 if qa == 0 or qa + offset == 0 else LEAD_SECONDS
        tail = window_seconds if qb == len(q) - 1 or qb + offset == len(r) - 1 else TAIL_SECONDS
        out.append(
            Segment(
                query_start=qa * item_seconds + lead,
                query_end=qb * item_seconds + tail,
                ref_start=(qa + offset) * item_seconds + lead,
                ref_end=(qb + offset) * item_seconds + tail,
                offset=offset * item_seconds,
                ber=ber,
                information=seg_info,
                bits=32 * n,
            )
        )
    return out


def _dedupe(segments: list[Segment], item_seconds: float) -> list[Segment]:
    """Best (lowest BER) first; a segment overlapping a kept one by more than half at a nearby offset is
    the same match seen from a neighbouring offset and is dropped."""
    kept: list[Segment] = []
    for s in sorted(segments, key=lambda s: (s.ber, -s.seconds)):
        dup = False
        for k in kept:
            overlap = min(s.query_end, k.query_end) - max(s.query_start, k.query_start)
            if abs(s.offset - k.offset) <= 3 * item_seconds and overlap > 0.5 * min(s.seconds, k.seconds):
                dup = True
                break
        if not dup:
            kept.append(s)
    return sorted(kept, key=lambda s: (s.query_start, s.offset))


def item_seconds_of(*fps: FingerprintLike) -> float:
    values = {fp.item_seconds for fp in fps if isinstance(fp, AudioFingerprint)}
    if len(values) > 1:
        raise ValueError(f"fingerprints with different item durations: {sorted(values)}")
    return values.pop() if values else ITEM_SECONDS


def _check_algorithms(*fps: FingerprintLike) -> None:
    algos = {fp.algorithm for fp in fps if isinstance(fp, AudioFingerprint)}
    if len(algos) > 1:
        raise ValueError(f"fingerprints of different Chromaprint algorithms: {sorted(algos)}")


def match_segments(
    query: FingerprintLike,
    reference: FingerprintLike,
    params: MatchParams = DEFAULT,
    *,
    offsets: Iterable[int] | None = None,
) -> list[Segment]:
    """The segments ``query`` and ``reference`` share, ordered by query start. Offsets to verify come
    from key votes (``candidate_offsets``) unless given (in items: reference item - query item)."""
    _check_algorithms(query, reference)
    item_seconds = item_seconds_of(query, reference)
    q, r = items_of(query), items_of(reference)
    if len(q) < params.min_items or len(r) < params.min_items:
        return []
    qinfo, rinfo = information(q, params.window), information(r, params.window)
    todo = list(offsets) if offsets is not None else _offsets(q, r, qinfo, rinfo, params)
    found: list[Segment] = []
    tried: set[int] = set()
    for d in todo:
        for dd in (d - 1, d, d + 1):  # votes are blurred by ±1 item: verify the neighbours too
            if dd not in tried:
                tried.add(dd)
                found += _segments_at(q, r, qinfo, rinfo, dd, params, item_seconds)
    return _dedupe(found, item_seconds)


def match_exhaustive(
    query: FingerprintLike, reference: FingerprintLike, params: MatchParams = DEFAULT
) -> list[Segment]:
    """``match_segments`` at every offset where some window agrees, not only at voted ones: the
    brute-force twin of the voting. Builds the (offsets x query items) error matrix, so its cost grows with
    the product of the lengths: for tests and benchmarks."""
    _check_algorithms(query, reference)
    item_seconds = item_seconds_of(query, reference)
    q, r = items_of(query), items_of(reference)
    nq, nr = len(q), len(r)
    if nq < params.min_items or nr < params.min_items:
        return []
    qinfo, rinfo = information(q, params.window), information(r, params.window)
    pad = np.zeros(nq - 1, np.uint32)
    windows = np.lib.stride_tricks.sliding_window_view(np.concatenate([pad, r, pad]), nq)
    valid = np.lib.stride_tricks.sliding_window_view(
        np.concatenate([np.zeros(nq - 1, bool), rinfo >= params.min_information, np.zeros(nq - 1, bool)]), nq
    )
    used = (valid & (qinfo >= params.min_information)[None, :]).astype(np.float64)
    errors = popcount(windows ^ q[None, :]).astype(np.float64) * used
    err_sum = _window_sums(errors, params.window)
    used_sum = _window_sums(used, params.window)
    smooth = np.where(used_sum >= params.window / 2, err_sum / (32 * np.maximum(used_sum, 1)), 1.0)
    rows = np.flatnonzero((smooth <= params.run_ber).any(axis=1))
    found: list[Segment] = []
    for k in rows.tolist():
        found += _segments_at(q, r, qinfo, rinfo, k - (nq - 1), params, item_seconds)
    return _dedupe(found, item_seconds)
