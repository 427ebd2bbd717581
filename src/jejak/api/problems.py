"""Errors become RFC 9457 problem+JSON here, and only here (the CLI turns the same errors into exit codes)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from jejak.errors import (
    AccessDenied,
    AlreadyExists,
    ConfigError,
    EvidenceError,
    JejakError,
    LimitExceeded,
    NotAuthenticated,
    NotFound,
)

MEDIA_TYPE = "application/problem+json"


class RateLimited(LimitExceeded):
    """A token made more requests than its rate allows (HTTP 429, with Retry-After)."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("api_rate", f"rate limit reached: retry after {retry_after:.1f} s")
        self.retry_after = retry_after


class TooLarge(LimitExceeded):
    """A request body above a configured size (HTTP 413)."""


class WrongType(ConfigError):
    """An upload of a type the endpoint does not take (HTTP 415)."""


def status_of(exc: JejakError) -> tuple[int, str]:
    table: list[tuple[type[JejakError], int, str]] = [
        (RateLimited, 429, "rate-limited"),
        (TooLarge, 413, "too-large"),
        (WrongType, 415, "unsupported-type"),
        (NotAuthenticated, 401, "not-authenticated"),
        (AccessDenied, 403, "forbidden"),
        (NotFound, 404, "not-found"),
        (AlreadyExists, 409, "exists"),
        (ConfigError, 400, "bad-request"),
        (EvidenceError, 422, "evidence"),
        (LimitExceeded, 413, "limit"),
    ]
    for cls, status, kind in table:
        if isinstance(exc, cls):
            return status, kind
    return 500, "error"


def problem(status: int, kind: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://jejak.invalid/problems/{kind}",
        "title": kind,
        "status": status,
        "detail": detail,
    }
    body.update(extra)
    headers: dict[str, str] = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="jejak"'
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


PageErrors = Callable[[Request, int, JejakError], Response | None]
"""The web UI's own answer to an error on one of its pages (an HTML page, a redirect to sign in), or None
for problem+JSON."""


def install(app: FastAPI, pages: PageErrors | None = None) -> None:
    @app.exception_handler(JejakError)
    async def _jejak(request: Request, exc: JejakError) -> Response:
        status, kind = status_of(exc)
        if pages is not None:
            page = pages(request, status, exc)
            if page is not None:
                return page
        resp = problem(status, kind, str(exc) if status < 500 else "internal error (see the server log)")
        if isinstance(exc, RateLimited):
            resp.headers["Retry-After"] = str(max(1, round(exc.retry_after + 0.5)))
        return resp

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", "")} for e in exc.errors()]
        return problem(422, "invalid", "the request does not validate", errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, "http", str(exc.detail))
