"""Cases over HTTP: list and create them, share them with other agencies, and read their data (exhibits,
files, warnings, triage, hits), export them as VICS 2.0 and match them.

Every case endpoint asks ``case_for`` first: another agency's unshared case is "not found", exactly as a
case that does not exist; a case shared with the caller's agency reads, and only its own agency changes
it. The records are the CLI's (docs/output.md): ``jejak files``, ``jejak warnings``, ``jejak triage``.
Each read of case data writes one ``case_view`` audit entry (target: the endpoint's path template).
"""

from __future__ import annotations

import io
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from jejak.api.auth import need, principal
from jejak.api.context import ctx
from jejak.api.paging import Page, page
from jejak.errors import AccessDenied, ConfigError, NotFound
from jejak.services import audit, records
from jejak.services.accounts import Perm, Principal, case_for, visible_cases
from jejak.services.export import export_case_vics
from jejak.services.match import match_case
from jejak.services.triage import triage_case, triage_summary
from jejak.store import schema as t
from jejak.store.sql import CaseRow, Store

router = APIRouter(tags=["cases"])

Caller = Annotated[Principal, Depends(principal)]
Writer = Annotated[Principal, Depends(need(Perm.cases_write))]
Paging = Annotated[Page, Depends(page)]
ExhibitQuery = Annotated[str | None, Query(description="only this exhibit")]
STATUSES = ("new", "known", "known_good")
CASE_NAME = r"[A-Za-z0-9][A-Za-z0-9._ -]{0,199}"


def viewed(request: Request, who: Principal, case: str | None, **detail: Any) -> None:
    """One ``case_view`` audit entry for this request: the endpoint, its path and query."""
    route = request.scope.get("route")
    target = str(getattr(route, "path", request.url.path))
    extra: dict[str, Any] = {"path": request.url.path}
    if request.query_params:
        extra["query"] = dict(request.query_params)
    audit.record(ctx(request).store, who, "case_view", case=case, target=target, detail=extra | detail)


def read_case(request: Request, who: Principal, case: str) -> CaseRow:
    """The case ``who`` reads (``case_for``: another agency's unshared case is "not found"), with the
    request's ``case_view`` audit entry."""
    row = case_for(ctx(request).store, who, case)
    viewed(request, who, row.name)
    return row


def alert_count(store: Store, case_id: int) -> int:
    with store.engine.connect() as conn:
        q = select(func.count()).select_from(t.alert).where(t.alert.c.case_id == case_id)
        return int(conn.execute(q).scalar_one())


def _exhibits(store: Store, case_id: int) -> list[dict[str, Any]]:
    ex, fi, w = t.exhibit.c, t.file_instance.c, t.warning.c
    files = select(fi.exhibit_id, func.count().label("n")).group_by(fi.exhibit_id).subquery()
    warns = select(w.exhibit_id, func.count().label("n")).group_by(w.exhibit_id).subquery()
    q = (
        select(ex.name, ex.created_at, func.coalesce(files.c.n, 0), func.coalesce(warns.c.n, 0))
        .outerjoin(files, files.c.exhibit_id == ex.id)
        .outerjoin(warns, warns.c.exhibit_id == ex.id)
        .where(ex.case_id == case_id)
        .order_by(ex.name)
    )
    with store.engine.connect() as conn:
        return [
            {"exhibit": n, "created_at": at.isoformat(), "files": int(f), "warnings": int(wn)}
            for n, at, f, wn in conn.execute(q)
        ]


def _case(row: CaseRow, who: Principal) -> dict[str, Any]:
    return {
        "case": row.name,
        "agency": row.agency,
        "description": row.description,
        "created_at": row.created_at.isoformat(),
        "own": owner(row, who),
    }


def owner(row: CaseRow, who: Principal) -> bool:
    """Whether ``who`` is of the case's own agency (or the local operator): it may change the case, and
    sees whom it is shared with."""
    return who.is_local or row.agency == who.agency


