"""The triage grid of a case: one tile per near-duplicate stack (new material first, as triage orders it),
filtered by status and exhibit, 120 tiles a page; each tile the blurred preview, status, effective
category (a conflict marked) and best hit stage; details beside the grid on hover or focus; reveal,
categorise (one content or its whole stack), assert and note from the keyboard (static/triage.js, through
the API: every change is the API's, with its permissions and audit entries).

The records are ``services.triage.triage_case``'s (docs/output.md, "jejak triage"); reading the page is
one ``case_view`` audit entry (``api.cases.read_case``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from math import ceil
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jejak.api.cases import STATUSES, owner, read_case
from jejak.api.context import ctx
from jejak.errors import ConfigError, NotFound
from jejak.match.triage import STATUS_ORDER
from jejak.model.lists import SCHEMES
from jejak.services.accounts import Perm, Principal
from jejak.services.review import case_scheme, valid_codes
from jejak.store.sql import CaseRow
from jejak.web.cases import triage_of
from jejak.web.render import category_label, page
from jejak.web.session import Viewer

router = APIRouter()

PAGE_SIZE = 120
STAGES = ("exact", "pdq", "video", "robust", "audio")
"""Matching stages, the most certain first: a tile shows its best hit's."""
STATUS_LABELS = {"new": "new", "known": "known", "known_good": "known-good"}
KEYS = "1234567890"


# -- what the pages show of a record ----------------------------------------------------------------------
def best_hit(rec: dict[str, Any]) -> dict[str, Any] | None:
    """The hit a tile names: a known list's before a known-good one's, then the most certain stage."""
    hits: list[dict[str, Any]] = rec["hits"]
    if not hits:
        return None
    return min(hits, key=lambda h: (h["known_good"], STAGES.index(h["stage"]) if h["stage"] in STAGES else 9))


def _s(value: Any) -> str:
    """Seconds, shortly: 12.3 s."""
    try:
        return f"{float(value):.1f} s"
    except (TypeError, ValueError):
        return "?"


def _ranges(ranges: Iterable[Sequence[float]] | None) -> str:
    return ", ".join(f"{_s(r[0])[:-2]}–{_s(r[1])}" for r in ranges or () if len(r) == 2) or "none"


def _pct(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f} %"
    except (TypeError, ValueError):
        return "?"


