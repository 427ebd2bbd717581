"""Match a case against every known-hash list: exact digests, then PDQ with its dihedral variants, the
robust stage, and the video and audio stages (services.media), which also link the case's media."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from jejak.config import Settings
from jejak.match.pdq import ListIndex, PdqQuery, best_pdq_hits
from jejak.model.lists import Hit
from jejak.services.graph import link_case
from jejak.services.media import FRAME_NAME, CaseMedia, link_case_media, media_hits
from jejak.services.robust import ALIGNED_NAME, CORROBORATED_NAME, STILL_NAMES, ensure_robust, robust_hits
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


def near_pdqs(
    store: Store,
    settings: Settings,
    index: ListIndex | None,
    stills: Sequence[tuple[int, str]],
    skip: set[tuple[int, int]],
) -> dict[int, list[tuple[int, int]]]:
    """Per content, the (entry, distance) of active list entries within ``robust_corroborated_pdq`` bits of
    its plain PDQ (``stills``: past the quality gate) that no earlier stage hit (``skip``): the pairs whose
    corners may corroborate them (``pdq+aligned``). Empty when that rule is off."""
    if index is None or not stills or settings.robust_aligned_corners <= 0:
        return {}
    queries = [PdqQuery(cid, None, value) for cid, value in stills]
    found = best_pdq_hits(queries, index, settings.robust_corroborated_pdq)
    owner = store.lists.active_entry_lists([entry for _c, entry in found])
    near: dict[int, list[tuple[int, int]]] = {}
    for (cid, entry), (dist, _variant) in sorted(found.items()):
        if entry in owner and (cid, entry) not in skip:
            near.setdefault(cid, []).append((entry, dist))
    return near


def match_case(store: Store, settings: Settings, case: str) -> dict[str, Any]:
    """Recompute the hits of the case's contents against every active list entry."""
    row = store.get_case(case)
    lists = {lst.id: lst for lst in store.lists.all()}
    hits = store.matches.exact_hits(row.id) if lists else []
    report: dict[str, Any] = {"case": case, "lists": len(lists), "index": None, "robust": None}
    pdq_hits: list[Hit] = []
    index: ListIndex | None = None
    stills: list[
        tuple[int, str]
    ] = []  # (content, plain PDQ) past the quality gate: the frame stage's queries
    gated = 0
    pdqs: dict[int, list[str]] = {}  # content -> PDQ and variants past the gate: corroborate the robust stage
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
            pdqs.setdefault(content_id, []).append(value)
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
    case_media = CaseMedia.load(store, row.id)
    media: list[Hit] = []
    if lists:  # video and audio first: a vPDQ hit carries time ranges, keyframes only some times
        skip = {(h.content_id, h.entry_id) for h in hits + pdq_hits}
        media, media_report = media_hits(store, settings, case_media, stills, skip)
        report.update(media_report)
    robust: list[Hit] = []
    if lists and settings.robust_enabled:
        matchers = ensure_robust(store, settings, index_folder(settings))
        if matchers.stills is not None or matchers.frames is not None:
            skip = {(h.content_id, h.entry_id) for h in hits + pdq_hits + media}
            near = near_pdqs(store, settings, index, stills, skip) if matchers.stills is not None else {}
            robust, counts = robust_hits(
                store, settings, row.id, matchers, case_media.keyframes, skip, pdqs, near
            )
            report["robust"] = matchers.report() | counts
    report["links"] = link_case_media(store, settings, row.id, case_media)
    report["graph"] = link_case(store, settings, case)
    all_hits = hits + pdq_hits + robust + media
    store.matches.replace_hits(row.id, all_hits, _now())
    report.update(
        exact_hits=len(hits),
        pdq_hits=len(pdq_hits),
        dihedral_hits=sum(1 for h in pdq_hits if h.variant),
        robust_hits=sum(1 for h in robust if h.algorithm in STILL_NAMES),
        corroborated_hits=sum(1 for h in robust if h.algorithm == CORROBORATED_NAME),
        aligned_hits=sum(1 for h in robust if h.algorithm == ALIGNED_NAME),
        keyframe_hits=sum(1 for h in robust if h.algorithm not in STILL_NAMES),
        video_hits=sum(1 for h in media if h.algorithm == "vpdq"),
        frame_hits=sum(1 for h in media if h.algorithm == FRAME_NAME),
        audio_hits=sum(1 for h in media if h.algorithm == "chromaprint"),
        below_quality=gated,
        contents_hit=len({h.content_id for h in all_hits}),
    )
    return report
