"""The case list (counts per case) and a case's dashboard: live ingest progress, triage by status and
category, alerts from other cases and agencies, warnings. Each read of a case writes a ``case_view`` audit
entry, as the API does."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jejak.api.cases import alert_count, owner, read_case, viewed
from jejak.api.context import ServerContext, ctx
from jejak.api.links import Viewer as LinkViewer
from jejak.api.links import alert_view
from jejak.services import graph
from jejak.services.accounts import Perm, visible_cases
from jejak.services.triage import TriageCache, triage_summary
from jejak.store.sql import CaseRow
from jejak.web.render import page
from jejak.web.session import Viewer

router = APIRouter()

WARNINGS_SHOWN = 50


def triage_of(c: ServerContext, row: CaseRow) -> list[dict[str, Any]]:
    """The case's triage records (``services.triage``), kept by the server while the case's data stays the
    same (``TriageCache``): every page of the UI reads them. Shared: not to be changed."""
    return c.shared("triage_cache", TriageCache).records(c.store, c.settings, row.name)


def case_counts(c: ServerContext, row: CaseRow) -> dict[str, Any]:
    """A case's counts for the list and the dashboard: files, contents, new, known, known-good, alerts."""
    store = c.store
    s = store.case_summary(row.id)
    tri = triage_summary(triage_of(c, row))
    return {
        "files": s["files"],
        "contents": s["unique_contents"],
        "deleted": s.get("deleted", 0),
        "warnings": s["warnings"],
        "exhibits": len(s["exhibits"]),
        "alerts": alert_count(store, row.id),
        **tri["by_status"],
        "triage": tri,
    }


@router.get("/", response_class=HTMLResponse)
def case_list(request: Request, who: Viewer) -> Response:
    """The cases the user's agency sees; an auditor (no case data) lands on the audit trail instead."""
    if Perm.cases_read not in who.perms and Perm.audit_read in who.perms:
        return RedirectResponse("/ui/audit", status_code=303)
    c = ctx(request)
    rows = visible_cases(c.store, who)
    viewed(request, who, None)
    items = [{"row": r, "own": owner(r, who), "counts": case_counts(c, r)} for r in rows]
    return page(request, "cases.html", who, cases=items)


@router.get("/cases/{case}", response_class=HTMLResponse)
def dashboard(case: str, request: Request, who: Viewer) -> HTMLResponse:
    c = ctx(request)
    row = read_case(request, who, case)
    counts = case_counts(c, row)
    warnings = list(c.store.iter_warnings(row.id, None))
    return page(
        request,
        "dashboard.html",
        who,
        case=row,
        own=owner(row, who),
        counts=counts,
        summary=counts["triage"],
        alerts=[alert_view(LinkViewer(c.store, who), a) for a in graph.alerts(c.store, row.name)],
        warnings=warnings[:WARNINGS_SHOWN],
        warnings_total=len(warnings),
        can_ingest=Perm.cases_write in who.perms and owner(row, who),
    )
