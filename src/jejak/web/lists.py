"""The known-hash lists: every list with its size, versions and last import; one list's versions (what each
import added, changed and removed), its entries by category, its exports, and an upload form for a new
release; and the category conflicts of the user's cases that a reviewer has to settle.

Lists are global, the people behind them are not: importers of another agency show as that agency, as the
API shows them (``api.lists.People``). An upload is read by the API's own capped multipart reader and
imported by the API's import path (``api.lists.read_upload``, ``import_upload``): the file streams to a
temporary file and is refused above ``api_max_upload``; the form's ``csrf`` field is checked once the form is
read (``FormViewer`` would read an uncapped form)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from jejak.api.cases import viewed
from jejak.api.context import ctx
from jejak.api.lists import People, import_upload, read_upload
from jejak.model.lists import SCHEMES
from jejak.services import lists as svc
from jejak.services.accounts import Perm, Principal, visible_cases
from jejak.web.cases import triage_of
from jejak.web.render import category_label, page
from jejak.web.session import Viewer, check_csrf

router = APIRouter()

IMPORT_FORMATS = ("auto", "vics", "icse", "csv", "md5sum", "hashdeep", "nsrl", "pdq", "vpdq")
VICS_PROFILES = {"vic-us": "US", "uk": "UK"}
"""The VICS profile a list's categories are exported in: VICS 2.0 carries US and UK categories only."""


def schemes_of(shown: dict[str, Any]) -> list[str]:
    """The category schemes of a list (``show_list``): its own, or those its entries carry (a CSV list's
    rows say theirs)."""
    found = {c["category"]["scheme"] for c in shown["by_category"] if c["category"]}
    return sorted(found | ({shown["scheme"]} if shown["scheme"] else set()))


def vics_profile(schemes: list[str]) -> str | None:
    """The VICS profile a list with categories in ``schemes`` exports in; None when VICS cannot carry them
    (another scheme, or US and UK categories mixed)."""
    profiles = {VICS_PROFILES.get(s) for s in schemes}
    if not profiles:
        return "US"
    return profiles.pop() if len(profiles) == 1 else None


def _conflicts(request: Request, who: Principal) -> list[dict[str, Any]]:
    """Per visible case, its contents whose lists (or a reviewer and a list) disagree on the category: what
    each list says, the reviewer's category if any. Each case shown writes a ``case_view`` entry."""
    if Perm.cases_read not in who.perms:
        return []
    c = ctx(request)
    out = []
    for row in visible_cases(c.store, who):
        found = [r for r in triage_of(c, row) if r["conflict"]]
        if not found:
            continue
        viewed(request, who, row.name, conflicts=len(found))
        items = []
        for r in found:
            says = sorted(
                {(h["list"], category_label(h["entry"]["category"]) or "no category") for h in r["hits"]}
            )
            paths = r["instances"]["paths"]
            items.append(
                {
                    "sha256": r["sha256"],
                    "name": paths[0].rsplit("/", 1)[-1] if paths else None,
                    "categories": [category_label(x) for x in r["conflict"]["categories"]],
                    "lists": says,
                    "reviewer": category_label(r["reviewer_category"]),
                }
            )
        out.append({"case": row, "contents": items})
    return out


def _form_values(who: Principal) -> dict[str, Any]:
    return {
        "can_import": Perm.lists_write in who.perms,
        "formats": IMPORT_FORMATS,
        "import_schemes": list(SCHEMES),
    }


@router.get("/lists", response_class=HTMLResponse)
def lists_page(request: Request, who: Viewer) -> HTMLResponse:
    """Every list: kind, entries, versions, scheme and last import; the conflicts to resolve."""
    who.require(Perm.lists_read)
    store = ctx(request).store
    people = People(store, who)
    rows = [people.row(r) for r in svc.list_rows(store)]
    return page(
        request, "lists.html", who, lists=rows, conflicts=_conflicts(request, who), **_form_values(who)
    )


@router.get("/lists/{name:path}", response_class=HTMLResponse)
def list_page(request: Request, who: Viewer, name: str, imported: int | None = None) -> HTMLResponse:
    """A list: its versions, its entries by category and hash, its exports, and an upload form."""
    who.require(Perm.lists_read)
    store = ctx(request).store
    shown = People(store, who).row(svc.show_list(store, name))
    schemes = schemes_of(shown)
    profile = vics_profile(schemes)
    exports = [(f, profile if f == "vics" else None) for f in svc.EXPORT_FORMATS if f != "vics" or profile]
    return page(
        request,
        "list.html",
        who,
        lst=shown,
        exports=exports,
        schemes=schemes,
        vics_profile=profile,
        imported=imported,
        **_form_values(who),
    )


@router.post("/lists/import")
async def import_post(request: Request, who: Viewer) -> RedirectResponse:
    """An upload from the form: a new list, or a new release (version) of one; then its page."""
    who.require(Perm.lists_write)
    c = ctx(request)
    form = await read_upload(request, c.settings.api_max_upload)
    try:
        check_csrf(request, form.get("csrf"))
        report = await import_upload(c, who, form, via="ui")
    finally:
        await form.close()
    target = f"/ui/lists/{quote(str(report['list']), safe='')}?imported={int(report['version'])}"
    return RedirectResponse(target, status_code=303)
