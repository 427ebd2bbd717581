"""Exact Hamming range search over 256-bit PDQ codes: multi-index hashing in numpy.

Design (Norouzi, Punjani and Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012):

* **Substrings.** The 256 bits (as 4 ``uint64`` words, see ``codes``) are cut into ``m`` contiguous
  substrings of near-equal width ``s`` (``_Layout``). Each substring has a CSR table: ``offsets`` over its
  ``2**s`` values and the ids sorted by substring value (ids ascending inside a bucket). All tables live in
  two arrays: one ``offsets`` array (``int32`` while ``m * n < 2**31``) holding global positions into one
  ``ids`` array (``int32``, ``m * n`` entries).
* **Pigeonhole, generalised.** If every substring distance ``d_i`` were at least ``a_i + 1``, the total
  would be at least ``sum(a_i + 1)``. So with per-table probe radii ``a_i`` (``-1`` = not probed) summing
  to ``sum(a_i + 1) = r + 1``, every code within ``r`` lies in a probed bucket of some table. The ``r + 1``
  units are handed out greedily to the table where the next unit costs least under the cost model below
  (the cost of a table grows convexly with its radius, so greedy is optimal). For 16 equal tables this is
  the classic ``floor(r / m)`` everywhere; for ``r = 31`` and 12 tables it is radius 2 on 8 of them and 1 on
  4; for small ``r`` most tables are not probed at all.
* **Search**, vectorised over a batch of queries: probe keys are ``substring ^ mask`` for every mask of
  popcount ``<= a_i``; two gathers from ``offsets`` give each bucket's range; a ragged ``arange`` expands the
  ranges into positions; the ids there are verified with the full distance (gather the 32-byte rows with
  ``np.take``, xor, ``bitwise_count``). Duplicated candidates (a near code shows up in several tables) are
  verified twice and removed at the end with the sort that orders hits by (distance, id).
* **Cost model.** 25 ns per probed bucket, 25 ns per candidate and 4 ns per code for a linear scan. Rough
  (at 10M a probe into large tables costs nearer 40 ns), but it ranks layouts as measured at 200k, 1M and
  10M references (best there: 16 x 16, 13 x 20 and 12 x 21-22 bits). It picks the layout (the number of
  substrings, within a memory cap of about ``_BYTES_PER_REF`` bytes per reference), the probe radii, and
  falls back to an exact linear scan for a whole search when probing would cost more (large radii) or for
  a single query whose buckets turn out to hold too many candidates (adversarial data: thousands of
  near-identical codes).
* **Incremental add.** New codes go to an unindexed tail that every search brute-forces; when it reaches
  ``_TAIL_LIMIT`` codes it is merged into the tables with one ``np.insert`` (new ids go to the end of their
  buckets, keeping them ascending) and an offsets shift from a ``bincount``: linear in the index size, no
  sorting of the old entries. When the index has doubled since its layout was chosen and the cost model
  now prefers another layout, the tables are rebuilt instead (amortised ``O(n log n)``).
* **Build** per table: pack ``value << 32 | id`` into ``uint64`` and ``np.sort`` it (numpy's SIMD sort),
  then take the low 32 bits; ``bincount`` gives the offsets.

Ids are positions in build-then-add order; ``PdqIndex`` holds at most ``2**31 - 1`` codes.
"""

from __future__ import annotations

import heapq
import math
import os
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jejak.index.codes import (
    CODE_BITS,
    MAX_IDS,
    U64,
    SearchResult,
    as_codes,
    as_words,
    check_radius,
    empty_results,
    hit_keys,
    popcount_sum,
    scan,
    sort_unique,
    split_hits,
)
from jejak.index.storage import load_index, save_index

KIND = "mih"

# Cost model (seconds, one core): see the module docstring.
_C_PROBE = 25e-9
_C_CAND = 25e-9
_C_SCAN = 4e-9
_DESIGN_RADIUS = 31  # layouts are chosen for the PDQ match threshold; every radius stays exact
_BYTES_PER_REF = 112  # memory cap of a layout at large n: codes + ids + offsets
_SMALL_TABLES = 64 << 20  # offsets up to this size are allowed whatever n is
_MIN_LAYOUT_N = 1 << 14
_MAX_PROBES = 1 << 21  # more probes per query than this: linear scan whatever the model says
_TAIL_LIMIT = 8192
_KEY_BUDGET = 1 << 18  # probe keys per query batch
_CAND_BUDGET = 1 << 16  # candidates verified per numpy pass (their rows stay in cache)


