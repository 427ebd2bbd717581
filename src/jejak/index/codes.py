"""256-bit PDQ codes as numpy rows, and the exact Hamming kernels both indexes share.

A code is one row of a ``uint8`` array of shape ``(n, 32)``: the 32 bytes of the 64-hex PDQ string in
order (``bytes.fromhex(h)``), so the Hamming distance between two hex strings is the distance between their
rows. For arithmetic the rows are viewed, without copying, as 4 little-endian ``uint64`` words each; the
distance is the sum of ``popcount(a ^ b)`` over the words. Which bit lands in which word does not matter to a
Hamming distance, so no byte swapping happens anywhere.

``popcount_sum`` adds the four per-word counts with a SWAR trick on the ``uint8`` output of
``np.bitwise_count`` viewed as one ``uint32`` per row: two masked adds instead of a reduction along a short
axis (which numpy does an order of magnitude slower). ``scan`` is the exact linear search used by the
brute-force index, by the tail of unindexed codes of ``PdqIndex`` and by its fallback for radii where
probing costs more than reading everything.

Search hits are carried as one ``uint64`` key per hit, ``query << 41 | distance << 32 | id``, so that
``sort_unique`` both removes the duplicates multi-index hashing produces and sorts by (query, distance, id);
``split_hits`` turns the sorted keys into the public per-query ``(ids int64, distances int32)`` tuples.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

CODE_BYTES = 32
CODE_BITS = 256
WORDS = 4
MAX_IDS = 2**31 - 1  # ids are stored as int32
MAX_BATCH_QUERIES = 1 << 22  # query numbers fit the 23 bits above distance and id in a hit key

U64 = NDArray[np.uint64]
SearchResult = tuple[NDArray[np.int64], NDArray[np.int32]]

_ID_MASK = np.uint64(0xFFFF_FFFF)
_DIST_MASK = np.uint64(0x1FF)
_POP8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def as_codes(codes: ArrayLike, what: str = "codes") -> NDArray[np.uint8]:
    """``codes`` as a C-contiguous ``uint8`` array of shape (n, 32); raises ``ValueError`` otherwise."""
    arr = np.asarray(codes)
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, CODE_BYTES)
    if arr.dtype != np.uint8 or arr.ndim != 2 or arr.shape[1] != CODE_BYTES:
        raise ValueError(
            f"{what} must be a uint8 array of shape (n, {CODE_BYTES}), got {arr.dtype} {arr.shape}"
        )
    return np.ascontiguousarray(arr)


def as_words(codes: NDArray[np.uint8]) -> U64:
    """(n, 32) uint8 rows as (n, 4) uint64 words (a view when the rows are contiguous)."""
    return np.ascontiguousarray(codes).view("<u8").reshape(-1, WORDS).astype(np.uint64, copy=False)


def check_radius(max_distance: int) -> int:
    if isinstance(max_distance, bool) or not isinstance(max_distance, int | np.integer):
        raise ValueError(f"max_distance must be an int in 0..{CODE_BITS}, got {max_distance!r}")
    r = int(max_distance)
    if not 0 <= r <= CODE_BITS:
        raise ValueError(f"max_distance must be in 0..{CODE_BITS}, got {r}")
    return r


def pdq_hex_to_codes(hexes: Sequence[str]) -> NDArray[np.uint8]:
    """64-hex PDQ strings -> uint8 (n, 32), bytes in string order; ``ValueError`` names a bad entry."""
    items = list(hexes)
    for i, h in enumerate(items):
        if not isinstance(h, str) or len(h) != 2 * CODE_BYTES:
            raise ValueError(f"PDQ hash #{i} is not 64 hex characters: {h!r}")
    try:
        data = bytes.fromhex("".join(items))
    except ValueError:
        data = b""
    if len(data) != CODE_BYTES * len(items):
        for i, h in enumerate(items):
            try:
                if len(bytes.fromhex(h)) == CODE_BYTES:
                    continue
            except ValueError:
                pass
            raise ValueError(f"PDQ hash #{i} is not 64 hex characters: {h!r}") from None
    return np.frombuffer(data, dtype=np.uint8).reshape(len(items), CODE_BYTES).copy()


def codes_to_hex(codes: ArrayLike) -> list[str]:
    """uint8 (n, 32) -> lowercase 64-hex strings (the inverse of ``pdq_hex_to_codes``)."""
    arr = as_codes(codes)
    blob = arr.tobytes().hex()
    step = 2 * CODE_BYTES
    return [blob[i : i + step] for i in range(0, len(blob), step)]


def popcount_sum(x: U64) -> NDArray[np.uint32]:
    """Per row of (k, 4) uint64: the total number of set bits (0..256) as uint32."""
    x = np.ascontiguousarray(x)
    if hasattr(np, "bitwise_count"):  # numpy >= 2.0
        v: NDArray[np.uint32] = np.bitwise_count(x).view(np.uint32).reshape(-1)
        a: NDArray[np.uint32] = (v & np.uint32(0x00FF00FF)) + ((v >> np.uint32(8)) & np.uint32(0x00FF00FF))
        total: NDArray[np.uint32] = (a & np.uint32(0xFFFF)) + (a >> np.uint32(16))
        return total
    total = _POP8[x.view(np.uint8).reshape(-1, CODE_BYTES)].sum(axis=1, dtype=np.uint32)
    return total


def hit_keys(qidx: NDArray[np.integer], ids: NDArray[np.integer], dist: NDArray[np.integer]) -> U64:
    """Hits as sortable keys: query << 41 | distance << 32 | id."""
    keys: U64 = qidx.astype(np.uint64) << np.uint64(41)
    keys |= dist.astype(np.uint64) << np.uint64(32)
    keys |= ids.astype(np.uint64)
    return keys


def sort_unique(keys: U64) -> U64:
    """Sorted distinct keys (``np.unique`` is many times slower on large uint64 arrays in numpy 2.4)."""
    keys = np.sort(keys)
    if len(keys) < 2:
        return keys
    keep = np.empty(len(keys), bool)
    keep[0] = True
    np.not_equal(keys[1:], keys[:-1], out=keep[1:])
    return keys if keep.all() else keys[keep]


def split_hits(keys: U64, nq: int) -> list[SearchResult]:
    """Sorted, unique hit keys of ``nq`` queries -> per query (ids int64, distances int32)."""
    qidx = keys >> np.uint64(41)
    ids = (keys & _ID_MASK).astype(np.int64)
    dist = ((keys >> np.uint64(32)) & _DIST_MASK).astype(np.int32)
    bounds = np.searchsorted(qidx, np.arange(nq + 1, dtype=np.uint64)).tolist()
    return [(ids[bounds[i] : bounds[i + 1]], dist[bounds[i] : bounds[i + 1]]) for i in range(nq)]


def empty_results(nq: int) -> list[SearchResult]:
    return [(np.empty(0, np.int64), np.empty(0, np.int32)) for _ in range(nq)]


def scan(
    words: U64, queries: U64, r: int, first_id: int = 0, query_numbers: NDArray[np.int64] | None = None
) -> U64:
    """Exact linear search: hit keys of every (query, row) pair within ``r``.

    ``words`` are the (n, 4) rows searched, with ids ``first_id + row``; ``queries`` are (q, 4); the key's
    query number is ``query_numbers[j]`` for query ``j`` (default ``j``). Rows are read in blocks that stay
    in cache while a group of queries is compared with them.
    """
    n, nq = len(words), len(queries)
    if n == 0 or nq == 0:
        return np.empty(0, np.uint64)
    qnum = np.arange(nq, dtype=np.int64) if query_numbers is None else query_numbers
    group = max(1, min(nq, 16))
    block = max(1024, min(n, (1 << 17) // group))
    out: list[U64] = []
    limit = np.uint32(r)
    for b0 in range(0, n, block):
        rows = words[b0 : b0 + block]
        for g0 in range(0, nq, group):
            qs = queries[g0 : g0 + group]
            d = popcount_sum(rows[None, :, :] ^ qs[:, None, :]).reshape(len(qs), len(rows))
            qi, ri = np.nonzero(d <= limit)
            if len(qi):
                out.append(hit_keys(qnum[g0 + qi], ri + (b0 + first_id), d[qi, ri]))
    return np.concatenate(out) if out else np.empty(0, np.uint64)
