"""The robust stage of matching: local-feature verification of the case's stills and video keyframes
against list entries built from media (stills and the keyframes of known videos).

Two matchers are kept beside the PDQ list index, with the same rules (they only grow, are checkpointed by
entry id, and are rebuilt when missing, unreadable or mostly garbage): ``robust.npz`` over the entries'
still descriptors (``orb``) and ``keyframes.npz`` over their videos' keyframes (``orb.frames``, ids
``entry * SLOTS + k``). Reference descriptors are read from the store, not kept in the index files.

Hits, by algorithm: ``orb`` (a still verified against a known still), ``orb.frame`` (a still verified
against a keyframe of a known video, with the keyframe's time), ``orb.frames`` (a video whose keyframes
verified against a known still or video: ``match.keyframes`` says how many are needed), ``orb+pdq`` (a still
verified against a known still more weakly than ``robust_min_score`` asks, corroborated by a close PDQ),
``pdq+aligned`` (a still whose plain PDQ came near a known still's, past ``match_pdq_threshold``, with the
still's corners in the same places: ``aligned``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from jejak.config import Settings
from jejak.errors import StoreError
from jejak.hashing.keyframes import NAME as KEYFRAMES_NAME
from jejak.hashing.keyframes import KeyframeSet
from jejak.hashing.pdq import pdq_distance
from jejak.hashing.robust import ENLARGED_NAME, RobustDescriptor, query_pair
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.index.robust import RobustIndex
from jejak.match.keyframes import (
    STILL_NAME,
    KeyframeRefs,
    accepted,
    evidence,
    search,
    search_video,
    still_evidence,
)
from jejak.match.robust import RobustMatcher, aligned
from jejak.model.lists import Hit
from jejak.store.sql import Store

CORROBORATED_NAME = "orb+pdq"
"""A still verified with a score under ``robust_min_score`` whose PDQ also came close (``corroborated``)."""
ALIGNED_NAME = "pdq+aligned"
"""A still whose plain PDQ came near a known still's (past the PDQ threshold, within
``robust_corroborated_pdq``) and that has at least ``robust_aligned_corners`` of its corners in place."""
STILL_NAMES = frozenset({ROBUST_NAME, CORROBORATED_NAME, ALIGNED_NAME})
"""The robust stage's algorithms for a still against a known still."""


@dataclass
class ListMatchers:
    """The robust stage's matchers over list entries: stills and video keyframes (None when no entry has
    that kind of descriptor), what was done to their indexes, and entries skipped as stale."""

    stills: RobustMatcher | None
    frames: RobustMatcher | None
    keyframes: KeyframeRefs
    actions: dict[str, str]
    stale_entries: int

    def report(self) -> dict[str, Any]:
        return {
            "action": self.actions.get(ROBUST_NAME, "none"),
            "keyframe_action": self.actions.get(KEYFRAMES_NAME, "none"),
            "references": len(self.stills) if self.stills is not None else 0,
            "reference_videos": len(self.keyframes.counts),
            "stale_entries": self.stale_entries,
        }


def _persisted(
    store: Store,
    folder: Path,
    algorithm: str,
    filename: str,
    expand: Callable[[int, bytes], list[tuple[int, RobustDescriptor]]],
    shortlist: int,
) -> tuple[RobustMatcher | None, str, int]:
    """A matcher over every entry descriptor of ``algorithm`` (``expand``: an entry's blob -> its index
    items; ValueError for a stale one), its index loaded from ``folder / filename``, extended past its
    checkpoint (an entry id), or rebuilt."""
    n, top = store.lists.descriptor_count(algorithm)
    if n == 0:
        return None, "none", 0
    path = folder / filename
    index: RobustIndex | None = None
    action = "loaded"
    try:
        index = RobustIndex.load(path)
        checkpoint = int(index.meta.get("checkpoint", 0))
    except StoreError:
        index, checkpoint = None, 0
    refs: dict[int, RobustDescriptor] = {}
    new: list[tuple[int, RobustDescriptor]] = []
    stale = 0
    for entry_id, blob in store.lists.entry_descriptors(algorithm):
        try:
            items = expand(entry_id, blob)
        except ValueError:
            stale += 1  # another descriptor version: rebuild the list from its media to use it
            continue
        refs.update(items)
        if entry_id > checkpoint:
            new += items
    if index is not None and (top < checkpoint or len(index) > 2 * len(refs) + 1000):
        index = None
    if index is None:
        index = RobustIndex.build(sorted(refs.items()))
        action = "built"
    elif top > checkpoint:
        index.add(sorted(new))
        action = "extended"
    if action != "loaded":
        folder.mkdir(parents=True, exist_ok=True)
        index.meta = {"checkpoint": top}
        index.save(path)
    return RobustMatcher(index, refs.get, shortlist=shortlist), action, stale


