"""Conformance kit for Hamming range-search indexes over 256-bit codes (``jejak.index``).

Everything is random or constructed bits, nothing real. Generators:

* ``random_codes``: uniform codes, the common case (the benchmark's references);
* ``flip_bits`` / ``near_queries``: a code with an exact number of distinct bits flipped, so a query has a
  known neighbour at a known distance;
* ``adversarial_codes``: sets built to break shortcuts: one code repeated thousands of times, all-zero and
  all-one codes, a dense cluster of codes within a few bits of a centre, codes sharing long runs of bits
  (so whole substrings collide and buckets are huge), low-weight codes near zero, and exact complements.

Checks (raise ``AssertionError`` with the first difference spelled out):

* ``assert_same_results``: two result lists equal, query by query (ids, distances, order, dtypes);
* ``check_index(factory, codes, queries, radii)``: ``factory(codes)`` against ``BruteForceIndex`` at each
  radius (the whole batch, and the first queries one at a time), plus a bit-by-bit recomputation of every
  reported distance;
* ``check_incremental(factory, codes, queries, splits)``: build from the first part then ``add`` the rest in
  steps gives what building at once gives, and ids continue in order;
* ``check_contract``: shapes and dtypes of results, sorted by (distance, id), within the radius.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

from jejak.index import BruteForceIndex
from jejak.index.codes import SearchResult

CODE_BYTES = 32
CODE_BITS = 256


class SearchIndex(Protocol):
    def add(self, codes: NDArray[np.uint8]) -> None: ...

    def search(self, queries: NDArray[np.uint8], max_distance: int = 31) -> list[SearchResult]: ...

    def __len__(self) -> int: ...


Factory = Callable[[NDArray[np.uint8]], SearchIndex]

RADII: tuple[int, ...] = (0, 1, 15, 31, 32, 64, 256)


def random_codes(n: int, seed: int | np.random.Generator = 0) -> NDArray[np.uint8]:
    """``n`` uniformly random codes."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, size=(n, CODE_BYTES), dtype=np.uint8)


def flip_bits(
    codes: NDArray[np.uint8], counts: NDArray[np.integer] | int, rng: np.random.Generator
) -> NDArray[np.uint8]:
    """Copy of ``codes`` with exactly ``counts[i]`` distinct random bits flipped in row ``i``."""
    n = len(codes)
    k = np.broadcast_to(np.asarray(counts), (n,))
    if len(k) and (k.min() < 0 or k.max() > CODE_BITS):
        raise ValueError("flip counts must be in 0..256")
    out = codes.copy()
    for r0 in range(0, n, 4096):  # bounded memory: a (rows, 256) permutation per chunk
        rows = slice(r0, min(n, r0 + 4096))
        perm = np.argsort(rng.random((rows.stop - r0, CODE_BITS)), axis=1)
        flips = np.zeros((rows.stop - r0, CODE_BITS), dtype=bool)
        np.put_along_axis(flips, perm, np.arange(CODE_BITS)[None, :] < k[rows, None], axis=1)
        out[rows] ^= np.packbits(flips, axis=1)
    return out


def near_queries(
    refs: NDArray[np.uint8], count: int, max_flips: int, rng: np.random.Generator
) -> NDArray[np.uint8]:
    """``count`` queries, each a random reference with 0..``max_flips`` random bits flipped."""
    if len(refs) == 0:
        return np.empty((0, CODE_BYTES), np.uint8)
    picked = refs[rng.integers(0, len(refs), size=count)]
    return flip_bits(picked, rng.integers(0, max_flips + 1, size=count), rng)


def hamming(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.int64]:
    """Distances between rows of ``a`` and ``b`` (broadcasting), counted bit by bit: the slow oracle."""
    bits: NDArray[np.uint8] = np.unpackbits(a ^ b, axis=-1)
    out: NDArray[np.int64] = bits.sum(axis=-1, dtype=np.int64)
    return out


def adversarial_codes(seed: int = 0) -> dict[str, NDArray[np.uint8]]:
    """Named sets of hard codes (a few thousand each); concatenate them with random ones as a haystack."""
    rng = np.random.default_rng(seed)
    centre = random_codes(1, rng)
    shared = random_codes(1, rng)
    half = np.repeat(shared, 1500, axis=0)  # every code equal on its first 128 bits: whole tables collide
    half[:, 16:] = random_codes(1500, rng)[:, 16:]
    low = np.zeros((1500, CODE_BYTES), np.uint8)
    ones = np.full((300, CODE_BYTES), 255, np.uint8)
    comp = random_codes(200, rng)
    return {
        "duplicates": np.repeat(random_codes(1, rng), 3000, axis=0),
        "zeros": np.zeros((500, CODE_BYTES), np.uint8),
        "ones": ones,
        "cluster": flip_bits(np.repeat(centre, 3000, axis=0), rng.integers(0, 6, size=3000), rng),
        "wide-cluster": flip_bits(np.repeat(centre, 1500, axis=0), rng.integers(20, 40, size=1500), rng),
        "half-shared": half,
        "low-weight": flip_bits(low, rng.integers(1, 4, size=1500), rng),
        "near-ones": flip_bits(ones, rng.integers(1, 33, size=300), rng),
        "complements": np.concatenate([comp, ~comp]),
    }