# -- cases ------------------------------------------------------------------------------------------------
@router.get("/cases")
def list_cases(request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """The cases the caller can see (its agency's and those shared with it), with counts."""
    store = ctx(request).store
    rows = visible_cases(store, who)
    viewed(request, who, None)

    def item(row: CaseRow) -> dict[str, Any]:
        s = store.case_summary(row.id)
        counts = {k: s[k] for k in ("files", "unique_contents", "warnings")}
        return _case(row, who) | {
            "counts": counts | {"exhibits": len(s["exhibits"]), "alerts": alert_count(store, row.id)}
        }

    return pg.of(item(r) for r in rows)


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=f"^{CASE_NAME}$", description="letters, digits, . _ - and spaces")
    description: str | None = Field(None, max_length=2000)


@router.post("/cases", status_code=201)
def create_case(body: CaseIn, request: Request, who: Writer) -> dict[str, Any]:
    """A new case of the caller's agency."""
    if who.agency is None:
        raise ConfigError("the local operator creates cases with 'jejak case create NAME --agency A'")
    store = ctx(request).store
    row = store.create_case(body.name, who.agency, body.description)
    audit.record(store, who, "case_create", case=row.name, target=row.name)
    return _case(row, who)


@router.get("/cases/{case}")
def get_case(case: str, request: Request, who: Caller) -> dict[str, Any]:
    """The case with its counts: files, new, known and known-good contents, alerts, warnings."""
    c = ctx(request)
    row = read_case(request, who, case)
    by_status = triage_summary(triage_case(c.store, c.settings, row.name))["by_status"]
    summary = c.store.case_summary(row.id) | by_status | {"alerts": alert_count(c.store, row.id)}
    shared = c.store.accounts.shared_with(row.id) if owner(row, who) else None
    return _case(row, who) | {"shared_with": shared, "summary": summary}


# -- sharing ----------------------------------------------------------------------------------------------
class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agency: str = Field(min_length=1, max_length=200, description="the agency to share the case with")


def _shares(store: Store, row: CaseRow) -> dict[str, Any]:
    return {"case": row.name, "shared_with": store.accounts.shared_with(row.id)}


@router.get("/cases/{case}/shares")
def list_shares(case: str, request: Request, who: Caller) -> dict[str, Any]:
    """The agencies the case is shared with (its own agency only)."""
    store = ctx(request).store
    row = case_for(store, who, case)
    if not owner(row, who):
        raise AccessDenied(f"only {row.agency} sees whom case {row.name!r} is shared with")
    viewed(request, who, row.name)
    return _shares(store, row)


@router.post("/cases/{case}/shares", status_code=201)
def share(case: str, body: ShareIn, request: Request, who: Caller) -> dict[str, Any]:
    """Share the case with another agency, to read."""
    store = ctx(request).store
    row = case_for(store, who, case, write=True)
    target = store.accounts.agency(body.agency)
    if target.name == row.agency:
        raise ConfigError(f"case {row.name!r} belongs to {row.agency}: it needs no share")
    store.accounts.share_case(row.id, target.id, who.name)
    audit.record(store, who, "case_share", case=row.name, target=target.name)
    return _shares(store, row)


@router.delete("/cases/{case}/shares/{agency}")
def unshare(case: str, agency: str, request: Request, who: Caller) -> dict[str, Any]:
    """Stop sharing the case with an agency."""
    store = ctx(request).store
    row = case_for(store, who, case, write=True)
    target = store.accounts.agency(agency)
    store.accounts.unshare_case(row.id, target.id)
    audit.record(store, who, "case_unshare", case=row.name, target=target.name)
    return _shares(store, row)