def ensure_robust(store: Store, settings: Settings, folder: Path) -> ListMatchers:
    """The robust stage's matchers over the list entries built from media (see the module doc)."""
    keyframes = KeyframeRefs()

    def still(entry_id: int, blob: bytes) -> list[tuple[int, RobustDescriptor]]:
        return [(entry_id, RobustDescriptor.from_bytes(blob))]

    def video(entry_id: int, blob: bytes) -> list[tuple[int, RobustDescriptor]]:
        return keyframes.add(entry_id, KeyframeSet.from_bytes(blob))

    shortlist = settings.robust_shortlist
    stills, a1, s1 = _persisted(store, folder, ROBUST_NAME, "robust.npz", still, shortlist)
    frames, a2, s2 = _persisted(store, folder, KEYFRAMES_NAME, "keyframes.npz", video, shortlist)
    return ListMatchers(stills, frames, keyframes, {ROBUST_NAME: a1, KEYFRAMES_NAME: a2}, s1 + s2)


def robust_hits(
    store: Store,
    settings: Settings,
    case_id: int,
    lists: ListMatchers,
    videos: dict[int, KeyframeSet],
    skip: set[tuple[int, int]],
    pdqs: Mapping[int, Sequence[str]] | None = None,
    near: Mapping[int, Sequence[tuple[int, int]]] | None = None,
) -> tuple[list[Hit], dict[str, int]]:
    """Robust-stage hits of the case's described stills and of its videos' keyframes (``videos``), pairs
    in ``skip`` being already hit, and counts of what was searched (contents skipped because their
    descriptor has another version: re-ingest the evidence to search them). ``pdqs``: the PDQ hashes
    (plain and dihedral variants) of the contents past the quality gate, which may corroborate a weaker
    verification of a still against a still (``orb+pdq``, see ``corroborated``). ``near``: per content, the
    (entry, distance) of entries whose PDQ came near its plain PDQ without a PDQ hit, which its corners
    may corroborate (``pdq+aligned``, see ``aligned_hits``)."""
    found: list[tuple[int, int, str, dict[str, Any]]] = []
    near_descs: dict[int, RobustDescriptor] = {}
    weak: list[tuple[int, int, dict[str, Any]]] = []
    searched = stale = 0
    min_score = settings.robust_min_score
    still_score = min_score if pdqs is None else min(min_score, settings.robust_corroborated_score)
    if lists.stills is not None or lists.frames is not None:
        for content_id, blob, extra in store.matches.case_descriptor_pairs(
            case_id, ROBUST_NAME, ENLARGED_NAME
        ):
            try:
                desc, big = query_pair(blob, extra)
            except ValueError:
                stale += 1
                continue
            searched += 1
            if near and content_id in near:
                near_descs[content_id] = desc
            if lists.stills is not None:
                for entry, fh in search(desc, None, lists.stills, None, still_score, enlarged=big).items():
                    if fh.hit.score >= min_score:
                        found.append((content_id, entry, ROBUST_NAME, asdict(fh.hit.evidence)))
                    elif content_id in (pdqs or {}):
                        weak.append((content_id, entry, asdict(fh.hit.evidence)))
            if lists.frames is not None:
                for entry, fh in search(
                    desc, None, lists.frames, lists.keyframes, min_score, enlarged=big
                ).items():
                    found.append((content_id, entry, STILL_NAME, still_evidence(fh)))
    for content_id, keys in videos.items():
        searched += 1
        if lists.stills is not None:
            for entry, pairs in search_video(keys, lists.stills, None, min_score).items():
                if accepted(pairs, len(keys), None):
                    found.append((content_id, entry, KEYFRAMES_NAME, evidence(pairs, len(keys), None)))
        if lists.frames is not None:
            for entry, pairs in search_video(keys, lists.frames, lists.keyframes, min_score).items():
                n_ref = lists.keyframes.counts.get(entry, 0)
                if accepted(pairs, len(keys), n_ref):
                    found.append((content_id, entry, KEYFRAMES_NAME, evidence(pairs, len(keys), n_ref)))
    if weak and pdqs:
        found += corroborated(store, settings, weak, pdqs)
    if near and lists.stills is not None:  # near_descs: the contents of near that have a descriptor
        have = {(cid, entry) for cid, entry, _a, _e in found}
        todo = {
            (cid, desc): [(e, d) for e, d in near[cid] if (cid, e) not in have]
            for cid, desc in near_descs.items()
        }
        found += aligned_hits(lists.stills, settings.robust_aligned_corners, todo)
    best: dict[tuple[int, int], tuple[str, dict[str, Any]]] = {}
    for cid, entry, alg, ev in found:  # a known video that is also a known still: keep the stronger
        pair = (cid, entry)
        if pair not in skip and (pair not in best or ev["score"] > best[pair][1]["score"]):
            best[pair] = (alg, ev)
    owner = store.lists.active_entry_lists([entry for _c, entry in best])
    hits = [
        Hit(cid, entry, owner[entry], alg, 0, None, ev)
        for (cid, entry), (alg, ev) in sorted(best.items())
        if entry in owner
    ]
    return hits, {"searched": searched, "stale": stale}


