"""Web sessions: sign in with a user name and password to an HttpOnly, SameSite=Strict cookie (a 12-hour API
token of the user, revoked at sign-out), plus its CSRF token for changes. Sign-in attempts are limited per
user name (``login_attempts_per_minute``), whatever the answer, so a password cannot be guessed at speed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import BaseModel, Field, SecretStr

from jejak.api.auth import CSRF_COOKIE, SESSION_COOKIE, auth_cache, csrf_token, principal
from jejak.api.context import ServerContext, ctx
from jejak.api.ratelimit import TokenBuckets
from jejak.errors import NotAuthenticated
from jejak.services import accounts
from jejak.services.accounts import Principal
from jejak.services.audit import record

router = APIRouter(tags=["sessions"])
LIFETIME = "12h"


class SignIn(BaseModel):
    name: str = Field(max_length=100)
    password: SecretStr = Field(max_length=1024)


def login_limits(c: ServerContext) -> TokenBuckets:
    """Sign-in attempts per user name: ``login_attempts_per_minute``, a burst of as many."""
    n = c.settings.login_attempts_per_minute
    return c.shared("login_limits", lambda: TokenBuckets(n / 60.0, n))


def sign_in(c: ServerContext, name: str, password: str, via: str, client: str | None) -> Principal:
    """Check a password, with the attempt limit and the audit of both outcomes (one answer for every
    failure)."""
    login_limits(c).check(name.lower())
    try:
        who = accounts.check_password(c.store, name, password)
    except NotAuthenticated:
        c.store.audit.append(name[:100], "login_failed", detail={"via": via, "client": client})
        raise
    return who


def open_session(c: ServerContext, who: Principal, response: Response, client: str | None) -> dict[str, Any]:
    """A new session of ``who``: its token in the HttpOnly cookie, the CSRF token in a readable one; the
    ``login`` audit entry. Answers what ``POST /auth/session`` does."""
    token, row = accounts.create_token(c.store, who.name, accounts.parse_expiry(LIFETIME, 0))
    record(c.store, who, "login", detail={"via": "session", "client": client, "token_id": row.id})
    csrf = csrf_token(c, token)
    secure = c.settings.deployment == "server"
    age = 12 * 3600
    response.set_cookie(
        SESSION_COOKIE, token, max_age=age, httponly=True, samesite="strict", secure=secure, path="/"
    )
    response.set_cookie(CSRF_COOKIE, csrf, max_age=age, httponly=False, samesite="strict", secure=secure)
    return {
        "user": who.as_dict(),
        "csrf": csrf,
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
    }


def close_session(c: ServerContext, who: Principal, token: str | None, response: Response) -> None:
    """Sign out: the session's token revoked at once, the cookies cleared, a ``logout`` audit entry."""
    if who.token_id is not None and token:
        c.store.accounts.revoke_token(who.token_id)
        auth_cache(c).clear()
        record(c.store, who, "logout", detail={"via": "session", "token_id": who.token_id})
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")


@router.post("/auth/session", status_code=201)
def start(request: Request, response: Response, body: SignIn) -> dict[str, Any]:
    """Sign in: sets the session cookie (HttpOnly, SameSite=Strict; Secure on a server deployment) and
    answers the CSRF token that changes made with the session must send as ``X-CSRF-Token``."""
    c = ctx(request)
    client = request.client.host if request.client else None
    who = sign_in(c, body.name, body.password.get_secret_value(), "session", client)
    return open_session(c, who, response, client)


@router.get("/auth/session")
def current(request: Request, who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """The signed-in user (and the session's CSRF token, for a page that lost it)."""
    token = request.cookies.get(SESSION_COOKIE)
    return {"user": who.as_dict(), "csrf": csrf_token(ctx(request), token) if token else None}


@router.delete("/auth/session")
def end(
    request: Request, response: Response, who: Annotated[Principal, Depends(principal)]
) -> dict[str, Any]:
    """Sign out: the session's token is revoked at once and the cookies cleared."""
    close_session(ctx(request), who, request.cookies.get(SESSION_COOKIE), response)
    return {"signed_out": True}


def mount(app: FastAPI) -> None:
    app.include_router(router)