def adversarial_queries(sets: dict[str, NDArray[np.uint8]], rng: np.random.Generator) -> NDArray[np.uint8]:
    """Queries aimed at the adversarial sets: their members, near copies, all-zero/all-one, complements."""
    parts = [np.zeros((1, CODE_BYTES), np.uint8), np.full((1, CODE_BYTES), 255, np.uint8)]
    for codes in sets.values():
        parts.append(codes[rng.integers(0, len(codes), size=3)])
        parts.append(near_queries(codes, 3, 40, rng))
        parts.append(~codes[rng.integers(0, len(codes), size=1)])
    return np.concatenate(parts)


def check_contract(results: Sequence[SearchResult], nq: int, max_distance: int, n: int) -> None:
    """Each result: (int64 ids in 0..n-1, int32 distances <= max_distance), sorted by (distance, id)."""
    assert len(results) == nq, f"{len(results)} results for {nq} queries"
    for i, (ids, dist) in enumerate(results):
        assert isinstance(ids, np.ndarray) and ids.dtype == np.int64 and ids.ndim == 1, (
            f"query {i}: ids {ids!r}"
        )
        assert isinstance(dist, np.ndarray) and dist.dtype == np.int32, (
            f"query {i}: distances dtype {dist.dtype}"
        )
        assert ids.shape == dist.shape, f"query {i}: {ids.shape} ids, {dist.shape} distances"
        if len(ids):
            assert ids.min() >= 0 and ids.max() < n, f"query {i}: id out of 0..{n - 1}"
            assert dist.min() >= 0 and dist.max() <= max_distance, (
                f"query {i}: distance beyond {max_distance}"
            )
            order = np.lexsort((ids, dist))
            assert (order == np.arange(len(ids))).all(), f"query {i}: not sorted by (distance, id)"
            assert len(np.unique(ids)) == len(ids), f"query {i}: duplicate ids"


def assert_same_results(got: Sequence[SearchResult], want: Sequence[SearchResult], context: str = "") -> None:
    """Equal query by query; the message names the query and the ids only one side has."""
    where = f" ({context})" if context else ""
    assert len(got) == len(want), f"{len(got)} results, expected {len(want)}{where}"
    for i, ((gi, gd), (wi, wd)) in enumerate(zip(got, want, strict=True)):
        if np.array_equal(gi, wi) and np.array_equal(gd, wd):
            continue
        extra = sorted(set(gi.tolist()) - set(wi.tolist()))[:10]
        missing = sorted(set(wi.tolist()) - set(gi.tolist()))[:10]
        raise AssertionError(
            f"query {i}{where}: {len(gi)} hits, expected {len(wi)}; extra ids {extra}, missing ids {missing}"
            + ("" if extra or missing else f"; distances {gd[:10].tolist()} vs {wd[:10].tolist()}")
        )


def check_index(
    factory: Factory,
    codes: NDArray[np.uint8],
    queries: NDArray[np.uint8],
    radii: Iterable[int] = RADII,
    oracle_distances: bool = True,
) -> SearchIndex:
    """``factory(codes)`` answers like ``BruteForceIndex`` at every radius; returns the built index.

    With ``oracle_distances`` every reported distance is also recomputed bit by bit (``hamming``), so the
    reference itself is checked.
    """
    index = factory(codes)
    reference = BruteForceIndex.build(codes)
    assert len(index) == len(codes), f"len {len(index)}, built from {len(codes)} codes"
    for r in radii:
        got = index.search(queries, max_distance=r)
        check_contract(got, len(queries), r, len(codes))
        want = reference.search(queries, max_distance=r)
        assert_same_results(got, want, f"radius {r}")
        for i in range(min(3, len(queries))):  # one query alone: batches of one, possibly no candidates
            assert_same_results(
                index.search(queries[i : i + 1], r), want[i : i + 1], f"query {i} alone, r {r}"
            )
        if oracle_distances:
            for i, (ids, dist) in enumerate(got):
                exact = hamming(codes[ids], queries[i][None, :])
                assert (exact == dist).all(), f"query {i}, radius {r}: a reported distance is wrong"
    return index


def check_incremental(
    factory: Factory,
    codes: NDArray[np.uint8],
    queries: NDArray[np.uint8],
    splits: Sequence[int],
    radii: Iterable[int] = (0, 15, 31, 64),
) -> SearchIndex:
    """Build from ``codes[:splits[0]]``, ``add`` up to each further split and then the rest: the results
    equal those of ``factory(codes)`` (same ids: build order continues) after the last step."""
    bounds = [0, *splits, len(codes)]
    assert bounds == sorted(bounds), "splits must ascend within 0..len(codes)"
    index = factory(codes[: bounds[1]])
    for a, b in itertools.pairwise(bounds[1:]):
        index.add(codes[a:b])
        assert len(index) == b, f"len {len(index)} after adding up to {b}"
    whole = factory(codes)
    for r in radii:
        assert_same_results(index.search(queries, r), whole.search(queries, r), f"incremental, radius {r}")
    return index