def describe_evidence(hit: dict[str, Any]) -> list[str]:
    """The evidence of a hit (or a link), in words: distance and variant, the robust stage's inliers and
    transform, the video stage's shares and matched time ranges, the audio stage's shared segments."""
    ev: dict[str, Any] = dict(hit.get("evidence") or {})
    algorithm = str(hit.get("algorithm") or hit.get("rule") or "")
    out: list[str] = []
    distance = hit.get("distance")
    if distance is None and isinstance(ev.get("distance"), int | float):  # a link's (pdq rule)
        distance = ev.pop("distance")
    if distance is not None:
        line = f"distance {distance} bits"
        if hit.get("variant"):
            line += f", matched as {hit['variant']} (rotated or mirrored copy)"
        out.append(line if hit.get("stage") != "exact" else f"identical bytes ({algorithm})")
    if "at" in ev and ("by" in ev or "case" in ev):  # an investigator's assertion (by: unless redacted)
        when = str(ev.pop("at") or "")[:16].replace("T", " ")
        by, case = ev.pop("by", None), ev.pop("case", None)
        out.append("asserted" + (f" by {by}" if by else "") + f", {when}" + (f", in {case}" if case else ""))
        if ev.get("note"):
            out.append(f"note: {ev.pop('note')}")
    if "aligned" in ev:  # pdq+aligned: a near PDQ, the reference's corners in place
        out.append(
            f"PDQ at {int(ev.pop('pdq_distance'))} bits; {ev.pop('aligned')} of the reference's "
            f"{ev.pop('corners', '?')} corners in the same place"
        )
        for key in ("score", "rotation_deg", "scale", "mirrored"):
            ev.pop(key, None)
    if "inliers" in ev:
        line = f"{ev.pop('inliers')} verified inliers"
        if "matches" in ev:
            line += f" of {ev.pop('matches')} matches"
        if "score" in ev:
            line += f", score {float(ev.pop('score')):.2f}"
        out.append(line)
        transform = []
        if ev.get("rotation_deg") is not None:
            transform.append(f"rotation {float(ev.pop('rotation_deg')):.1f}°")
        if ev.get("scale") is not None:
            transform.append(f"scale {float(ev.pop('scale')):.2f}")
        if ev.pop("mirrored", False):
            transform.append("mirrored")
        if ev.pop("enlarged", False):
            out.append("verified with the small picture enlarged")
        if ev.get("pdq_distance") is not None:
            out.append(f"corroborated by PDQ at {int(ev.pop('pdq_distance'))} bits")
        ev.pop("tx", None), ev.pop("ty", None)
        if transform:
            out.append("transform from the reference: " + ", ".join(transform))
    if ev.get("reference_seconds") is not None:
        out.append(f"the known video's keyframe at {_s(ev.pop('reference_seconds'))}")
    if "query_ranges" in ev or "reference_ranges" in ev:
        out.append(
            f"{ev.pop('verdict', 'match')}: {_pct(ev.pop('query_share', None))} of this video's frames, "
            f"{_pct(ev.pop('reference_share', None))} of the other's"
        )
        here, there = _ranges(ev.pop("query_ranges", None)), _ranges(ev.pop("reference_ranges", None))
        out.append(f"time here {here} ↔ there {there}")
        offset = ev.pop("offset", None)
        if offset is not None:
            out.append(f"offset {_s(offset)}")
        ev.pop("query_frames", None), ev.pop("reference_frames", None)
    if "frame" in ev and "seconds" in ev and algorithm.startswith("vpdq"):
        out.append(f"frame {ev.pop('frame')} of the known video, at {_s(ev.pop('seconds'))}")
    if "segments" in ev:
        segs = ev.pop("segments") or []
        out.append(f"{_s(ev.pop('seconds', None))} of audio shared in {len(segs)} segment(s)")
        out.extend(
            f"here {_s(g.get('query_start'))[:-2]}–{_s(g.get('query_end'))} ↔ there "
            f"{_s(g.get('reference_start'))[:-2]}–{_s(g.get('reference_end'))} (bit error rate "
            f"{float(g.get('ber') or 0):.3f})"
            for g in segs
        )
    for key in sorted(ev):  # anything else the stage recorded, as it is
        value = ev[key]
        if value is not None and value not in ([], {}):
            out.append(f"{key.replace('_', ' ')}: {value}")
    return out


def hit_view(h: dict[str, Any]) -> dict[str, Any]:
    """A hit as the pages show it: the record's keys and its evidence in words."""
    return {**h, "evidence_text": describe_evidence(h)}


def category_text(cat: dict[str, Any] | None) -> str:
    return category_label(cat) or "uncategorised"


def details(rec: dict[str, Any]) -> dict[str, Any]:
    """What the side panel shows of a record (the page's JSON block): digests, sizes, status and category,
    instances, hits with their evidence."""
    keep = (
        "sha256", "md5", "sha1", "kind", "size", "width", "height", "pdq_quality", "status", "category",
        "category_source", "list_category", "reviewer_category", "conflict", "series", "flags", "stack",
        "instances",
    )  # fmt: skip
    return {**{k: rec[k] for k in keep}, "hits": [hit_view(h) for h in rec["hits"]]}


def key_map(scheme: str) -> list[dict[str, str]]:
    """The number keys of a scheme's codes: a numeric code is its own key (vic-us 0-4); other schemes'
    codes take the keys 1, 2, ... in order (uk: 1 A, 2 B, 3 C)."""
    codes = SCHEMES[scheme]
    if all(code.isdigit() and len(code) == 1 for code in codes):
        return [{"key": code, "code": code, "label": label} for code, label in codes.items()]
    return [
        {"key": k, "code": code, "label": label}
        for k, (code, label) in zip(KEYS, codes.items(), strict=False)
    ]


