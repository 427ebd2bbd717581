"""Known-hash lists over HTTP: list, show, versions, export, and import an uploaded release. Lists are
global (hash lists cross borders): every holder of lists:read sees them all. Imports and exports are
audited."""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import AsyncGenerator, Iterator
from pathlib import Path
from typing import IO, Annotated, Any, BinaryIO, cast

from fastapi import APIRouter, Depends, FastAPI, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from jejak.api.auth import need
from jejak.api.context import ServerContext, ctx
from jejak.api.paging import Page, page
from jejak.api.problems import TooLarge, WrongType
from jejak.errors import ConfigError, NotFound
from jejak.services import lists as svc
from jejak.services.accounts import Perm, Principal
from jejak.services.audit import record
from jejak.store.sql import Store

router = APIRouter(tags=["lists"])

Reader = Annotated[Principal, Depends(need(Perm.lists_read))]
Writer = Annotated[Principal, Depends(need(Perm.lists_write))]

FORM_SLACK = 64 * 1024  # the form's fields and part headers, on top of the file itself
CHUNK = 1 << 16
_TYPES = {
    "vics": ("application/json", "json"),
    "csv": ("text/csv", "csv"),
    "icse": ("text/csv", "csv"),
}
_TEXT = ("text/plain", "txt")


class People:
    """Lists are shared by every agency, the people behind them are not: a name that is not of the
    caller's own agency shows as that agency ("agency:Politie NL"), or "server operator" for an import
    made on the server's command line; a source path shows as its file name only."""

    def __init__(self, store: Store, who: Principal) -> None:
        self.store = store
        self.who = who
        self.seen: dict[str, str] = {}

    def name(self, by: Any) -> Any:
        if self.who.is_local or not isinstance(by, str):
            return by
        if by not in self.seen:
            try:
                user = self.store.accounts.user(by)
                self.seen[by] = by if user.agency == self.who.agency else f"agency:{user.agency}"
            except NotFound:
                self.seen[by] = "server operator"
        return self.seen[by]

    def source(self, src: Any) -> Any:
        if self.who.is_local or not isinstance(src, str):
            return src
        return src.rsplit("/", 1)[-1]

    def row(self, row: dict[str, Any]) -> dict[str, Any]:
        out = dict(row)
        for key in ("created_by", "last_by", "imported_by"):
            if key in out:
                out[key] = self.name(out[key])
        if "source" in out:
            out["source"] = self.source(out["source"])
        if isinstance(out.get("versions"), list):
            out["versions"] = [self.row(v) for v in out["versions"]]
        return out


@router.get("/lists")
def all_lists(request: Request, who: Reader, pg: Annotated[Page, Depends(page)]) -> dict[str, Any]:
    """Every list with its size, versions and last import."""
    people = People(ctx(request).store, who)
    return pg.of([people.row(r) for r in svc.list_rows(ctx(request).store)])


@router.get("/lists/{list_name}")
def show_list(request: Request, who: Reader, list_name: str) -> dict[str, Any]:
    """A list's entries by hash and category, and its versions."""
    return People(ctx(request).store, who).row(svc.show_list(ctx(request).store, list_name))


@router.get("/lists/{list_name}/versions")
def versions(
    request: Request, who: Reader, list_name: str, pg: Annotated[Page, Depends(page)]
) -> dict[str, Any]:
    """A list's versions, oldest first: who imported what, when, and what changed."""
    data = People(ctx(request).store, who).row(svc.show_list(ctx(request).store, list_name))
    return pg.of(data["versions"])


@router.get("/lists/{list_name}/export", response_class=StreamingResponse)
def export(
    request: Request,
    who: Reader,
    list_name: str,
    fmt: Annotated[
        str, Query(alias="format", description="vics | csv | pdq | icse | md5sum | hashdeep")
    ] = "vics",
    profile: Annotated[str, Query(description="VICS profile: US | UK | Default")] = "US",
) -> StreamingResponse:
    """A list's active entries in a list format. Written to a temporary file first (a failure is a
    problem answer, never half a file), then streamed."""
    if fmt not in svc.EXPORT_FORMATS:
        raise ConfigError(f"format must be one of {', '.join(svc.EXPORT_FORMATS)}, not {fmt!r}")
    store = ctx(request).store
    tmp: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=8 << 20)
    try:
        n = svc.export_list(store, list_name, fmt, cast(BinaryIO, tmp), profile=profile)
        record(
            store, who, "list_export", target=list_name, detail={"format": fmt, "entries": n, "via": "api"}
        )
        tmp.seek(0)
    except BaseException:
        tmp.close()
        raise
    media_type, ext = _TYPES.get(fmt, _TEXT)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", list_name)[:100] or "list"

    def chunks() -> Iterator[bytes]:
        yield from iter(lambda: tmp.read(CHUNK), b"")

    return StreamingResponse(
        chunks(),
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{safe}.{ext}"', "X-Entries": str(n)},
        background=BackgroundTask(tmp.close),
    )


