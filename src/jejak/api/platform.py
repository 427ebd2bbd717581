"""The platform matching API (role "matcher"), in the shapes of Meta's Hasher-Matcher-Actioner (HMA):
``GET /m/lookup`` (one signal), ``POST /m/lookup`` (a JSON batch, or HMA's file upload), ``POST /h/hash``
(hash an upload), ``GET /m/index/status``. Every endpoint needs the ``match`` permission and counts against
the token's rate limit, one per hash looked up. The contract is docs/api-matching.md."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from python_multipart.multipart import parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from jejak.api.auth import principal
from jejak.api.context import ServerContext, ctx
from jejak.api.problems import TooLarge, WrongType
from jejak.api.ratelimit import TokenBuckets
from jejak.api.status import READY_KEY
from jejak.api.uploads import FORM_OVERHEAD, receive
from jejak.errors import ConfigError
from jejak.model import Kind
from jejak.services.accounts import Perm, Principal
from jejak.services.lookup import (
    SIGNAL_TYPES,
    LookupHit,
    Matcher,
    NotReady,
    UploadHashes,
    hash_upload,
    parse_signal,
    preserve_upload,
)
from jejak.walk.sniff import HEADER_BYTES, sniff

MATCHER = "matcher"  # ctx.state key and readiness check name
LIMITER = "platform_rate"
COALESCER = "pdq_coalescer"
HASH_SLOTS = "hash_slots"
MEDIA_KINDS = frozenset({Kind.IMAGE, Kind.VIDEO, Kind.AUDIO})


def _authorize(request: Request) -> Principal:
    """``need(Perm.match)`` on the event loop: the same check, without its two hops through the thread
    pool (sync dependencies), which cost more than the lookup itself."""
    who = principal(request)
    who.require(Perm.match)
    return who


async def _caller(request: Request) -> Principal:
    """The dependency form of ``_authorize`` (GET /m/lookup, the hot path, calls it inline)."""
    return _authorize(request)


Caller = Annotated[Principal, Depends(_caller)]


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Load the PDQ index in a background thread at start-up; /status/ready waits for it."""
    c: ServerContext = app.state.ctx
    matcher = Matcher(c.store, c.settings)
    c.state[MATCHER] = matcher
    c.state[COALESCER] = _Coalescer(matcher)
    c.state.setdefault(READY_KEY, {})[MATCHER] = matcher.ready
    matcher.start()
    try:
        yield
    finally:
        matcher.stop()


router = APIRouter(tags=["matching"], lifespan=_lifespan)


def mount(app: FastAPI) -> None:
    c: ServerContext = app.state.ctx
    c.state[LIMITER] = TokenBuckets(c.settings.api_rate_per_second, c.settings.api_rate_burst)
    app.include_router(router)


# -- helpers ---------------------------------------------------------------------------------------------
def _hashing_slots(c: ServerContext) -> asyncio.Semaphore:
    """Uploads decoded and hashed at once: one per worker (``workers``, the cores by default), so that a
    burst of large pictures queues instead of decoding all at once (each can take hundreds of MB)."""
    return c.shared(HASH_SLOTS, lambda: asyncio.Semaphore(max(1, c.settings.workers)))


def _matcher(request: Request) -> Matcher:
    m = ctx(request).state.get(MATCHER)
    if not isinstance(m, Matcher) or not m.loaded:
        raise HTTPException(503, "the matcher's index is not loaded yet: see /status/ready")
    return m


def _charge(request: Request, who: Principal, cost: int) -> None:
    limiter: TokenBuckets = ctx(request).state[LIMITER]
    limiter.check(who.token_id if who.token_id is not None else who.name, cost)


def _banks(text: str | None) -> frozenset[str] | None:
    return frozenset(b.strip() for b in text.split(",") if b.strip()) if text else None


