"""The reference twin of ``PdqIndex``: every query compared with every code, nothing else.

Same API (``build``, ``add``, ``search``, ``len``, ``meta``, ``save``/``load``) and the same results; it is
what the conformance kit (``jejak.testing.indexkit``) and the benchmark hold ``PdqIndex`` to. Its search is
``codes.scan``: blocks of rows that stay in cache, xor and ``bitwise_count`` against a group of queries.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from jejak.index.codes import (
    MAX_IDS,
    SearchResult,
    as_codes,
    as_words,
    check_radius,
    scan,
    split_hits,
)
from jejak.index.storage import load_index, save_index

KIND = "brute"


class BruteForceIndex:
    """Linear-scan Hamming range search over 256-bit codes (uint8 rows of 32 bytes)."""

    def __init__(self) -> None:
        self.meta: dict[str, Any] = {}
        self._chunks: list[NDArray[np.uint8]] = []
        self._n = 0

    @classmethod
    def build(cls, codes: ArrayLike) -> BruteForceIndex:
        idx = cls()
        idx.add(codes)
        return idx

    def add(self, codes: ArrayLike) -> None:
        new = as_codes(codes)
        if self._n + len(new) > MAX_IDS:
            raise ValueError(f"an index holds at most {MAX_IDS} codes")
        if len(new):
            self._chunks.append(new.copy())
            self._n += len(new)

    def __len__(self) -> int:
        return self._n

    @property
    def codes(self) -> NDArray[np.uint8]:
        """All codes in id order."""
        if len(self._chunks) != 1:
            self._chunks = [np.concatenate(self._chunks)] if self._chunks else [np.empty((0, 32), np.uint8)]
        return self._chunks[0]

    def nbytes(self) -> int:
        return sum(c.nbytes for c in self._chunks)

    def search(self, queries: ArrayLike, max_distance: int = 31) -> list[SearchResult]:
        q = as_codes(queries, "queries")
        r = check_radius(max_distance)
        if len(q) == 0:
            return []
        return split_hits(np.sort(scan(as_words(self.codes), as_words(q), r)), len(q))

    def save(self, path: str | os.PathLike[str]) -> None:
        save_index(path, KIND, {}, self.meta, {"codes": self.codes})

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> BruteForceIndex:
        from jejak.errors import StoreError

        _, meta, arrays = load_index(path, KIND, {"codes": ("u", 2)})
        codes = arrays["codes"]
        if codes.dtype != np.uint8 or codes.shape[1] != 32:
            raise StoreError(f"{path}: codes are {codes.dtype} {codes.shape}: corrupt index")
        idx = cls()
        idx.meta = meta
        idx.add(codes)
        return idx
