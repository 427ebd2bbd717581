"""Match a case against every known-hash list: exact digests, then PDQ with its dihedral variants, the
robust stage, and the video and audio stages (services.media), which also link the case's media."""

from __future__ import annotations

import hashlib
import os
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from jejak.config import Settings
from jejak.errors import StoreError
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.hashing.robust import RobustDescriptor
from jejak.index.robust import RobustIndex
from jejak.match.pdq import ListIndex, PdqQuery, best_pdq_hits
from jejak.match.robust import RobustHit, RobustMatcher
from jejak.model.lists import Hit
from jejak.services.media import FRAME_NAME, CaseMedia, link_case_media, media_hits
from jejak.store.sql import Store


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def index_folder(settings: Settings) -> Path:
    """Where the PDQ list index of this database lives."""
    if settings.index_dir:
        return Path(settings.index_dir)
    url = make_url(settings.db)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(os.path.abspath(url.database) + ".index")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "jejak" / "index"
    tag = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return base / tag


def ensure_index(store: Store, settings: Settings) -> tuple[ListIndex, str]:
    """The list index, brought up to date with the store: loaded, extended with entries added since its
    checkpoint, or rebuilt when missing, unreadable, or mostly made of deleted entries. Returns the index
    and what was done (loaded, extended, built)."""
    folder = index_folder(settings)
    active, top = store.lists.active_pdq_count()
    idx = ListIndex.load(folder)
    action = "loaded"
    if idx is not None and (top < idx.checkpoint or len(idx) > 2 * active + 10_000):
        idx = None  # the store went back (restored?) or most indexed entries are gone: start again
    if idx is None:
        idx = ListIndex.build(*store.lists.pdq_entries())
        action = "built"
    elif top > idx.checkpoint:
        idx.add(*store.lists.pdq_entries(after_id=idx.checkpoint))
        action = "extended"
    if action != "loaded":
        idx.save(folder)
    return idx, action


def ensure_robust(store: Store, settings: Settings) -> tuple[RobustMatcher | None, str, int]:
    """The robust-stage matcher over every list entry built from media, or None when there are none.
    Its index is persisted beside the PDQ index with the same rules (grows, checkpointed, rebuilt when
    missing or unreadable); the reference descriptors are read from the store. Also returns the number of
    list entries skipped because their descriptor has another version (rebuild those lists to use them)."""
    n, top = store.lists.descriptor_count(ROBUST_NAME)
    if n == 0:
        return None, "none", 0
    folder = index_folder(settings)
    path = folder / "robust.npz"
    index: RobustIndex | None = None
    action = "loaded"
    try:
        index = RobustIndex.load(path)
        checkpoint = int(index.meta.get("checkpoint", 0))
    except StoreError:
        index, checkpoint = None, 0
    if index is not None and (top < checkpoint or len(index) > 2 * n + 1000):
        index, checkpoint = None, 0
    refs: dict[int, RobustDescriptor] = {}
    stale = 0
    for entry_id, blob in store.lists.entry_descriptors(ROBUST_NAME):
        try:
            refs[entry_id] = RobustDescriptor.from_bytes(blob)
        except ValueError:
            stale += 1  # another descriptor version: rebuild the list from its media to use it
    if index is None:
        index = RobustIndex.build(sorted(refs.items()))
        action = "built"
    elif top > checkpoint:
        index.add(sorted((i, d) for i, d in refs.items() if i > checkpoint))
        action = "extended"
    if action != "loaded":
        folder.mkdir(parents=True, exist_ok=True)
        index.meta = {"checkpoint": top}
        index.save(path)
    return RobustMatcher(index, refs.get, shortlist=settings.robust_shortlist), action, stale


