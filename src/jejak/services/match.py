"""Match a case against every known-hash list: exact digests, then PDQ with its dihedral variants."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from jejak.config import Settings
from jejak.match.pdq import ListIndex, PdqQuery, best_pdq_hits
from jejak.model.lists import Hit
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


def match_case(store: Store, settings: Settings, case: str) -> dict[str, Any]:
    """Recompute the hits of the case's contents against every active list entry."""
    row = store.get_case(case)
    lists = {lst.id: lst for lst in store.lists.all()}
    hits = store.matches.exact_hits(row.id) if lists else []
    report: dict[str, Any] = {"case": case, "lists": len(lists), "index": None}
    pdq_hits: list[Hit] = []
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
    all_hits = hits + pdq_hits
    store.matches.replace_hits(row.id, all_hits, _now())
    report.update(
        exact_hits=len(hits),
        pdq_hits=len(pdq_hits),
        dihedral_hits=sum(1 for h in pdq_hits if h.variant),
        below_quality=gated,
        contents_hit=len({h.content_id for h in all_hits}),
    )
    return report