def abilities(who: Principal, row: CaseRow) -> dict[str, bool]:
    """What the viewer may do on the case's media, so that the page offers nothing the API would refuse:
    reveal and play (``review``), categorise (``review`` in its own agency's case), assert (``cases:write``
    in its own agency's case)."""
    mine = owner(row, who)
    reveal = Perm.review in who.perms
    return {
        "reveal": reveal,
        "categorise": reveal and mine,
        "assert": Perm.cases_write in who.perms and mine,
    }


# -- the grid ---------------------------------------------------------------------------------------------
def collapse(recs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per stack, in triage order: its representative, unless a filter left it out or another
    member has a more urgent status (a new member of a known stack is not hidden behind it)."""
    seen: set[str] = set()
    out = []
    for r in recs:
        sid = r["stack"]["id"]
        if sid not in seen:
            seen.add(sid)
            out.append(r)
    return out


def _link(case: str, **params: Any) -> str:
    """The grid's address with these query parameters (none empty; page 1 is the default)."""
    kept = {k: v for k, v in params.items() if v not in (None, "") and not (k == "page" and v == 1)}
    query = urlencode(kept)
    return f"/ui/cases/{quote(case, safe='')}/triage" + (f"?{query}" if query else "")


@router.get("/cases/{case}/triage", response_class=HTMLResponse)
def triage_page(
    case: str,
    request: Request,
    who: Viewer,
    status: Annotated[str | None, Query(max_length=20)] = None,
    exhibit: Annotated[str | None, Query(max_length=500)] = None,
    stack: Annotated[str | None, Query(max_length=64)] = None,
    page_no: Annotated[int, Query(alias="page", ge=1, le=1_000_000)] = 1,
    per: Annotated[int, Query(ge=1, le=480, description="tiles a page")] = PAGE_SIZE,
) -> HTMLResponse:
    c = ctx(request)
    status = status or None
    exhibit = exhibit or None
    row = read_case(request, who, case)  # first: another agency's case is "not found", whatever is asked
    if status is not None and status not in STATUSES:
        raise ConfigError(f"status must be new, known or known_good, not {status!r}")
    records = triage_of(c, row)
    scheme = case_scheme(records)
    if stack:
        tiles = [r for r in records if r["stack"]["id"] == stack]
        if not tiles:
            raise NotFound(f"no stack {stack!r} in case {row.name}")
    else:
        shown = [
            r
            for r in records
            if (status is None or r["status"] == status)
            and (exhibit is None or exhibit in r["instances"]["exhibits"])
        ]
        tiles = collapse(shown)
    pages = max(1, ceil(len(tiles) / per))
    page_no = min(page_no, pages)
    on_page = tiles[(page_no - 1) * per : page_no * per]
    previews = c.store.media.preview_kinds([r["sha256"] for r in on_page])
    counts = {s: 0 for s in STATUS_ORDER}
    for r in records:
        counts[r["status"]] += 1
    name = row.name
    where = {"status": status, "exhibit": exhibit, "stack": stack, "per": per if per != PAGE_SIZE else None}
    return page(
        request,
        "triage.html",
        who,
        case=row,
        own=owner(row, who),
        tiles=[
            {
                **r,
                "best": best_hit(r),
                "preview": previews.get(r["sha256"]),
                "cat_text": category_text(r["category"]),
            }
            for r in on_page
        ],
        data={
            "items": {r["sha256"]: details(r) for r in on_page},
            "keys": key_map(scheme),
            "scheme": scheme,
        },
        scheme=scheme,
        keys=key_map(scheme),
        codes_text=valid_codes(scheme),
        may=abilities(who, row),
        status=status,
        exhibit=exhibit,
        stack=stack,
        exhibits=sorted({e for r in records for e in r["instances"]["exhibits"]}),
        counts=counts,
        total=len(tiles),
        page_no=page_no,
        pages=pages,
        first=(page_no - 1) * per + 1,
        prev_url=_link(name, **where, page=page_no - 1) if page_no > 1 else None,
        next_url=_link(name, **where, page=page_no + 1) if page_no < pages else None,
        grid_url=_link(name, status=status, exhibit=exhibit),
        status_labels=STATUS_LABELS,
    )