@dataclass(frozen=True)
class _Layout:
    widths: tuple[int, ...]

    @property
    def m(self) -> int:
        return len(self.widths)

    @cached_property
    def starts(self) -> tuple[int, ...]:
        return tuple(sum(self.widths[:i]) for i in range(self.m))

    @cached_property
    def bases(self) -> tuple[int, ...]:
        """Index of each table's first bucket in the global offsets array."""
        return tuple(sum(1 << w for w in self.widths[:i]) for i in range(self.m))

    @cached_property
    def buckets(self) -> int:
        return sum(1 << w for w in self.widths)

    @classmethod
    def even(cls, m: int) -> _Layout:
        base, extra = divmod(CODE_BITS, m)
        return cls(tuple([base + 1] * extra + [base] * (m - extra)))


@cache
def _ball(width: int, radius: int) -> int:
    """Number of width-bit values within ``radius`` of a given one."""
    return sum(math.comb(width, k) for k in range(min(radius, width) + 1)) if radius >= 0 else 0


def _table_cost(width: int, radius: int, n: int) -> float:
    v = _ball(width, radius)
    return _C_PROBE * v + _C_CAND * n * v / (1 << width)


def _radii(layout: _Layout, n: int, r: int) -> tuple[int, ...]:
    """Probe radius per table (``-1``: not probed) with ``sum(a + 1) == r + 1``, greedy on the cost model."""
    radii = [-1] * layout.m
    heap = [(_table_cost(w, 0, n), i) for i, w in enumerate(layout.widths)]
    heapq.heapify(heap)
    for _ in range(r + 1):
        _, i = heapq.heappop(heap)
        radii[i] += 1
        w, a = layout.widths[i], radii[i]
        step = _table_cost(w, a + 1, n) - _table_cost(w, a, n) if a < w else math.inf
        heapq.heappush(heap, (step, i))
    return tuple(radii)


def _estimate(layout: _Layout, radii: tuple[int, ...], n: int) -> tuple[int, float]:
    """(probes per query, estimated seconds per query) of probing ``layout`` with ``radii``."""
    probes = sum(_ball(w, a) for w, a in zip(layout.widths, radii, strict=True))
    seconds = sum(_table_cost(w, a, n) for w, a in zip(layout.widths, radii, strict=True))
    return probes, seconds


def _layout_bytes(layout: _Layout, n: int) -> int:
    off_bytes = 4 if layout.m * n < 2**31 else 8
    return off_bytes * (layout.buckets + 1) + 4 * layout.m * n + 32 * n


def choose_layout(n: int) -> _Layout:
    """The layout with the lowest modelled cost at radius 31 that fits the memory cap."""
    n_eff = max(n, _MIN_LAYOUT_N)
    best: tuple[float, _Layout] | None = None
    for m in range(8, 33):
        layout = _Layout.even(m)
        tables = _layout_bytes(layout, n_eff) - 32 * n_eff - 4 * m * n_eff
        if _layout_bytes(layout, n_eff) > _BYTES_PER_REF * n_eff and tables > _SMALL_TABLES:
            continue
        _, cost = _estimate(layout, _radii(layout, n_eff, _DESIGN_RADIUS), n_eff)
        if best is None or cost < best[0]:
            best = (cost, layout)
    assert best is not None  # m = 32 (8-bit substrings) always fits
    return best[1]


@cache
def _ball_masks(width: int, radius: int) -> NDArray[np.int64]:
    """Every width-bit value of popcount ``<= radius``, by popcount."""
    levels = [np.zeros(1, np.int64)]
    level, top = np.zeros(1, np.int64), np.full(1, -1, np.int64)  # masks of popcount k, their highest bit
    bits = np.arange(width, dtype=np.int64)
    for _ in range(min(radius, width)):
        keep = bits[None, :] > top[:, None]
        level = (level[:, None] | (np.int64(1) << bits)[None, :])[keep]
        top = np.broadcast_to(bits[None, :], keep.shape)[keep]
        levels.append(level)
    out = np.concatenate(levels)
    out.flags.writeable = False
    return out


def _substring(words: U64, start: int, width: int) -> NDArray[np.int64]:
    """Bits ``start .. start + width`` of each (k, 4)-word row (word 0 holds bits 0-63) as int64."""
    w, off = divmod(start, 64)
    x = words[:, w] >> np.uint64(off)
    if off + width > 64:
        x = x | (words[:, w + 1] << np.uint64(64 - off))
    return (x & np.uint64((1 << width) - 1)).astype(np.int64)


