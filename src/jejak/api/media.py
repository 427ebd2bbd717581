"""Previews over HTTP: the picture a reviewer sees of a content of a case (``GET .../preview``).

The preview is the one stored at ingest: a still's thumbnail or a video's contact sheet
(``services.media.stored_preview``). It is sent greyscale and blurred unless ``?reveal=true``, which needs
the ``review`` permission (reviewers and investigators) and writes a ``media_reveal`` audit entry before the
sharp picture leaves the server (no entry, no picture). Blurred previews are not audited: a grid page asks
for dozens of them.

As everywhere, ``case_for`` comes first: another agency's unshared case is "not found", as a case that does
not exist; a content the case does not hold is "not found" with the message of an unknown SHA-256. No
answer may be kept by a browser or a proxy (``Cache-Control: no-store, private``), nor sniffed as anything
but the JPEG it is.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response

from jejak.api.auth import principal
from jejak.api.context import ctx
from jejak.errors import NotFound
from jejak.services import audit
from jejak.services.accounts import Perm, Principal, case_for, preferences
from jejak.services.media import preview_bytes

router = APIRouter(tags=["media"])

Caller = Annotated[Principal, Depends(principal)]
SHA256 = re.compile(r"[0-9a-f]{64}")
HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
}
"""Headers of every preview, blurred or revealed."""


@router.get(
    "/cases/{case}/files/{sha256}/preview",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}, "description": "the preview, a JPEG"}},
)
def preview(
    case: str,
    sha256: str,
    request: Request,
    who: Caller,
    reveal: Annotated[
        bool,
        Query(description="sharp and in colour, as stored (needs `review`; audited as media_reveal)"),
    ] = False,
) -> Response:
    """A content's preview: a still's thumbnail or a video's contact sheet, greyscale and blurred unless
    ``reveal``; 404 unless the case holds the content and a preview of it is stored."""
    store = ctx(request).store
    row = case_for(store, who, case)
    sha = sha256.strip().lower()
    if not SHA256.fullmatch(sha):
        raise NotFound(f"no content with SHA-256 {sha256} in this case")
    store.media.content_id(sha, row.id)  # NotFound unless the case holds it
    if reveal:
        who.require(Perm.review)
    soft = ctx(request).settings.ui_allow_soft_blur and preferences(store, who)["blur"] == "soft"
    data, media_type = preview_bytes(store, sha, reveal, soft=soft)
    if reveal:
        audit.record(store, who, "media_reveal", case=row.name, target=sha)  # before the picture leaves
    return Response(data, media_type=media_type, headers=HEADERS)


def mount(app: FastAPI) -> None:
    app.include_router(router)