def _by_bank(hits: Iterable[LookupHit], banks: frozenset[str] | None) -> dict[str, list[dict[str, Any]]]:
    """HMA's lookup answer: list ("bank") name -> its matching entries."""
    out: dict[str, list[dict[str, Any]]] = {}
    for h in hits:
        if banks is None or h.list_name in banks:
            out.setdefault(h.list_name, []).append(h.as_dict())
    return out


def _lookup(m: Matcher, signals: list[tuple[str, str]], max_distance: int | None) -> list[list[LookupHit]]:
    """Hits per (column, canonical hex), in order: one index search for the PDQs, one query per digest."""
    out: list[list[LookupHit]] = [[] for _ in signals]
    by_column: dict[str, list[int]] = {}
    for i, (column, _value) in enumerate(signals):
        by_column.setdefault(column, []).append(i)
    try:
        for column, positions in by_column.items():
            values = [signals[i][1] for i in positions]
            if column == "pdq":
                found = m.lookup_pdq_many(values, max_distance)
            else:
                found = m.lookup_exact(column, values)
            for i, hits in zip(positions, found, strict=True):
                out[i] = hits
    except NotReady as exc:
        raise HTTPException(503, str(exc)) from exc
    return out


class _Coalescer:
    """Single PDQ lookups of concurrent requests, searched together: those waiting when the event loop
    comes round share one index search and one store query (searched one by one, each costs about three
    times its share of a batch)."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self._pending: list[tuple[str, int | None, asyncio.Future[list[LookupHit]]]] = []

    async def lookup(self, pdq: str, max_distance: int | None) -> list[LookupHit]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[LookupHit]] = loop.create_future()
        self._pending.append((pdq, max_distance, future))
        if len(self._pending) == 1:
            loop.call_soon(self._flush)
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        groups: dict[int | None, list[tuple[str, asyncio.Future[list[LookupHit]]]]] = {}
        for pdq, max_distance, future in pending:
            groups.setdefault(max_distance, []).append((pdq, future))
        for max_distance, items in groups.items():
            try:
                found = self.matcher.lookup_pdq_many([pdq for pdq, _f in items], max_distance)
            except Exception as exc:  # NotReady, or the store failed: every waiter gets it
                for _pdq, future in items:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_pdq, future), hits in zip(items, found, strict=True):
                if not future.done():
                    future.set_result(hits)


# -- lookups ---------------------------------------------------------------------------------------------
_LOOKUP_PARAMS: list[dict[str, Any]] = [
    {
        "name": "signal_type",
        "in": "query",
        "required": True,
        "schema": {"type": "string", "enum": list(SIGNAL_TYPES)},
        "description": "pdq, md5, video_md5 (= md5), sha1 or sha256",
    },
    {
        "name": "signal",
        "in": "query",
        "required": True,
        "schema": {"type": "string"},
        "description": "the hash, hexadecimal",
    },
    {
        "name": "banks",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "comma-separated list names to answer from (default: every list)",
    },
    {
        "name": "max_distance",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 0, "maximum": 256},
        "description": "PDQ: narrow the lists' thresholds (never widens them)",
    },
]


def _query(request: Request) -> tuple[str, str, frozenset[str] | None, int | None]:
    """(signal_type, signal, banks, max_distance) from the query string, read by hand: FastAPI's
    parameter machinery costs a tenth of a lookup (the parameters are documented in the schema)."""
    q = request.query_params
    missing = [name for name in ("signal_type", "signal") if name not in q]
    if missing:
        errors = [
            {"type": "missing", "loc": ("query", n), "msg": "Field required", "input": None} for n in missing
        ]
        raise RequestValidationError(errors)
    max_distance: int | None = None
    if "max_distance" in q:
        text = q["max_distance"]
        if not text.isdigit() or int(text) > 256:
            msg = "max_distance is an integer in 0..256"
            raise RequestValidationError(
                [{"type": "value_error", "loc": ("query", "max_distance"), "msg": msg}]
            )
        max_distance = int(text)
    return q["signal_type"], q["signal"], _banks(q.get("banks")), max_distance


@router.get(
    "/m/lookup",
    summary="Look up one hash (HMA: GET /m/lookup with signal_type and signal)",
    response_description="list (bank) name -> the entries matched: bank_content_id, distance, category",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}},
    openapi_extra={"parameters": _LOOKUP_PARAMS},
)
async def lookup_get(request: Request) -> Response:
    who = _authorize(request)  # inline rather than a dependency: a few per cent of the request's time
    signal_type, signal, banks, max_distance = _query(request)
    _charge(request, who, 1)
    column, value = parse_signal(signal_type, signal)
    m = _matcher(request)
    if column == "pdq":
        coalescer: _Coalescer = ctx(request).state[COALESCER]
        try:
            hits = await coalescer.lookup(value, max_distance)
        except NotReady as exc:
            raise HTTPException(503, str(exc)) from exc
    else:
        [hits] = _lookup(m, [(column, value)], max_distance)
    body = json.dumps(_by_bank(hits, banks), separators=(",", ":")).encode()
    return Response(body, media_type="application/json")


class SignalIn(BaseModel):
    signal_type: str = Field(description="pdq, md5, video_md5 (= md5), sha1 or sha256")
    signal: str = Field(description="the hash, hexadecimal")


class BatchIn(BaseModel):
    signals: list[SignalIn] = Field(description="at most api_max_batch signals")
    banks: list[str] | None = Field(None, description="list names to answer from (default: all)")
    max_distance: int | None = Field(None, ge=0, le=256, description="PDQ: narrow the lists' thresholds")


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema with its local ``$defs`` references inlined (an OpenAPI body schema cannot use them)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.removeprefix("#/$defs/")])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    out: dict[str, Any] = walk(schema)
    return out


_UPLOAD_SCHEMA = {
    "schema": {
        "type": "object",
        "properties": {"file": {"type": "string", "format": "binary"}},
        "required": ["file"],
    }
}
_BATCH_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": _inline(BatchIn.model_json_schema())},
            "multipart/form-data": _UPLOAD_SCHEMA,
        },
        "required": True,
    }
}


@router.post(
    "/m/lookup",
    summary="Look up a batch of hashes (JSON), or hash an uploaded file and look it up (HMA)",
    openapi_extra=_BATCH_DOC,
)
async def lookup_post(request: Request, who: Caller) -> dict[str, Any]:
    s = ctx(request).settings
    mime, _params = parse_options_header(request.headers.get("content-type", ""))
    if mime == b"multipart/form-data":
        return await _lookup_upload(request, who)
    limit = 256 * s.api_max_batch + FORM_OVERHEAD
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge("api_max_batch", f"a batch lookup body is at most {limit} bytes")
    try:
        batch = BatchIn.model_validate_json(bytes(body))
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    if len(batch.signals) > s.api_max_batch:
        raise TooLarge(
            "api_max_batch", f"{len(batch.signals)} signals in one batch; at most {s.api_max_batch}"
        )
    _charge(request, who, max(1, len(batch.signals)))
    parsed: list[tuple[str, str]] = []
    for i, item in enumerate(batch.signals):
        try:
            parsed.append(parse_signal(item.signal_type, item.signal))
        except ConfigError as exc:
            raise ConfigError(f"signals[{i}]: {exc}") from None
    m = _matcher(request)
    banks = frozenset(batch.banks) if batch.banks is not None else None
    # a thread: a thousand PDQs take a while, and the event loop keeps answering single lookups meanwhile
    found = await run_in_threadpool(_lookup, m, parsed, batch.max_distance) if parsed else []
    return {
        "results": [
            {"signal_type": item.signal_type, "signal": value, "matches": _by_bank(hits, banks)}
            for item, (_column, value), hits in zip(batch.signals, parsed, found, strict=True)
        ]
    }


async def _lookup_upload(request: Request, who: Principal) -> dict[str, Any]:
    """HMA's POST /m/lookup: hash the uploaded file, then look every signal up: {signal_type: {bank: [...]}}.
    A PDQ below match_pdq_quality (flat or tiny pictures) only matches exactly."""
    s = ctx(request).settings
    m = _matcher(request)
    _charge(request, who, 1)
    hashes, path = await _hash_request(request, who)
    with suppress(FileNotFoundError):
        path.unlink()
    signals: dict[str, tuple[str, str]] = {}
    if hashes.pdq is not None:
        signals["pdq"] = ("pdq", hashes.pdq)
    if hashes.md5 is not None:
        signals["video_md5" if hashes.kind == Kind.VIDEO else "md5"] = ("md5", hashes.md5)
    if len(signals) > 1:
        _charge(request, who, len(signals) - 1)  # one per signal looked up, the first paid on arrival
    banks = _banks(request.query_params.get("banks"))
    out: dict[str, Any] = {}
    for name, sig in signals.items():
        low = sig[0] == "pdq" and (hashes.pdq_quality or 0) < s.match_pdq_quality
        [hits] = _lookup(m, [sig], 0 if low else None)
        out[name] = _by_bank(hits, banks)
    return out


@router.get("/m/index/status", summary="The matcher's index (HMA: GET /m/index/status)")
async def index_status(request: Request, who: Caller) -> dict[str, Any]:
    m = ctx(request).state.get(MATCHER)
    if not isinstance(m, Matcher):
        raise HTTPException(503, "the matcher is not started")
    return m.status()


# -- hashing uploads -------------------------------------------------------------------------------------
@router.post(
    "/h/hash",
    summary="Hash an uploaded file (HMA: POST /h/hash, multipart/form-data, one file)",
    openapi_extra={"requestBody": {"content": {"multipart/form-data": _UPLOAD_SCHEMA}, "required": True}},
)
async def hash_post(
    request: Request,
    who: Caller,
    preserve: Annotated[
        bool, Query(description="keep the uploaded bytes (named by SHA-256) for a later report")
    ] = False,
) -> dict[str, Any]:
    _charge(request, who, 1)
    hashes, path = await _hash_request(request, who)
    preserved = False
    try:
        if preserve:
            store, settings = ctx(request).store, ctx(request).settings
            await run_in_threadpool(preserve_upload, store, settings, path, hashes, who)
            preserved = True
    finally:
        with suppress(FileNotFoundError):
            path.unlink()
    return _hash_answer(hashes, preserved)


def _hash_answer(h: UploadHashes, preserved: bool) -> dict[str, Any]:
    """HMA's answer (signal type -> hash, every value a string that /m/lookup takes), and ``media``."""
    out: dict[str, Any] = {}
    if h.pdq is not None:
        out["pdq"] = h.pdq
    if h.kind == Kind.VIDEO and h.md5 is not None:
        out["video_md5"] = h.md5
    out.update({k: v for k, v in (("md5", h.md5), ("sha1", h.sha1), ("sha256", h.sha256)) if v})
    out["media"] = {
        "kind": h.kind,
        "mime": h.mime,
        "size": h.size,
        "width": h.width,
        "height": h.height,
        "pdq_quality": h.pdq_quality,
        "vpdq": [
            {"frame": f.frame, "quality": f.quality, "pdq": f.pdq, "seconds": f.seconds} for f in h.frames
        ],
        "preserved": preserved,
        "warnings": list(h.warnings),
    }
    return out


async def _hash_request(request: Request, who: Principal) -> tuple[UploadHashes, Path]:
    """Receive the one file of a multipart body (at most api_max_upload bytes, whatever Content-Length
    says), refuse what is not an image, video or audio (415), and hash it. The caller removes the file."""
    c = ctx(request)
    path = await receive(request, c.settings.api_max_upload)
    try:
        with path.open("rb") as f:
            kind = sniff(f.read(HEADER_BYTES)).kind
        if kind not in MEDIA_KINDS:
            raise WrongType(f"the upload is {kind.value}, not an image, a video or audio")
        async with _hashing_slots(c):
            return await run_in_threadpool(hash_upload, c.settings, path), path
    except BaseException:
        with suppress(FileNotFoundError):
            path.unlink()
        raise
