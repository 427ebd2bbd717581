"""Triage a case: one record per distinct content with its status, category, hits, stack and instances."""

from __future__ import annotations

from typing import Any

from jejak.config import Settings
from jejak.match.triage import stacks, triage_records, triage_summary
from jejak.store.sql import Store


def triage_case(store: Store, settings: Settings, case: str) -> list[dict[str, Any]]:
    row = store.get_case(case)
    contents = store.matches.case_contents(row.id)
    variants: dict[int, list[str]] = {}
    if settings.match_dihedral:
        for content_id, algorithm, value, _q in store.matches.case_pdqs(row.id):
            if algorithm != "pdq":
                variants.setdefault(content_id, []).append(value)
    stack_of = stacks(contents, variants, settings.stack_pdq_threshold, settings.match_pdq_quality)
    return triage_records(contents, store.matches.case_hits(row.id), stack_of)


__all__ = ["triage_case", "triage_summary"]