_UPLOAD_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file", "name"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "the list file"},
                        "name": {"type": "string", "description": "the list; a re-import adds a version"},
                        "format": {
                            "type": "string",
                            "default": "auto",
                            "description": "auto | vics | icse | csv | md5sum | hashdeep | nsrl | pdq | vpdq",
                        },
                        "scheme": {"type": "string", "description": "vic-us | vic-legacy | uk | industry"},
                        "known_good": {"type": "boolean", "default": False},
                        "pdq_threshold": {"type": "integer", "minimum": 0, "maximum": 256},
                        "description": {"type": "string"},
                        "map": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "generic CSV: FIELD=COLUMN, e.g. md5=Hash",
                        },
                    },
                }
            }
        },
    }
}


async def _capped(stream: AsyncGenerator[bytes, None], cap: int) -> AsyncGenerator[bytes, None]:
    seen = 0
    async for chunk in stream:
        seen += len(chunk)
        if seen > cap:
            raise TooLarge("api_max_upload", f"the upload is larger than api_max_upload ({cap} bytes)")
        yield chunk


def _field(form: FormData, key: str) -> str | None:
    value = form.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"form field {key!r} must be text, not a file")
    return value.strip() or None


def _flag(form: FormData, key: str) -> bool:
    value = (_field(form, key) or "false").lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"form field {key!r} must be true or false, not {value!r}")


def _mapping(pairs: list[str]) -> dict[str, str] | None:
    out = {}
    for p in pairs:
        field, sep, column = p.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise ConfigError(f"map takes FIELD=COLUMN (e.g. md5=Hash), not {p!r}")
        out[field.strip()] = column.strip()
    return out or None


def _copy(src: IO[bytes], dest: Path) -> None:
    src.seek(0)
    with open(dest, "wb") as out:
        shutil.copyfileobj(src, out, CHUNK)


async def read_upload(request: Request, cap: int) -> FormData:
    """The multipart form of a list upload (a 'file' part and text fields), its file capped at ``cap`` bytes
    while it streams in (413 above it): nothing larger is ever spooled. The caller closes the form."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise WrongType("a list upload takes multipart/form-data: a 'file' part and the field 'name'")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap + FORM_SLACK:
        raise TooLarge("api_max_upload", f"the upload is larger than api_max_upload ({cap} bytes)")
    parser = MultiPartParser(
        request.headers, _capped(request.stream(), cap + FORM_SLACK), max_files=1, max_fields=20
    )
    try:
        return await parser.parse()
    except MultiPartException as exc:
        raise ConfigError(f"the upload does not parse as multipart/form-data: {exc.message}") from None


async def import_upload(c: ServerContext, who: Principal, form: FormData, via: str) -> dict[str, Any]:
    """Import the release an upload form holds (``read_upload``), as 'jejak lists import' does, and audit
    it (``list_import``, with ``via``: "api" or "ui"). The report of the new version."""
    who.require(Perm.lists_write)
    cap = c.settings.api_max_upload
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ConfigError("the upload has no 'file' part")
    if upload.size is not None and upload.size > cap:
        raise TooLarge("api_max_upload", f"the upload is larger than api_max_upload ({cap} bytes)")
    name = _field(form, "name")
    if name is None:
        raise ConfigError("the form field 'name' (the list's name) is missing")
    fmt = _field(form, "format") or "auto"
    scheme = _field(form, "scheme")
    threshold = _field(form, "pdq_threshold")
    if threshold is not None and not (threshold.isdigit() and 0 <= int(threshold) <= 256):
        raise ConfigError(f"pdq_threshold must be between 0 and 256, not {threshold!r}")
    maps = [m for m in form.getlist("map") if isinstance(m, str) and m.strip()]
    filename = Path(upload.filename or "upload").name
    with tempfile.TemporaryDirectory(prefix="jejak-upload-") as tmp:
        path = Path(tmp) / (re.sub(r"[^A-Za-z0-9._-]+", "_", filename)[-100:].lstrip(".") or "upload")
        await run_in_threadpool(_copy, upload.file, path)
        if fmt == "vpdq":
            report = await run_in_threadpool(
                svc.import_vpdq, c.store, [path], name, scheme=scheme, by=who.name
            )
        else:
            report = await run_in_threadpool(
                svc.import_list,
                c.store,
                path,
                name,
                fmt=fmt,
                scheme=scheme,
                known_good=_flag(form, "known_good"),
                pdq_threshold=int(threshold) if threshold is not None else None,
                description=_field(form, "description"),
                mapping=_mapping(maps),
                by=who.name,
                source=f"upload:{filename}",
            )
    detail = {k: report.get(k) for k in ("version", "format", "known_good", "source_sha256", "counts")}
    await run_in_threadpool(
        record, c.store, who, "list_import", target=name, detail={**detail, "source": filename, "via": via}
    )
    return {**report, "source": filename}


@router.post("/lists", status_code=201, openapi_extra=_UPLOAD_DOC)
async def import_list(request: Request, who: Writer) -> dict[str, Any]:
    """Import a release of a list from an uploaded file (multipart/form-data), as 'jejak lists import'
    does. The file is capped by api_max_upload (413 above it)."""
    c = ctx(request)
    form = await read_upload(request, c.settings.api_max_upload)
    try:
        return await import_upload(c, who, form, via="api")
    finally:
        await form.close()


def mount(app: FastAPI) -> None:
    app.include_router(router)
