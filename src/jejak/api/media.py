"""Previews over HTTP: the picture a reviewer sees of a content of a case (``GET .../preview``), and a
video's original bytes to play on request (``GET .../media``).

The preview is the one stored at ingest: a still's thumbnail or a video's contact sheet
(``services.media.stored_preview``). It is sent greyscale and blurred unless ``?reveal=true``, which needs
the ``review`` permission (reviewers and investigators) and writes a ``media_reveal`` audit entry before the
sharp picture leaves the server (no entry, no picture). Blurred previews are not audited: a grid page asks
for dozens of them.

A video plays from its original file, read again from the evidence through its provenance chain
(``evidence.reopen``) and checked against its SHA-256: it needs ``review`` too and writes a ``media_reveal``
audit entry (detail ``{"as": "video"}``) before any byte leaves; when no instance can be read any more (the
evidence moved or changed) the answer is 404 saying so. The review UI plays it muted and veiled.

As everywhere, ``case_for`` comes first: another agency's unshared case is "not found", as a case that does
not exist; a content the case does not hold is "not found" with the message of an unknown SHA-256. No
answer may be kept by a browser or a proxy (``Cache-Control: no-store, private``), nor sniffed as anything
but the JPEG it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from jejak.api.auth import principal
from jejak.api.context import ctx
from jejak.errors import EvidenceError, NotFound
from jejak.evidence.reopen import copy_verified, read_pathspec
from jejak.hashing.stream import CHUNK
from jejak.model import PathSpec
from jejak.services import audit
from jejak.services.accounts import Perm, Principal, case_for, preferences
from jejak.services.media import preview_bytes
from jejak.walk.limits import Limits

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


def _chunks(f: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := f.read(CHUNK):
            yield chunk
    finally:
        f.close()


@router.get(
    "/cases/{case}/files/{sha256}/media",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}, "description": "the video's original bytes"}},
)
def media(case: str, sha256: str, request: Request, who: Caller) -> StreamingResponse:
    """A video of the case as seized (to play on request): needs ``review``, audited as ``media_reveal``
    (``{"as": "video"}``); 404 unless the case holds the content and it is a video, or when its evidence
    cannot be read any more."""
    c = ctx(request)
    row = case_for(c.store, who, case)
    sha = sha256.strip().lower()
    if not SHA256.fullmatch(sha):
        raise NotFound(f"no content with SHA-256 {sha256} in this case")
    c.store.media.content_id(sha, row.id)  # NotFound unless the case holds it
    who.require(Perm.review)
    videos = [f for f in c.store.iter_files(row.id) if f["sha256"] == sha and f["kind"] == "video"]
    if not videos:
        raise NotFound(f"content {sha} of case {row.name} is not a video")
    videos.sort(key=lambda f: len(f["pathspec"]))  # a host file first: nothing to unpack
    limits = Limits.from_settings(c.settings)
    problems: list[str] = []
    for f in videos:
        try:
            data = read_pathspec(PathSpec.from_json(f["pathspec"]), copy_verified(sha), limits)
        except EvidenceError as exc:
            problems.append(f"{f['path']}: {exc}")
            continue
        size = data.seek(0, 2)
        data.seek(0)
        audit.record(c.store, who, "media_reveal", case=row.name, target=sha, detail={"as": "video"})
        return StreamingResponse(
            _chunks(data),
            media_type=f["mime"] or "application/octet-stream",
            headers=HEADERS | {"Content-Length": str(size), "Accept-Ranges": "none"},
            background=BackgroundTask(data.close),
        )
    raise NotFound(
        f"the original of video {sha} cannot be read any more (the evidence moved or changed): "
        + "; ".join(problems)
    )


def mount(app: FastAPI) -> None:
    app.include_router(router)
