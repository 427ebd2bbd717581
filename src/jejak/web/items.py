"""An item of a case (one distinct content): its blurred preview (reveal, play), its triage record, every
instance across the case's exhibits with each layer of its provenance chain, its metadata (EXIF or the
container's tags), its hits with the evidence of each match, its links (rule, score, evidence), the
assertions about it and their history, and the categories reviewers gave it.

What crosses agency lines goes through the API's views (``api.links``: ``link_view``, ``assertion_view``):
another agency's contents are pseudonyms, their evidence and authors dropped. Reading the page is one
``case_view`` audit entry (``api.cases.read_case``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from jejak.api.cases import owner, read_case
from jejak.api.context import ctx
from jejak.api.links import Viewer as LinkViewer
from jejak.api.links import assertion_view, link_view
from jejak.errors import NotFound
from jejak.model.graph import NodeKind, node_key, split_key
from jejak.model.pathspec import Segment
from jejak.services import records
from jejak.services.graph import query_links
from jejak.services.review import category_history
from jejak.web.cases import triage_of
from jejak.web.render import page
from jejak.web.session import Viewer
from jejak.web.triage import (
    STATUS_LABELS,
    abilities,
    category_text,
    describe_evidence,
    hit_view,
)

router = APIRouter()

SHA256 = re.compile(r"[0-9a-f]{64}")
LAYERS = {
    "os": "file",
    "ewf": "E01 disk image",
    "raw": "raw disk image",
    "vol": "partition",
    "fs": "file system entry",
    "zip": "ZIP member",
    "tar": "TAR member",
    "7z": "7z member",
    "gzip": "gzip stream",
    "bzip2": "bzip2 stream",
    "xz": "xz stream",
}


def chain(pathspec: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The layers of a provenance chain, outermost first, in words: ``{layer, text, detail}`` (a host file
    relative to the folder holding the evidence root, as ``jejak files`` shows it)."""
    out = []
    for i, raw in enumerate(pathspec):
        seg = Segment.from_json(raw)
        detail = []
        if seg.type == "vol":
            if seg.get("offset") is not None:
                detail.append(f"at byte {seg.get('offset')}")
        elif seg.type == "fs" and seg.get("inode") is not None:
            detail.append(f"inode {seg.get('inode')}")
        elif seg.type == "zip" and seg.get("index") is not None:
            detail.append(f"entry {seg.get('index')}")
        out.append(
            {
                "layer": LAYERS.get(seg.type, seg.type),
                "text": seg.readable(first=i == 0) or "",
                "detail": ", ".join(detail),
            }
        )
    return out


def _end(v: LinkViewer, end: dict[str, Any], key: str, case: str, in_case: set[str]) -> dict[str, Any]:
    """A link's end as the page shows it: the item itself, an item of this case, a content of another case
    the viewer sees (``visit``: that case, to open its page there), a pseudonym, or an entity."""
    sha = end.get("sha256")
    visit = None
    if sha in in_case:
        visit = case
    elif sha and not end.get("hidden"):
        visit = next((h["case"] for h in end.get("cases") or [] if v.sees_case(h["case"])), None)
    return {**end, "self": end["key"] == key, "visit": visit}


def _item_of(key: str, items: set[str]) -> str | None:
    """The SHA-256 of a content node key when it is an item of the case (to link to its page)."""
    try:
        kind, ident = split_key(key)
    except ValueError:
        return None
    return ident if kind is NodeKind.CONTENT and ident in items else None


@router.get("/cases/{case}/items/{sha256}", response_class=HTMLResponse)
def item_page(case: str, sha256: str, request: Request, who: Viewer) -> HTMLResponse:
    c = ctx(request)
    row = read_case(request, who, case)
    sha = sha256.strip().lower()
    if not SHA256.fullmatch(sha):
        raise NotFound(f"no content with SHA-256 {sha256} in this case")
    c.store.media.content_id(sha, row.id)  # NotFound unless the case holds it
    recs = triage_of(c, row)
    rec = next((r for r in recs if r["sha256"] == sha), None)
    if rec is None:  # held a moment ago: removed meanwhile
        raise NotFound(f"no content with SHA-256 {sha} in this case")
    files = [records.from_row(row.name, f) for f in c.store.iter_files(row.id) if f["sha256"] == sha]
    key = node_key(NodeKind.CONTENT, sha)
    in_case = set(c.store.graph.case_contents(row.id).values())
    v = LinkViewer(c.store, who)
    links = []
    for x in link_view(v, query_links(c.store, sha=sha)):
        ends = [_end(v, e, key, row.name, in_case) for e in (x["a"], x["b"])]
        links.append(
            {
                **x,
                "ends": sorted(ends, key=lambda e: not e["self"]),  # the item first, when it is an end
                "direct": any(e["self"] for e in ends),
                "holders": [h for e in ends if not e["self"] for h in e.get("cases") or []],
                "evidence_text": describe_evidence({"rule": x["rule"], "evidence": x["evidence"]}),
            }
        )
    links.sort(key=lambda x: not x["direct"])  # its own links first, then those of what it shows
    assertions = []
    for a in (assertion_view(v, r.as_dict()) for r in c.store.graph.assertions([key])):
        assertions.append({**a, "object_item": _item_of(str(a["object"]), in_case - {sha})})
    stack = [r for r in recs if r["stack"]["id"] == rec["stack"]["id"] and r["sha256"] != sha]
    exif = next((f["exif"] for f in files if f["exif"]), None)
    return page(
        request,
        "item.html",
        who,
        case=row,
        own=owner(row, who),
        sha=sha,
        rec=rec,
        cat_text=category_text,
        hits=[hit_view(h) for h in rec["hits"]],
        files=[{**f, "chain": chain(f["pathspec"])} for f in files],
        exif=exif,
        preview=c.store.media.preview_kinds([sha]).get(sha),
        links=links,
        assertions=assertions,
        categories=category_history(c.store, who, row.name, sha),
        stack=stack,
        may=abilities(who, row),
        status_labels=STATUS_LABELS,
    )