# -- case data --------------------------------------------------------------------------------------------
@router.get("/cases/{case}/exhibits")
def exhibits(case: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """The case's exhibits with their file and warning counts."""
    store = ctx(request).store
    row = read_case(request, who, case)
    return pg.of(_exhibits(store, row.id))


@router.get("/cases/{case}/files")
def files(
    case: str, request: Request, who: Caller, pg: Paging, exhibit: ExhibitQuery = None
) -> dict[str, Any]:
    """Every file instance of the case (the ``jejak files`` record)."""
    store = ctx(request).store
    row = read_case(request, who, case)
    return pg.of(records.from_row(row.name, r) for r in store.iter_files(row.id, exhibit))


@router.get("/cases/{case}/files/{sha256}")
def file_content(case: str, sha256: str, request: Request, who: Caller) -> dict[str, Any]:
    """One content of the case: its triage record (status, category, hits, stack) and every file of the case
    holding it; "not found" unless the case holds it."""
    c = ctx(request)
    row = case_for(c.store, who, case)
    sha = sha256.strip().lower()
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise NotFound(f"no content with SHA-256 {sha256} in this case")
    c.store.media.content_id(sha, row.id)  # NotFound unless the case holds it
    viewed(request, who, row.name)
    rec = next(r for r in triage_case(c.store, c.settings, row.name) if r["sha256"] == sha)
    found = [records.from_row(row.name, f) for f in c.store.iter_files(row.id) if f["sha256"] == sha]
    return {"case": row.name, **rec, "files": found}


@router.get("/cases/{case}/warnings")
def warnings(
    case: str, request: Request, who: Caller, pg: Paging, exhibit: ExhibitQuery = None
) -> dict[str, Any]:
    """What could not be read while ingesting the case, and why."""
    store = ctx(request).store
    row = read_case(request, who, case)
    return pg.of(store.iter_warnings(row.id, exhibit))


@router.get("/cases/{case}/triage")
def triage(
    case: str,
    request: Request,
    who: Caller,
    pg: Paging,
    status: Annotated[str | None, Query(description="new, known or known_good")] = None,
    exhibit: Annotated[str | None, Query(description="only contents with a file on this exhibit")] = None,
    summary: Annotated[bool, Query(description="counts instead of records")] = False,
) -> dict[str, Any]:
    """One record per distinct content (the ``jejak triage`` record), new first; or, with summary=true,
    the counts of those records."""
    if status is not None and status not in STATUSES:
        raise ConfigError(f"status must be new, known or known_good, not {status!r}")
    c = ctx(request)
    row = read_case(request, who, case)
    recs = triage_case(c.store, c.settings, row.name)
    if status is not None:
        recs = [r for r in recs if r["status"] == status]
    if exhibit is not None:
        recs = [r for r in recs if exhibit in r["instances"]["exhibits"]]
    if summary:
        return {"case": row.name, **triage_summary(recs)}
    return pg.of(recs)


@router.get("/cases/{case}/matches")
def matches(case: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """Every list hit of the case's contents: the triage record's hits, each with its content."""
    c = ctx(request)
    row = read_case(request, who, case)
    return pg.of(
        {"sha256": r["sha256"], "status": r["status"], **h}
        for r in triage_case(c.store, c.settings, row.name)
        for h in r["hits"]
    )


@router.get("/cases/{case}/export/vics")
def export_vics(
    case: str,
    request: Request,
    who: Caller,
    profile: Annotated[str, Query(description="US, UK or Default")] = "US",
    examiner: Annotated[str | None, Query(max_length=200, description="contact name in the export")] = None,
) -> Response:
    """The case as a Project VIC VICS 2.0 ``#Cases`` document (hashes and metadata, never the media)."""
    c = ctx(request)
    row = case_for(c.store, who, case)
    out = io.BytesIO()
    report = export_case_vics(c.store, c.settings, row.name, out, profile=profile, examiner=examiner)
    audit.record(c.store, who, "export", case=row.name, target="vics", detail=report)
    name = re.sub(r"[^A-Za-z0-9._-]", "_", row.name)
    return Response(
        out.getvalue(),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="{name}.vics.json"'},
    )


@router.post("/cases/{case}/match")
def match(case: str, request: Request, who: Caller) -> dict[str, Any]:
    """Match the case against every list again, and recompute its links and alerts (``jejak match``)."""
    c = ctx(request)
    row = case_for(c.store, who, case, write=True)
    report = match_case(c.store, c.settings, row.name)
    counts = {k: v for k, v in report.items() if isinstance(v, int)}
    audit.record(c.store, who, "match", case=row.name, target=row.name, detail=counts)
    return report


def mount(app: FastAPI) -> None:
    app.include_router(router)
