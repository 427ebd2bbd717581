"""The audit trail for auditors: its entries, newest first, filtered by case, actor and action and paged by
seq; and the verification of the hash chain. What an auditor reads is what the API gives them
(``services.audit.show``: an agency's auditor reads its own people's entries and those about its own cases),
and reading it is audited in turn (``audit_view``), as the API does."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from jejak.api.context import ctx
from jejak.errors import ConfigError
from jejak.services.accounts import Perm
from jejak.services.audit import ACTIONS, record, show, verify_trail
from jejak.web.render import page
from jejak.web.session import Viewer

router = APIRouter()

PAGE = 50
"""Entries on one page."""

Text = Annotated[str, Query(max_length=200)]


@router.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    who: Viewer,
    case: Text = "",
    actor: Text = "",
    action: Text = "",
    before: Annotated[int | None, Query(ge=1)] = None,
    verify: bool = False,
) -> HTMLResponse:
    """A page of entries (``before``: those below a seq, for older pages), and with ``verify`` the chain's
    verification report (ok, or the problems by seq)."""
    who.require(Perm.audit_read)
    case_, actor_, action_ = case.strip() or None, actor.strip() or None, action.strip() or None
    if action_ is not None and action_ not in ACTIONS:
        raise ConfigError(f"action must be one of {', '.join(ACTIONS)}, not {action_!r}")
    store = ctx(request).store
    found = show(
        store, who, case=case_, action=action_, actor=actor_, before=before, newest_first=True, limit=PAGE + 1
    )
    shown = found[:PAGE]
    entries = [e.as_dict() | {"detail_json": e.detail or ""} for e in shown]  # detail as stored: canonical
    filters = {k: v for k, v in (("case", case_), ("actor", actor_), ("action", action_)) if v}
    older = urlencode({**filters, "before": entries[-1]["seq"]}) if len(found) > PAGE else None
    checked = verify_trail(store) if verify else None
    record(
        store,
        who,
        "audit_view",
        case=case_,
        detail={
            "action": action_,
            "actor": actor_,
            "before": before,
            "entries": len(entries),
            "verify": verify,
            "via": "ui",
        },
    )
    return page(
        request,
        "audit.html",
        who,
        entries=entries,
        filters={"case": case_ or "", "actor": actor_ or "", "action": action_ or ""},
        actions=ACTIONS,
        before=before,
        older=older,
        newest=urlencode(filters),
        verified=checked,
        scope="every agency" if who.is_local else who.agency,
    )