def aligned_hits(
    stills: RobustMatcher,
    min_corners: int,
    near: Mapping[tuple[int, RobustDescriptor], Sequence[tuple[int, int]]],
) -> list[tuple[int, int, str, dict[str, Any]]]:
    """The pairs of ``near`` ((content, its descriptor) -> (entry, PDQ distance)) whose entry has at least
    ``min_corners`` corners in the same place in the content (``aligned``): a PDQ a little too far to be a
    hit alone, corroborated by the corners of a picture that was not moved, cropped or turned. On the
    robustness benchmark this finds the recompressed and noisy copies of stripes and checkerboards that the
    verification cannot tell apart from each other (docs/benchmarks.md). Evidence: ``score`` and
    ``aligned`` (the corners in place), ``corners`` (the entry's), ``pdq_distance``, and the identity
    transform (rotation 0, the pictures' size ratio as ``scale``)."""
    out = []
    for (cid, desc), pairs in near.items():
        for entry, dist in pairs:
            ref = stills.descriptor(entry)
            if ref is None:
                continue
            n = aligned(desc, ref)
            if n >= min_corners:
                ev = {
                    "score": n,
                    "aligned": n,
                    "corners": len(ref),
                    "pdq_distance": dist,
                    "rotation_deg": 0.0,
                    "scale": round(desc.width / ref.width, 4) if ref.width else 1.0,
                    "mirrored": False,
                }
                out.append((cid, entry, ALIGNED_NAME, ev))
    return out


def corroborated(
    store: Store,
    settings: Settings,
    weak: Sequence[tuple[int, int, dict[str, Any]]],
    pdqs: Mapping[int, Sequence[str]],
) -> list[tuple[int, int, str, dict[str, Any]]]:
    """The weaker verifications (``robust_corroborated_score`` up to ``robust_min_score``) of a content
    against an entry whose PDQ also comes close: the closest of the content's variants within
    ``robust_corroborated_pdq`` bits. Two signals that are each too weak alone: on the robustness benchmark
    an impostor pair almost never has both (docs/benchmarks.md). Evidence: the verification's, plus
    ``pdq_distance``."""
    entry_pdq = store.lists.entry_pdqs([entry for _c, entry, _e in weak])
    out = []
    for cid, entry, ev in weak:
        ref = entry_pdq.get(entry)
        if ref is None:
            continue
        dist = min(pdq_distance(h, ref) for h in pdqs[cid])
        if dist <= settings.robust_corroborated_pdq:
            out.append((cid, entry, CORROBORATED_NAME, {**ev, "pdq_distance": dist}))
    return out
