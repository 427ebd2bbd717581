"""The audit trail over HTTP: its entries for an auditor (an agency's auditor reads its own people's entries
and those about its own cases), and the chain's verification report (docs/audit.md). Reading the trail is
itself audited ("audit_view")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request

from jejak.api.auth import need
from jejak.api.context import ctx
from jejak.api.paging import Page, page
from jejak.errors import ConfigError
from jejak.services.accounts import Perm, Principal
from jejak.services.audit import ACTIONS, record, show, verify_trail

router = APIRouter(tags=["audit"])

Auditor = Annotated[Principal, Depends(need(Perm.audit_read))]


@router.get("/audit")
def entries(
    request: Request,
    who: Auditor,
    pg: Annotated[Page, Depends(page)],
    case: Annotated[str | None, Query(description="only entries about this case")] = None,
    action: Annotated[str | None, Query(description="only this action, e.g. login_failed")] = None,
    after: Annotated[int, Query(ge=0, description="only entries after this seq")] = 0,
) -> dict[str, Any]:
    """Entries of the audit trail in seq order, those the caller may read; paged."""
    if action is not None and action not in ACTIONS:
        raise ConfigError(f"action must be one of {', '.join(ACTIONS)}, not {action!r}")
    store = ctx(request).store
    found = show(store, who, case=case, action=action, after=after, limit=pg.offset + pg.limit + 1)
    out = pg.of(e.as_dict() for e in found)
    record(
        store,
        who,
        "audit_view",
        case=case,
        detail={"action": action, "after": after, "offset": pg.offset, "entries": len(out["items"])},
    )
    return out


@router.get("/audit/verify")
def verify(request: Request, who: Auditor) -> dict[str, Any]:
    """Walk the whole hash chain: {ok, entries, head: {seq, hash}, problems: [{seq, kind, message}]}. It
    names places (seq) and kinds of tampering, never an entry's content."""
    return verify_trail(ctx(request).store)


def mount(app: FastAPI) -> None:
    app.include_router(router)
