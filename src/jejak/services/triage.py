"""Triage a case: one record per distinct content with its status, category, hits, stack and instances."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from jejak.config import Settings
from jejak.match.triage import stacks, triage_records, triage_summary
from jejak.model.graph import NodeKind, split_key
from jejak.model.lists import Category
from jejak.store.sql import Store


def reviewer_categories(store: Store, case_id: int) -> dict[str, dict[str, Any]]:
    """SHA-256 -> the category a reviewer gave the content in the case (the latest category assertion):
    ``{scheme, code, by, at, note}``. A withdrawn one (negated) gives none; one whose code is no longer
    in its scheme is skipped rather than breaking triage."""
    out: dict[str, dict[str, Any]] = {}
    for subject, a in store.graph.latest_categories(case_id).items():
        try:
            kind, sha = split_key(subject)
            scheme, _sep, code = a.object.partition(":")
            Category(scheme, code)
        except ValueError:
            continue
        if kind is NodeKind.CONTENT and not a.negated:
            out[sha] = {"scheme": scheme, "code": code, "by": a.by, "at": a.at.isoformat(), "note": a.note}
    return out


def triage_case(store: Store, settings: Settings, case: str) -> list[dict[str, Any]]:
    row = store.get_case(case)
    contents = store.matches.case_contents(row.id)
    variants: dict[int, list[str]] = {}
    if settings.match_dihedral:
        for content_id, algorithm, value, _q in store.matches.case_pdqs(row.id):
            if algorithm != "pdq":
                variants.setdefault(content_id, []).append(value)
    stack_of = stacks(contents, variants, settings.stack_pdq_threshold, settings.match_pdq_quality)
    return triage_records(
        contents, store.matches.case_hits(row.id), stack_of, reviewer_categories(store, row.id)
    )


class TriageCache:
    """The triage records of the last few cases read, kept while their ``triage_fingerprint`` stays the same:
    the review UI asks for a case's triage on every page (grid pages, dashboard, item, report), and a case of
    100,000 contents takes seconds to triage, its fingerprint milliseconds. Records are shared: callers must
    not change them."""

    def __init__(self, cases: int = 4) -> None:
        self.cases = cases
        self._lock = threading.Lock()
        self._kept: OrderedDict[str, tuple[tuple[Any, ...], list[dict[str, Any]]]] = OrderedDict()

    def records(self, store: Store, settings: Settings, case: str) -> list[dict[str, Any]]:
        row = store.get_case(case)
        mark = store.matches.triage_fingerprint(row.id)
        with self._lock:
            kept = self._kept.get(row.name)
            if kept is not None and kept[0] == mark:
                self._kept.move_to_end(row.name)
                return kept[1]
        records = triage_case(store, settings, row.name)
        with self._lock:
            self._kept[row.name] = (mark, records)
            self._kept.move_to_end(row.name)
            while len(self._kept) > self.cases:
                self._kept.popitem(last=False)
        return records


__all__ = ["TriageCache", "reviewer_categories", "triage_case", "triage_summary"]
