"""PDQ matching: the persisted index of list entries, and the search that keeps each pair's best variant.

The index holds the PDQ of every list entry ever imported, by entry id, and only grows: entry ids are never
reused, a removed or deleted entry is dropped when its hit is resolved against the store, and new entries are
added incrementally (``checkpoint`` is the highest entry id indexed). It is saved as two arrays (the
PdqIndex file and the entry ids, ``np.save`` without pickle) written under temporary names and swapped
into place, so a reader never sees half an index.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from jejak.errors import StoreError
from jejak.index import PdqIndex, pdq_hex_to_codes

FORMAT = "jejak-list-index"
VERSION = 1


@dataclass
class ListIndex:
    index: PdqIndex
    entry_ids: NDArray[np.int64]
    checkpoint: int  # highest entry id indexed

    @staticmethod
    def build(entry_ids: NDArray[np.int64], codes: NDArray[np.uint8]) -> ListIndex:
        ids = np.asarray(entry_ids, dtype=np.int64)
        return ListIndex(PdqIndex.build(codes), ids, int(ids.max()) if len(ids) else 0)

    def add(self, entry_ids: NDArray[np.int64], codes: NDArray[np.uint8]) -> None:
        if len(entry_ids) == 0:
            return
        self.index.add(codes)
        self.entry_ids = np.concatenate([self.entry_ids, np.asarray(entry_ids, dtype=np.int64)])
        self.checkpoint = max(self.checkpoint, int(np.max(entry_ids)))

    def __len__(self) -> int:
        return len(self.index)

    def search(
        self, hexes: Sequence[str], max_distance: int
    ) -> list[tuple[NDArray[np.int64], NDArray[np.int32]]]:
        """Per query: (entry ids, distances) within ``max_distance``."""
        if not hexes or len(self.index) == 0:
            return [(np.empty(0, np.int64), np.empty(0, np.int32)) for _ in hexes]
        found = self.index.search(pdq_hex_to_codes(list(hexes)), max_distance=max_distance)
        return [(self.entry_ids[rows], dist) for rows, dist in found]

    # -- persistence ----------------------------------------------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.index.meta = {"format": FORMAT, "version": VERSION, "checkpoint": self.checkpoint}
        tmp_index, tmp_ids = folder / "pdq.tmp.npz", folder / "entries.tmp.npy"
        self.index.save(tmp_index)
        np.save(tmp_ids, self.entry_ids, allow_pickle=False)
        # entries first: a crash between the two replaces leaves sizes that disagree, which load() refuses
        os.replace(tmp_ids, folder / "entries.npy")
        os.replace(tmp_index, folder / "pdq.npz")
        (folder / "README.txt").write_text(
            json.dumps({"format": FORMAT, "version": VERSION, "entries": len(self)}) + "\n"
            "Derived data: jejak rebuilds it from the database when it is missing or stale.\n"
        )

    @staticmethod
    def load(folder: Path) -> ListIndex | None:
        """The saved index, or None when there is none or it cannot be used (then rebuild)."""
        if not (folder / "pdq.npz").is_file() or not (folder / "entries.npy").is_file():
            return None
        try:
            idx = PdqIndex.load(folder / "pdq.npz")
            ids = np.load(folder / "entries.npy", allow_pickle=False)
        except (StoreError, OSError, ValueError):
            return None
        meta = idx.meta
        if meta.get("format") != FORMAT or meta.get("version") != VERSION or len(ids) != len(idx):
            return None
        return ListIndex(idx, ids.astype(np.int64, copy=False), int(meta.get("checkpoint", 0)))


@dataclass(frozen=True)
class PdqQuery:
    content_id: int
    variant: str | None  # None: the plain hash; "rot90", "flipx", ...: a dihedral variant
    pdq: str


def best_pdq_hits(
    queries: Sequence[PdqQuery], index: ListIndex, max_distance: int
) -> dict[tuple[int, int], tuple[int, str | None]]:
    """(content id, entry id) -> (distance, variant) of the closest variant of each content to each entry
    within ``max_distance``; at equal distance the plain hash wins, then variants in name order."""
    best: dict[tuple[int, int], tuple[int, str | None]] = {}
    batch = 4096
    for start in range(0, len(queries), batch):
        chunk = queries[start : start + batch]
        found = index.search([q.pdq for q in chunk], max_distance)
        for q, (entries, distances) in zip(chunk, found, strict=True):
            for entry, dist in zip(entries.tolist(), distances.tolist(), strict=True):
                key = (q.content_id, int(entry))
                old = best.get(key)
                if old is None or (dist, q.variant or "") < (old[0], old[1] or ""):
                    best[key] = (int(dist), q.variant)
    return best
