"""Searching for the same scene among many pictures, with ``verify_scene`` (``jejak.match.scene``) as the
judge: ``SceneRanker`` ranks by scene vectors (``jejak.index.scene``) and verifies the top ``RERANK``, what
the link rule uses; ``SceneMatcher`` shortlists by the robust stage's visual words instead (the scene
benchmark's baseline (b)). Measured by ``benchmarks/scene.py``: see docs/benchmarks.md."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from jejak.hashing.robust import RobustDescriptor
from jejak.index.robust import RobustIndex
from jejak.index.scene import SceneIndex
from jejak.match.scene import SceneEvidence, SceneParams, verify_scene

SHORTLIST = 32
"""Candidates verified per query by ``SceneMatcher``."""
RERANK = 30
"""Candidates of the global ranking ``SceneRanker`` verifies per query."""
ORIENTATION_RATIO = 0.9
"""The mirrored orientation is verified when its vote is at least this fraction of the plain one."""


# --- search ----------------------------------------------------------------------------------------------


class _Index(Protocol):
    def add(self, items: Iterable[tuple[int, RobustDescriptor]]) -> None: ...
    def __len__(self) -> int: ...


class _Searcher:
    """What both searchers share: an index, the reference descriptors by id (kept here, or read through
    ``get_descriptor``) and the verification parameters."""

    def __init__(
        self,
        index: _Index,
        get_descriptor: Callable[[int], RobustDescriptor | None] | None,
        params: SceneParams | None,
    ) -> None:
        self.index = index
        self.params = params or SceneParams()
        self._own: dict[int, RobustDescriptor] = {}
        self._get = get_descriptor if get_descriptor is not None else self._own.get

    def add(self, items: Iterable[tuple[int, RobustDescriptor]]) -> None:
        items = list(items)
        self.index.add(items)
        self._own.update(items)

    def __len__(self) -> int:
        return len(self.index)


class SceneMatcher(_Searcher):
    """Shortlist with a ``RobustIndex``, verify with ``verify_scene``; see the module doc."""

    index: RobustIndex

    def __init__(
        self,
        index: RobustIndex | None = None,
        get_descriptor: Callable[[int], RobustDescriptor | None] | None = None,
        params: SceneParams | None = None,
        shortlist: int = SHORTLIST,
    ) -> None:
        super().__init__(index if index is not None else RobustIndex(), get_descriptor, params)
        self.shortlist = shortlist

    @classmethod
    def build(
        cls,
        items: Sequence[tuple[int, RobustDescriptor]],
        params: SceneParams | None = None,
        shortlist: int = SHORTLIST,
    ) -> SceneMatcher:
        """A matcher that keeps ``items``' descriptors in memory."""
        matcher = cls(RobustIndex.build(items), params=params, shortlist=shortlist)
        matcher._own.update(items)
        return matcher

    def search(
        self, desc: RobustDescriptor, k: int = 10, exclude: int | None = None
    ) -> list[tuple[int, SceneEvidence]]:
        """Up to ``k`` verified scenes, best score first (``exclude``: an id to skip, the query's own)."""
        hits: list[tuple[int, SceneEvidence]] = []
        for cand in self.index.candidates(desc, self.shortlist + (exclude is not None)):
            if cand.ref_id == exclude:
                continue
            ref = self._get(cand.ref_id)
            if ref is None:
                continue
            plain = cand.plain >= ORIENTATION_RATIO * cand.mirror
            mirrored = self.params.mirrored and cand.mirror >= ORIENTATION_RATIO * cand.plain
            ev = verify_scene(desc, ref, self.params, plain=plain, mirrored=mirrored)
            if ev is not None:
                hits.append((cand.ref_id, ev))
        hits.sort(key=lambda h: (-h[1].score, h[0]))
        return hits[:k]


# --- ranking: global vectors, then verification of the top ------------------------------------------------


@dataclass(frozen=True)
class SceneHit:
    """One ranked picture: its global similarity and, when it was among the verified top, the evidence."""

    ref_id: int
    similarity: float
    """Cosine similarity of the scene vectors (``jejak.index.scene``), in [-1, 1]."""
    evidence: SceneEvidence | None
    """``verify_scene``'s evidence when the picture was verified and passed, else None."""
    min_score: float
    """The acceptance threshold the evidence is held to."""

    @property
    def accepted(self) -> bool:
        """A scene link: verified at or above the acceptance threshold."""
        return self.evidence is not None and self.evidence.score >= self.min_score


class SceneRanker(_Searcher):
    """Rank pictures by room: the global index's cosine similarity, with its top ``rerank`` verified
    (``verify_scene``, plain orientation) and the verified ones moved first by score (see the module doc).
    The same descriptors as ``SceneMatcher``; the index holds a 2,048-value vector per picture (4 KB)."""

    index: SceneIndex

    def __init__(
        self,
        index: SceneIndex | None = None,
        get_descriptor: Callable[[int], RobustDescriptor | None] | None = None,
        params: SceneParams | None = None,
        rerank: int = RERANK,
    ) -> None:
        super().__init__(index if index is not None else SceneIndex(), get_descriptor, params)
        self.rerank = rerank

    @classmethod
    def build(
        cls,
        items: Sequence[tuple[int, RobustDescriptor]],
        params: SceneParams | None = None,
        rerank: int = RERANK,
    ) -> SceneRanker:
        """A ranker that keeps ``items``' descriptors in memory."""
        ranker = cls(SceneIndex.build(items), params=params, rerank=rerank)
        ranker._own.update(items)
        return ranker

    def rank(self, desc: RobustDescriptor, k: int = 10, exclude: int | None = None) -> list[SceneHit]:
        """The ``k`` best-ranked pictures: accepted scenes first (score, then similarity, then id), then
        the rest by similarity; ``exclude``: an id to skip (the query's own)."""
        cands = self.index.search(desc, max(k, self.rerank), exclude=exclude)
        floor = self.params.min_score
        hits: list[SceneHit] = []
        for pos, (ref_id, sim) in enumerate(cands):
            ev = None
            if pos < self.rerank:
                ref = self._get(ref_id)
                if ref is not None:
                    ev = verify_scene(desc, ref, self.params, mirrored=False)
            hits.append(SceneHit(ref_id, sim, ev, floor))
        hits.sort(key=lambda h: (not h.accepted, -(h.evidence.score if h.accepted and h.evidence else 0.0)))
        return hits[:k]

    def search(
        self, desc: RobustDescriptor, k: int = 10, exclude: int | None = None
    ) -> list[tuple[int, SceneEvidence]]:
        """Up to ``k`` accepted scenes among the verified top, best score first (``SceneMatcher.search``'s
        form)."""
        out = [(h.ref_id, h.evidence) for h in self.rank(desc, self.rerank, exclude) if h.accepted]
        return [(ref, ev) for ref, ev in out if ev is not None][:k]