def _offset_dtype(layout: _Layout, n: int) -> type[np.signedinteger[Any]]:
    return np.int32 if layout.m * n < 2**31 else np.int64


def _build_tables(words: U64, layout: _Layout) -> tuple[NDArray[np.signedinteger[Any]], NDArray[np.int32]]:
    n, m = len(words), layout.m
    offsets = np.empty(layout.buckets + 1, _offset_dtype(layout, n))
    ids = np.empty(m * n, np.int32)
    row = np.arange(n, dtype=np.uint64)
    low = np.uint64(0xFFFF_FFFF)
    for i, (start, width, base) in enumerate(zip(layout.starts, layout.widths, layout.bases, strict=True)):
        key = _substring(words, start, width)
        counts = np.bincount(key, minlength=1 << width)
        offsets[base] = i * n
        np.cumsum(counts[:-1], out=offsets[base + 1 : base + (1 << width)])
        offsets[base + 1 : base + (1 << width)] += i * n
        packed = key.view(np.uint64)
        packed <<= np.uint64(32)
        packed |= row
        packed.sort()
        packed &= low
        ids[i * n : (i + 1) * n] = packed
        del key, packed, counts
    offsets[-1] = m * n
    return offsets, ids


@dataclass(frozen=True)
class _Plan:
    linear: bool
    tables: tuple[tuple[int, NDArray[np.int64]], ...]  # (table, xor masks) of the probed tables
    probes: int


