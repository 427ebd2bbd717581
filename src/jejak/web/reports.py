"""The case report, as a printable HTML page and as a PDF download: the case, its agency, the examiner (who
asks for it) and when; the counts; triage by status and category; links by rule and alerts from other cases
and agencies, as the API redacts them (``api.links``: never another agency's file names or hashes); and the
items the examiner selects, by their hashes or as blurred greyscale thumbnails (never sharp: a report is
read by people who did not choose to look). Each report generated writes an ``export`` audit entry."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from jejak.api.context import ServerContext, ctx
from jejak.api.links import Viewer as LinkViewer
from jejak.api.links import alert_view, link_view
from jejak.errors import ConfigError, NotFound
from jejak.services import audit, graph
from jejak.services.accounts import Principal, case_for
from jejak.services.media import preview_image
from jejak.store.sql import CaseRow
from jejak.web.cases import case_counts, triage_of
from jejak.web.pdf import Alert, Count, Item, Link, Report, RuleLinks, render_pdf
from jejak.web.render import HEADERS, category_label, page
from jejak.web.session import Viewer

router = APIRouter()

ITEM_CAP = 200
"""Selected items in one report, at most (the selection's size is reported beside)."""
LINKS_LISTED = 60
"""The strongest links listed one by one; the table by rule counts every link."""
THUMB_QUALITY = 80
SELECTIONS = {
    "known": "known items and items a reviewer categorised",
    "all": "those and every new item",
}
SHOWS = {"hashes": "hashes only", "thumbnails": "blurred greyscale thumbnails (and hashes)"}
STATUS_LABELS = {"new": "New", "known": "Known", "known_good": "Known-good"}


def _end(end: dict[str, Any]) -> str:
    """A link's end (``link_view``) named for a report: a content by its file name and short SHA-256, or,
    when it is another agency's, by the cases holding it; an entity by its key."""
    if end.get("kind") != "content":
        return str(end["key"])
    if end.get("hidden"):
        where = ", ".join(f"{c['case']} ({c['agency']})" for c in end.get("cases", []))
        return f"a content of {where}" if where else "a content of another case"
    sha = str(end["sha256"])
    return f"{end['name']} ({sha[:12]})" if end.get("name") else sha[:12]


def _selected(records: list[dict[str, Any]], selection: str) -> list[dict[str, Any]]:
    """The items a selection takes, known ones first, then those a reviewer categorised, then new ones (in
    triage order within each)."""
    rank: list[tuple[int, int, dict[str, Any]]] = []
    for i, r in enumerate(records):
        if r["status"] == "known":
            rank.append((0, i, r))
        elif r["category_source"] == "reviewer":
            rank.append((1, i, r))
        elif selection == "all" and r["status"] == "new":
            rank.append((2, i, r))
    return [r for _k, _i, r in sorted(rank, key=lambda x: (x[0], x[1]))]


def _thumbnail(c: ServerContext, case: str, sha: str) -> bytes | None:
    """The content's stored preview, greyscale and blurred (``preview_image`` without reveal), as JPEG; None
    when it has none (a text, a file that could not be decoded)."""
    try:
        img = preview_image(c.store, sha, case)
    except NotFound:
        return None
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def _item(c: ServerContext, case: str, r: dict[str, Any], thumbnails: bool) -> Item:
    paths = r["instances"]["paths"]
    category, source = category_label(r["category"]), r["category_source"]
    if category is None and r["conflict"]:  # the lists disagree and no reviewer has settled it yet
        category = "disputed: " + " / ".join(str(category_label(x)) for x in r["conflict"]["categories"])
        source = "conflict"
    return Item(
        sha256=r["sha256"],
        md5=r["md5"],
        status=r["status"],
        category=category,
        category_source=source,
        lists=tuple(sorted({h["list"] for h in r["hits"]})),
        name=paths[0] if paths else None,
        files=r["instances"]["count"],
        thumbnail=_thumbnail(c, case, r["sha256"]) if thumbnails else None,
    )


def options(items: str, show: str) -> tuple[str, str]:
    """The report's options, checked: which items (``known`` or ``all``) and how (``hashes`` or
    ``thumbnails``)."""
    if items not in SELECTIONS:
        raise ConfigError(f"items must be one of {', '.join(SELECTIONS)}, not {items!r}")
    if show not in SHOWS:
        raise ConfigError(f"show must be one of {', '.join(SHOWS)}, not {show!r}")
    return items, show


def build_report(c: ServerContext, who: Principal, row: CaseRow, selection: str, show: str) -> Report:
    """The report of case ``row`` for ``who`` (who may read it: ``case_for`` was asked)."""
    store = c.store
    records = triage_of(c, row)
    n = case_counts(c, row)
    tri = n["triage"]
    counts = (
        Count("files", "Files", n["files"]),
        Count("contents", "Distinct contents", n["contents"]),
        Count("new", "New", n["new"]),
        Count("known", "Known", n["known"]),
        Count("known_good", "Known-good", n["known_good"]),
        Count("deleted", "Deleted files", n["deleted"]),
        Count("warnings", "Warnings", n["warnings"]),
        Count("exhibits", "Exhibits", n["exhibits"]),
        Count("alerts", "Alerts", n["alerts"]),
    )
    review = (
        Count("stacks", "Near-duplicate stacks", tri["stacks"]),
        Count("new_stacks", "Stacks of new material", tri["new_stacks"]),
        Count("conflicts", "Category conflicts", tri["conflicts"]),
        Count("reviewer_categorised", "Categorised by a reviewer", tri["reviewer_categorised"]),
    )
    viewer = LinkViewer(store, who)
    links = link_view(viewer, graph.query_links(store, case=row.name))
    rules: dict[str, list[float]] = {}
    for x in links:
        rules.setdefault(x["rule"], []).append(float(x["score"]))
    alerts = [alert_view(viewer, a) for a in graph.alerts(store, row.name)]
    subjects = {r["sha256"]: r["instances"]["paths"] for r in records}
    chosen = _selected(records, selection)
    return Report(
        case=row.name,
        agency=row.agency,
        description=row.description,
        examiner=who.name,
        examiner_agency=who.agency,
        generated=datetime.now(UTC),
        counts=counts,
        by_status=tuple(Count(k, STATUS_LABELS[k], v) for k, v in tri["by_status"].items()),
        by_category=tuple(
            (category_label(k["category"]) or "uncategorised", int(k["contents"]))
            for k in tri["known_by_category"]
        ),
        review=review,
        rules=tuple(
            RuleLinks(rule, len(scores), max(scores))
            for rule, scores in sorted(rules.items(), key=lambda kv: (-len(kv[1]), kv[0]))
        ),
        links=tuple(
            Link(x["rule"], float(x["score"]), _end(x["a"]), _end(x["b"])) for x in links[:LINKS_LISTED]
        ),
        links_total=len(links),
        alerts=tuple(_alert(a, subjects) for a in alerts),
        items=tuple(_item(c, row.name, r, show == "thumbnails") for r in chosen[:ITEM_CAP]),
        items_total=len(chosen),
        selection=selection,
        show=show,
    )


def _alert(a: dict[str, Any], paths: dict[str, list[str]]) -> Alert:
    subject = str(a["subject"])
    sha = subject.removeprefix("content:")
    if sha != subject:
        where = paths.get(sha)
        subject = f"{where[0].rsplit('/', 1)[-1]} ({sha[:12]})" if where else sha[:12]
    created = a.get("created_at")
    since = created.isoformat() if isinstance(created, datetime) else str(created or "")
    return Alert(
        other_case=str(a["other_case"]),
        other_agency=str(a["other_agency"]),
        rule=str(a["rule"]),
        score=float(a["score"]),
        victim_identified=bool(a["victim_identified"]),
        subject=subject,
        since=since[:16].replace("T", " "),
    )


def _audit(c: ServerContext, who: Principal, report: Report, target: str) -> None:
    audit.record(
        c.store,
        who,
        "export",
        case=report.case,
        target=target,
        detail={
            "items": report.selection,
            "show": report.show,
            "item_count": len(report.items),
            "items_selected": report.items_total,
            "via": "ui",
        },
    )


@router.get("/cases/{case}/report", response_class=HTMLResponse)
def report_page(
    case: str, request: Request, who: Viewer, items: str = "known", show: str = "hashes"
) -> HTMLResponse:
    """The report as a page (printable: the options and navigation are not printed)."""
    c = ctx(request)
    row = case_for(c.store, who, case)
    selection, how = options(items, show)
    report = build_report(c, who, row, selection, how)
    _audit(c, who, report, "report-html")
    return page(
        request,
        "report.html",
        who,
        case=row,
        report=report,
        selections=SELECTIONS,
        shows=SHOWS,
        cap=ITEM_CAP,
    )


@router.get("/cases/{case}/report.pdf")
def report_pdf(
    case: str, request: Request, who: Viewer, items: str = "known", show: str = "hashes"
) -> Response:
    """The report as a PDF download (``<case>-report.pdf``)."""
    c = ctx(request)
    row = case_for(c.store, who, case)
    selection, how = options(items, show)
    report = build_report(c, who, row, selection, how)
    data = render_pdf(report)
    _audit(c, who, report, "report-pdf")
    name = re.sub(r"[^A-Za-z0-9._-]", "_", row.name)
    return Response(
        data,
        media_type="application/pdf",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}-report.pdf"'},
    )