def robust_hits(
    store: Store, settings: Settings, case_id: int, matcher: RobustMatcher, skip: set[tuple[int, int]]
) -> tuple[list[Hit], int, int]:
    """Robust-stage hits of the case's described contents (pairs in ``skip`` are already hit), the
    number of contents searched, and the number skipped because their descriptor has another version
    (described by an older jejak: re-ingest the evidence to search them)."""
    found: list[tuple[int, int, RobustHit]] = []
    searched = stale = 0
    for content_id, blob in store.matches.case_descriptors(case_id, ROBUST_NAME):
        try:
            desc = RobustDescriptor.from_bytes(blob)
        except ValueError:
            stale += 1
            continue
        searched += 1
        for hit in matcher.search(desc, settings.robust_min_score):
            if (content_id, hit.ref_id) not in skip:
                found.append((content_id, hit.ref_id, hit))
    owner = store.lists.active_entry_lists([entry for _c, entry, _h in found])
    hits = []
    for content_id, entry, hit in found:
        lid = owner.get(entry)
        if lid is not None:
            evidence = asdict(hit.evidence)
            hits.append(Hit(content_id, entry, lid, ROBUST_NAME, 0, None, evidence))
    return hits, searched, stale


def match_case(store: Store, settings: Settings, case: str) -> dict[str, Any]:
    """Recompute the hits of the case's contents against every active list entry."""
    row = store.get_case(case)
    lists = {lst.id: lst for lst in store.lists.all()}
    hits = store.matches.exact_hits(row.id) if lists else []
    report: dict[str, Any] = {"case": case, "lists": len(lists), "index": None, "robust": None}
    pdq_hits: list[Hit] = []
    stills: list[
        tuple[int, str]
    ] = []  # (content, plain PDQ) past the quality gate: the frame stage's queries
    gated = 0
    if lists:
        thresholds = {
            lid: (lst.pdq_threshold if lst.pdq_threshold is not None else settings.match_pdq_threshold)
            for lid, lst in lists.items()
        }
        queries: list[PdqQuery] = []
        for content_id, algorithm, value, quality in store.matches.case_pdqs(row.id):
            if (quality or 0) < settings.match_pdq_quality:
                gated += algorithm == "pdq"
                continue
            variant = algorithm.partition(".")[2] or None
            if variant is None:
                stills.append((content_id, value))
            if variant is not None and not settings.match_dihedral:
                continue
            queries.append(PdqQuery(content_id, variant, value))
        if queries:
            index, action = ensure_index(store, settings)
            report["index"] = {"action": action, "entries": len(index)}
            best = best_pdq_hits(queries, index, max(thresholds.values()))
            owner = store.lists.active_entry_lists([entry for _c, entry in best])
            exact = {(h.content_id, h.entry_id) for h in hits}
            for (content_id, entry), (dist, variant) in sorted(best.items()):
                lid = owner.get(entry)
                if lid is not None and dist <= thresholds[lid] and (content_id, entry) not in exact:
                    pdq_hits.append(Hit(content_id, entry, lid, "pdq", dist, variant))
    robust: list[Hit] = []
    if lists and settings.robust_enabled:
        matcher, action, stale_entries = ensure_robust(store, settings)
        if matcher is not None:
            skip = {(h.content_id, h.entry_id) for h in hits + pdq_hits}
            robust, searched, stale = robust_hits(store, settings, row.id, matcher, skip)
            report["robust"] = {
                "action": action,
                "references": len(matcher),
                "searched": searched,
                "stale": stale,
                "stale_entries": stale_entries,
            }
    media: list[Hit] = []
    case_media = CaseMedia.load(store, row.id)
    if lists:
        skip = {(h.content_id, h.entry_id) for h in hits + pdq_hits + robust}
        media, media_report = media_hits(store, settings, case_media, stills, skip)
        report.update(media_report)
    report["links"] = link_case_media(store, settings, row.id, case_media)
    all_hits = hits + pdq_hits + robust + media
    store.matches.replace_hits(row.id, all_hits, _now())
    report.update(
        exact_hits=len(hits),
        pdq_hits=len(pdq_hits),
        dihedral_hits=sum(1 for h in pdq_hits if h.variant),
        robust_hits=len(robust),
        video_hits=sum(1 for h in media if h.algorithm == "vpdq"),
        frame_hits=sum(1 for h in media if h.algorithm == FRAME_NAME),
        audio_hits=sum(1 for h in media if h.algorithm == "chromaprint"),
        below_quality=gated,
        contents_hit=len({h.content_id for h in all_hits}),
    )
    return report
