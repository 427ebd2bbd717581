"""Triage: known, known-good or new for each distinct content, near-duplicate stacks, and the order in which
a reviewer should see them (new material first: it may show a child nobody has identified yet).

Pure functions over rows the store gives; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from jejak.index import PdqIndex, pdq_hex_to_codes
from jejak.model.lists import Category

STATUS_ORDER = {"new": 0, "known": 1, "known_good": 2}
EXACT_ALGORITHMS = frozenset({"md5", "sha1", "sha256"})


def stage_of(algorithm: str) -> str:
    """Which matching stage a hit comes from: exact digests, PDQ, the robust (local-feature) stage, video
    (vPDQ clips, and stills that are frames of a known video) or audio (Chromaprint segments)."""
    if algorithm in EXACT_ALGORITHMS:
        return "exact"
    if algorithm == "pdq":
        return "pdq"
    if algorithm == "vpdq" or algorithm.startswith("vpdq."):
        return "video"
    return "audio" if algorithm == "chromaprint" else "robust"


# Stages whose distance is not a Hamming distance: their evidence says how well they matched.
SCORED_STAGES = frozenset({"robust", "audio"})


FLAG_NAMES = ("victim_identified", "offender_identified", "distributed", "baseline")


class _Union:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def stacks(
    contents: Sequence[dict[str, Any]],
    variants: dict[int, list[str]],
    threshold: int,
    min_quality: int,
) -> dict[int, tuple[int, int]]:
    """content id -> (representative content id, stack size). Contents whose PDQ (or a dihedral variant
    of it) is within ``threshold`` of another's are in one stack, transitively; contents without a usable
    PDQ are stacks of one. Exact copies are already one content."""
    usable = [c for c in contents if c["pdq"] and (c["pdq_quality"] or 0) >= min_quality]
    union = _Union(len(usable))
    if usable:
        index = PdqIndex.build(pdq_hex_to_codes([c["pdq"] for c in usable]))
        queries: list[tuple[int, str]] = []
        for i, c in enumerate(usable):
            queries.append((i, c["pdq"]))
            queries.extend((i, v) for v in variants.get(c["content_id"], []))
        for start in range(0, len(queries), 4096):
            chunk = queries[start : start + 4096]
            found = index.search(pdq_hex_to_codes([q for _i, q in chunk]), max_distance=threshold)
            for (i, _q), (rows, _dist) in zip(chunk, found, strict=True):
                for j in rows.tolist():
                    union.join(i, int(j))
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, c in enumerate(usable):
        groups.setdefault(union.find(i), []).append(c)
    out: dict[int, tuple[int, int]] = {}
    for members in groups.values():
        rep = min(
            members,
            key=lambda c: (-(c["width"] or 0) * (c["height"] or 0), -(c["pdq_quality"] or 0), c["sha256"]),
        )
        for c in members:
            out[c["content_id"]] = (rep["content_id"], len(members))
    for c in contents:
        out.setdefault(c["content_id"], (c["content_id"], 1))
    return out


def _merge_flags(hits: Sequence[dict[str, Any]]) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    for name in FLAG_NAMES:
        values = [h[name] for h in hits if h[name] is not None]
        if values:
            flags[name] = any(values)
    return flags


def reviewer_category(decided: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A reviewer's category as a record shows it: ``{scheme, code, label, by, at, note}``."""
    if decided is None:
        return None
    cat = Category(decided["scheme"], decided["code"])
    return {**cat.as_dict(), "by": decided["by"], "at": decided["at"], "note": decided.get("note")}


