"""Reviewers' categories over HTTP (``services.review``): set a content's category in a case, for it alone or
its whole near-duplicate stack, and read the categories given to it.

Setting one takes the ``review`` permission (reviewers and investigators) and the case's own agency: a case
shared with the caller's agency is read only (403), another agency's unshared case is "not found" (404), as
everywhere. Reading the history takes what reading the case takes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, ConfigDict, Field

from jejak.api.auth import principal
from jejak.api.cases import viewed
from jejak.api.context import ctx
from jejak.api.paging import Page, page
from jejak.errors import NotFound
from jejak.services.accounts import Principal, case_for
from jejak.services.review import categorise, category_history
from jejak.store.sql import CaseRow, Store

router = APIRouter(tags=["review"])

Caller = Annotated[Principal, Depends(principal)]
Paging = Annotated[Page, Depends(page)]
_SHA256 = re.compile(r"[0-9a-f]{64}")


class CategoryIn(BaseModel):
    """What ``jejak categorise REF --case C --category CODE ...`` takes."""

    model_config = ConfigDict(extra="forbid")
    category: str = Field(min_length=1, max_length=10, description="the code in the scheme (e.g. 2, or A)")
    scheme: str | None = Field(
        None, max_length=20, description="vic-us, vic-legacy, uk or industry (default: the case's)"
    )
    stack: bool = Field(False, description="categorise every content of its near-duplicate stack")
    note: str | None = Field(None, max_length=2000)


def _sha(store: Store, who: Principal, case: str, sha256: str) -> tuple[CaseRow, str]:
    """The case (as ``case_for`` lets the caller see it) and the path's SHA-256, which must be one."""
    row = case_for(store, who, case)
    sha = sha256.strip().lower()
    if not _SHA256.fullmatch(sha):
        raise NotFound(f"no content with SHA-256 {sha256} in this case")
    return row, sha


@router.post("/cases/{case}/files/{sha256}/category")
def set_category(case: str, sha256: str, body: CategoryIn, request: Request, who: Caller) -> dict[str, Any]:
    """Give the content (and, with ``stack``, its near-duplicates in the case) a category, as the caller;
    triage shows it at once. Answers what changed; audit ``category_change``."""
    c = ctx(request)
    row, sha = _sha(c.store, who, case, sha256)
    return categorise(
        c.store,
        c.settings,
        who,
        row.name,
        sha,
        body.category,
        body.scheme,
        stack=body.stack,
        note=body.note,
    )


@router.get("/cases/{case}/files/{sha256}/category")
def get_category_history(case: str, sha256: str, request: Request, who: Caller, pg: Paging) -> dict[str, Any]:
    """Every category reviewers gave the content in the case, oldest first (the last one holds)."""
    c = ctx(request)
    row, sha = _sha(c.store, who, case, sha256)
    items = category_history(c.store, who, row.name, sha)
    viewed(request, who, row.name)
    return pg.of(items)


def mount(app: FastAPI) -> None:
    app.include_router(router)