class PdqIndex:
    """Exact Hamming range search over 256-bit PDQ codes (uint8 rows of 32 bytes); see the module doc."""

    tail_limit: int = _TAIL_LIMIT
    """Codes ``add`` keeps in the brute-forced tail before merging them into the tables."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self._layout = choose_layout(0)
        self._layout_n = 0
        self._codes: NDArray[np.uint8] = np.empty((0, 32), np.uint8)
        self._words: U64 = as_words(self._codes)
        self._offsets: NDArray[np.signedinteger[Any]] = np.zeros(self._layout.buckets + 1, np.int32)
        self._ids: NDArray[np.int32] = np.empty(0, np.int32)
        self._tail: list[NDArray[np.uint8]] = []
        self._tail_n = 0
        self._tail_words: U64 | None = None
        self._plans: dict[int, _Plan] = {}

    # --- construction -----------------------------------------------------------------------------------

    @classmethod
    def build(cls, codes: ArrayLike) -> PdqIndex:
        idx = cls()
        idx._reindex(as_codes(codes).copy())
        return idx

    def _reindex(self, codes: NDArray[np.uint8], layout: _Layout | None = None) -> None:
        """Index ``codes`` (owned by the index from now on) from scratch; empties the tail."""
        if len(codes) > MAX_IDS:
            raise ValueError(f"a PdqIndex holds at most {MAX_IDS} codes")
        self._layout = layout or choose_layout(len(codes))
        self._layout_n = len(codes)
        self._codes = codes
        self._words = as_words(codes)
        self._offsets, self._ids = _build_tables(self._words, self._layout)
        self._tail, self._tail_n, self._tail_words = [], 0, None
        self._plans.clear()

    def add(self, codes: ArrayLike) -> None:
        """Append codes; their ids continue from ``len(self)`` in the order given."""
        new = as_codes(codes)
        if len(new) == 0:
            return
        if len(self) + len(new) > MAX_IDS:
            raise ValueError(f"a PdqIndex holds at most {MAX_IDS} codes")
        self._tail.append(new.copy())
        self._tail_n += len(new)
        self._tail_words = None
        if self._tail_n >= self.tail_limit:
            self._merge_tail()

    def _tail_codes(self) -> NDArray[np.uint8]:
        if len(self._tail) > 1:
            self._tail = [np.concatenate(self._tail)]
        return self._tail[0] if self._tail else np.empty((0, 32), np.uint8)

    def _merge_tail(self) -> None:
        tail = self._tail_codes()
        n, k = len(self._codes), len(tail)
        total = n + k
        codes = np.concatenate([self._codes, tail])
        if total >= 2 * self._layout_n and choose_layout(total) != self._layout:
            self._reindex(codes)
            return
        layout = self._layout
        tw = as_words(tail)
        g = np.concatenate(
            [
                _substring(tw, s, w) + b
                for s, w, b in zip(layout.starts, layout.widths, layout.bases, strict=True)
            ]
        )
        vals = np.tile(np.arange(n, total, dtype=np.int32), layout.m)
        order = np.argsort(g, kind="stable")  # ids stay ascending inside a bucket
        g, vals = g[order], vals[order]
        ends = np.take(self._offsets, g + 1).astype(np.int64)
        ids = np.insert(self._ids, ends, vals)
        shift = np.zeros(layout.buckets + 1, np.int64)
        np.cumsum(np.bincount(g, minlength=layout.buckets), out=shift[1:])
        offsets = (self._offsets.astype(np.int64) + shift).astype(_offset_dtype(layout, total))
        self._codes, self._words, self._ids, self._offsets = codes, as_words(codes), ids, offsets
        self._tail, self._tail_n, self._tail_words = [], 0, None
        self._plans.clear()

    def __len__(self) -> int:
        return len(self._codes) + self._tail_n

    @property
    def codes(self) -> NDArray[np.uint8]:
        """All codes in id order (a copy)."""
        return np.concatenate([self._codes, self._tail_codes()])

    @property
    def layout(self) -> tuple[int, ...]:
        """Substring widths of the tables."""
        return self._layout.widths

    def nbytes(self) -> int:
        """Bytes held by the index's arrays (codes, tables and the unindexed tail)."""
        return (
            self._codes.nbytes + self._offsets.nbytes + self._ids.nbytes + sum(t.nbytes for t in self._tail)
        )

    # --- search -----------------------------------------------------------------------------------------

    def _plan(self, r: int) -> _Plan:
        plan = self._plans.get(r)
        if plan is None:
            n = len(self._codes)
            radii = _radii(self._layout, n, r)
            probes, seconds = _estimate(self._layout, radii, n)
            if probes > _MAX_PROBES or seconds >= _C_SCAN * n:
                plan = _Plan(True, (), 0)
            else:
                tables = tuple(
                    (i, _ball_masks(self._layout.widths[i], a)) for i, a in enumerate(radii) if a >= 0
                )
                plan = _Plan(False, tables, probes)
            self._plans[r] = plan
        return plan

    def search(self, queries: ArrayLike, max_distance: int = 31) -> list[SearchResult]:
        """Per query, (ids int64, distances int32) of every code within ``max_distance`` bits, sorted by
        (distance, id)."""
        q = as_codes(queries, "queries")
        r = check_radius(max_distance)
        nq = len(q)
        if nq == 0:
            return []
        if len(self) == 0:
            return empty_results(nq)
        qw = as_words(q)
        parts: list[U64] = [np.empty(0, np.uint64)]
        if len(self._codes):
            plan = self._plan(r)
            if plan.linear:
                parts.append(scan(self._words, qw, r))
            else:
                batch = max(1, min(nq, _KEY_BUDGET // max(plan.probes, 1)))
                for b0 in range(0, nq, batch):
                    parts.extend(self._probe(plan, qw[b0 : b0 + batch], r, b0))
        if self._tail_n:
            if self._tail_words is None:
                self._tail_words = as_words(self._tail_codes())
            parts.append(scan(self._tail_words, qw, r, first_id=len(self._codes)))
        return split_hits(sort_unique(np.concatenate(parts)), nq)

    def _probe(self, plan: _Plan, qw: U64, r: int, q0: int) -> list[U64]:
        """Hit keys of one batch of queries (numbered from ``q0``) against the tables."""
        layout, n, b = self._layout, len(self._codes), len(qw)
        keys = np.empty((b, plan.probes), np.int64)
        col = 0
        for i, masks in plan.tables:
            sub = _substring(qw, layout.starts[i], layout.widths[i])
            out = keys[:, col : col + len(masks)]
            np.bitwise_xor(sub[:, None], masks[None, :], out=out)
            out += layout.bases[i]
            col += len(masks)
        start = np.take(self._offsets, keys)
        keys += 1
        counts = np.take(self._offsets, keys)
        counts -= start
        del keys
        per_query = counts.sum(axis=1, dtype=np.int64)
        out_parts: list[U64] = []
        heavy = per_query * _C_CAND > _C_SCAN * n
        if heavy.any():  # e.g. thousands of near-identical codes: reading everything is cheaper
            which = np.flatnonzero(heavy)
            out_parts.append(scan(self._words, qw[which], r, query_numbers=which + q0))
            counts[which] = 0
            per_query[which] = 0
        cum = np.cumsum(per_query)
        r0 = 0
        while r0 < b:
            before = int(cum[r0 - 1]) if r0 else 0
            r1 = max(r0 + 1, int(np.searchsorted(cum, before + _CAND_BUDGET, side="right")))
            if cum[r1 - 1] > before:
                out_parts.append(
                    self._verify(start[r0:r1], counts[r0:r1], per_query[r0:r1], qw[r0:r1], r, q0 + r0)
                )
            r0 = r1
        return out_parts

    def _verify(
        self,
        start: NDArray[np.signedinteger[Any]],
        counts: NDArray[np.signedinteger[Any]],
        per_query: NDArray[np.int64],
        qw: U64,
        r: int,
        q0: int,
    ) -> U64:
        """Expand bucket ranges into ids, keep those within ``r`` of their query."""
        c = counts.reshape(-1).astype(np.int64)
        s = start.reshape(-1).astype(np.int64)
        ends = np.cumsum(c)
        total = int(ends[-1])
        pos = np.arange(total, dtype=np.int64)
        s -= ends
        s += c
        pos += np.repeat(s, c)
        ids = np.take(self._ids, pos)
        cand = np.take(self._words, ids, axis=0)
        cand ^= np.repeat(qw, per_query, axis=0)
        d = popcount_sum(cand)
        hit = np.flatnonzero(d <= np.uint32(r))
        if hit.size == 0:
            return np.empty(0, np.uint64)
        qi = np.searchsorted(np.cumsum(per_query), hit, side="right")
        return hit_keys(qi + q0, ids[hit], d[hit])

    # --- persistence ------------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the index (codes, tables, tail, meta) to one ``.npz`` file; see ``storage``."""
        save_index(
            path,
            KIND,
            {"widths": list(self._layout.widths), "indexed": len(self._codes), "layout_n": self._layout_n},
            self.meta,
            {"codes": self.codes, "offsets": self._offsets, "ids": self._ids},
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> PdqIndex:
        """Read an index written by ``save``; ``StoreError`` for any other or damaged file."""
        from jejak.errors import StoreError

        header, meta, arrays = load_index(
            path, KIND, {"codes": ("u", 2), "offsets": ("i", 1), "ids": ("i", 1)}
        )
        codes, offsets, ids = arrays["codes"], arrays["offsets"], arrays["ids"]
        try:
            layout = _Layout(tuple(int(w) for w in header["widths"]))
            indexed, layout_n = int(header["indexed"]), int(header["layout_n"])
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{path}: the index header is incomplete ({exc}): corrupt index") from exc
        m = layout.m
        problem = None
        if sum(layout.widths) != CODE_BITS or not all(1 <= w <= 32 for w in layout.widths):
            problem = f"substring widths {layout.widths} do not cut 256 bits"
        elif codes.dtype != np.uint8 or codes.shape[1:] != (32,) or not 0 <= indexed <= len(codes):
            problem = f"codes are {codes.dtype} {codes.shape} with {indexed} indexed"
        elif ids.dtype != np.int32 or len(ids) != m * indexed:
            problem = f"ids are {ids.dtype} x {len(ids)}, expected int32 x {m * indexed}"
        elif len(offsets) != layout.buckets + 1 or offsets[-1] != m * indexed:
            problem = f"offsets do not fit {m} tables of {indexed} ids"
        elif len(offsets) > 1 and (np.diff(offsets) < 0).any():
            problem = "offsets are not ascending"
        elif len(ids) and (int(ids.min()) < 0 or int(ids.max()) >= indexed):
            problem = "ids out of range"
        elif any(int(offsets[b]) != i * indexed for i, b in enumerate(layout.bases)):
            problem = "table boundaries do not match"
        if problem:
            raise StoreError(f"{path}: {problem}: corrupt index")
        idx = cls()
        idx.meta = meta
        idx._layout, idx._layout_n = layout, layout_n
        idx._codes = np.ascontiguousarray(codes[:indexed])
        idx._words = as_words(idx._codes)
        idx._offsets = offsets.astype(_offset_dtype(layout, indexed), copy=False)
        idx._ids = ids
        if indexed < len(codes):
            idx._tail = [np.ascontiguousarray(codes[indexed:])]
            idx._tail_n = len(codes) - indexed
        return idx