def triage_records(
    contents: Sequence[dict[str, Any]],
    hits: Sequence[dict[str, Any]],
    stack_of: dict[int, tuple[int, int]],
    reviewed: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One record per content (docs/output.md, "triage"), new material first, then by stack size.

    ``reviewed`` maps a SHA-256 to the category a reviewer gave the content in this case (``{scheme,
    code, by, at, note}``): it is the record's category whatever the lists say (``category_source``
    "reviewer"); the lists' agreed category stays in ``list_category``, and a reviewer's category that
    differs from a list's is a conflict, as two lists that differ are. It never changes the status: a
    content no list knows stays new."""
    reviewed = reviewed or {}
    by_content: dict[int, list[dict[str, Any]]] = {}
    for h in hits:
        by_content.setdefault(h["content_id"], []).append(h)
    sha_of = {c["content_id"]: c["sha256"] for c in contents}
    records = []
    for c in contents:
        mine = by_content.get(c["content_id"], [])
        known = [h for h in mine if not h["known_good"]]
        status = "known" if known else "known_good" if mine else "new"
        listed = sorted(
            {Category(h["category_scheme"], h["category_code"]) for h in known if h["category_code"]}
        )
        decided = reviewed.get(c["sha256"])
        mine_cat = Category(decided["scheme"], decided["code"]) if decided else None
        cats = sorted({*listed, mine_cat}) if mine_cat else listed
        category, source = (
            (mine_cat, "reviewer") if mine_cat else (listed[0], "list") if len(listed) == 1 else (None, None)
        )
        series = sorted({h["series"] for h in known if h["series"]})
        rep, size = stack_of[c["content_id"]]
        exhibits: dict[str, int] = {}
        for inst in c["instances"]:
            exhibits[inst["exhibit"]] = exhibits.get(inst["exhibit"], 0) + 1
        records.append(
            {
                "sha256": c["sha256"],
                "md5": c["md5"],
                "sha1": c["sha1"],
                "kind": c["kind"],
                "size": c["size"],
                "width": c["width"],
                "height": c["height"],
                "pdq": c["pdq"],
                "pdq_quality": c["pdq_quality"],
                "status": status,
                "category": category.as_dict() if category else None,
                "category_source": source,
                "list_category": listed[0].as_dict() if len(listed) == 1 else None,
                "reviewer_category": reviewer_category(decided),
                "conflict": ({"categories": [cat.as_dict() for cat in cats]} if len(cats) > 1 else None),
                "flags": _merge_flags(known),
                "series": series[0] if len(series) == 1 else None,
                "series_all": series,
                "hits": [
                    {
                        "list": h["list"],
                        "known_good": h["known_good"],
                        "stage": stage_of(h["algorithm"]),
                        "algorithm": h["algorithm"],
                        "distance": (
                            None
                            if stage_of(h["algorithm"]) in SCORED_STAGES or h["algorithm"] == "vpdq"
                            else h["distance"]
                        ),
                        "variant": h["variant"],
                        "evidence": h["evidence"],
                        "entry": {
                            "id": h["entry_id"],
                            "external_id": h["external_id"],
                            "category": (
                                Category(h["category_scheme"], h["category_code"]).as_dict()
                                if h["category_code"]
                                else None
                            ),
                            "series": h["series"],
                        },
                    }
                    for h in mine
                ],
                "stack": {
                    "id": sha_of[rep][:16],
                    "size": size,
                    "representative": rep == c["content_id"],
                },
                "instances": {
                    "count": len(c["instances"]),
                    "deleted": sum(1 for i in c["instances"] if i["deleted"]),
                    "exhibits": exhibits,
                    "paths": [i["path"] for i in c["instances"][:5]],
                },
            }
        )
    records.sort(
        key=lambda r: (
            STATUS_ORDER[r["status"]],
            -r["stack"]["size"],
            r["stack"]["id"],
            not r["stack"]["representative"],
            r["sha256"],
        )
    )
    return records


def triage_summary(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    by_status = {s: 0 for s in STATUS_ORDER}
    by_category: dict[tuple[str, str] | None, int] = {}
    labels: dict[tuple[str, str], dict[str, str]] = {}
    for r in records:
        by_status[r["status"]] += 1
        if r["status"] != "known":
            continue
        cat = r["category"]
        key = (cat["scheme"], cat["code"]) if cat else None
        if cat:
            labels[(cat["scheme"], cat["code"])] = cat
        by_category[key] = by_category.get(key, 0) + 1
    return {
        "contents": len(records),
        "files": sum(r["instances"]["count"] for r in records),
        "by_status": by_status,
        "known_by_category": [
            {"category": labels[k] if k else None, "contents": n}
            for k, n in sorted(by_category.items(), key=lambda kv: (kv[0] is None, kv[0] or ("", "")))
        ],
        "conflicts": sum(1 for r in records if r["conflict"]),
        "reviewer_categorised": sum(1 for r in records if r["category_source"] == "reviewer"),
        "stacks": len({r["stack"]["id"] for r in records}),
        "new_stacks": len({r["stack"]["id"] for r in records if r["status"] == "new"}),
    }
