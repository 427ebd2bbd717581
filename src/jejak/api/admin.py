"""Accounts over HTTP: who am I, the agencies, an agency's users and their API tokens, and signing in with a
password for a short-lived token. An admin manages its own agency only: another agency's user or token is
"not found", exactly as one that does not exist. Every change and every sign-in is audited."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field, SecretStr

from jejak.api.auth import forget, need, principal
from jejak.api.context import ctx
from jejak.api.paging import Page, page
from jejak.api.sessions import sign_in
from jejak.errors import ConfigError, NotFound
from jejak.services import accounts
from jejak.services.accounts import Perm, Principal, Role
from jejak.services.audit import record
from jejak.store.accounts import TokenRow, UserRow
from jejak.store.sql import Store

router = APIRouter(tags=["accounts"])

LOGIN_LIFETIME = "12h"  # a token from POST /auth/token (a person signing in), not a program's token

Caller = Annotated[Principal, Depends(principal)]
Admin = Annotated[Principal, Depends(need(Perm.admin))]
Paged = Annotated[Page, Depends(page)]


class NewUser(BaseModel):
    name: str = Field(description="letters, digits and . _ @ - (at most 100)", max_length=100)
    role: Role = Field(description="admin | investigator | reviewer | auditor | platform")
    password: SecretStr | None = Field(
        None, description="at least 12 characters; none for a user of API tokens only", max_length=1024
    )


class NewToken(BaseModel):
    expires: str | None = Field(None, description="30d, 12h, 90m, 2w or never (default: api_token_days)")
    scopes: list[str] | None = Field(None, description="narrow the token to these permissions")


class Login(BaseModel):
    name: str = Field(max_length=100)
    password: SecretStr = Field(max_length=1024)


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _own_user(store: Store, who: Principal, name: str) -> UserRow:
    """A user of the caller's agency; any other is "not found", as one that does not exist."""
    try:
        user = store.accounts.user(name)
    except NotFound:
        user = None
    if user is None or user.agency_id != who.agency_id:
        raise NotFound(f"no user {name!r}")
    return user


def _token_dict(t: TokenRow, user: str) -> dict[str, Any]:
    now = datetime.now(UTC).replace(tzinfo=None)
    if t.revoked_at is not None:
        status = "revoked"
    elif t.expires_at is not None and t.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return {**t.as_dict(), "user": user, "status": status}


@router.get("/me")
def me(who: Caller) -> dict[str, Any]:
    """The caller: name, role, agency and the permissions of this token."""
    return who.as_dict()


@router.get("/agencies")
def agencies(request: Request, who: Caller, pg: Paged) -> dict[str, Any]:
    """Every agency's name (to share a case with one), nothing else about them."""
    return pg.of({"name": a.name} for a in ctx(request).store.accounts.agencies())


@router.get("/users")
def users(request: Request, who: Admin, pg: Paged) -> dict[str, Any]:
    """The users of the caller's agency."""
    return pg.of(u.as_dict() for u in ctx(request).store.accounts.users(who.agency_id))


@router.post("/users", status_code=201)
def create_user(request: Request, who: Admin, body: NewUser) -> dict[str, Any]:
    """Create a user of the caller's agency, with any role (an admin manages its own agency only)."""
    store = ctx(request).store
    password = body.password.get_secret_value() if body.password is not None else None
    row = accounts.create_user(store, body.name, who.agency or "", body.role.value, password)
    record(
        store,
        who,
        "admin_user",
        target=row.name,
        detail={"op": "create", "role": row.role, "password": password is not None},
    )
    return row.as_dict()


@router.delete("/users/{user_name}")
def disable_user(request: Request, who: Admin, user_name: str) -> dict[str, Any]:
    """Disable a user of the caller's agency: their password and tokens stop working."""
    store = ctx(request).store
    user = _own_user(store, who, user_name)
    if user.id == who.user_id:
        raise ConfigError("you cannot disable yourself: ask another admin of your agency")
    if user.disabled_at is None:
        store.accounts.disable_user(user.id)
        forget(request)
        record(store, who, "admin_user", target=user.name, detail={"op": "disable"})
    return store.accounts.user_by_id(user.id).as_dict()


@router.get("/users/{user_name}/tokens")
def user_tokens(request: Request, who: Admin, user_name: str, pg: Paged) -> dict[str, Any]:
    """A user's tokens: id, prefix, scopes, expiry, revocation, last use; never the token."""
    store = ctx(request).store
    user = _own_user(store, who, user_name)
    return pg.of(_token_dict(t, user.name) for t in store.accounts.tokens(user.id))


@router.post("/users/{user_name}/tokens", status_code=201)
def create_token(
    request: Request, who: Admin, user_name: str, body: NewToken | None = None
) -> dict[str, Any]:
    """A new API token for a user of the caller's agency. The token is in this answer only: only its
    SHA-256 is kept. A token for oneself can hold no permission the calling token lacks."""
    c = ctx(request)
    user = _own_user(c.store, who, user_name)
    body = body or NewToken()
    scopes = body.scopes
    if user.id == who.user_id:  # a narrowed token must not mint itself a wider one
        mine = sorted(p.value for p in who.perms)
        wider = [s for s in scopes or [] if s not in mine]
        if wider:
            raise ConfigError(f"scopes {', '.join(wider)} are not among this token's: {', '.join(mine)}")
        scopes = scopes or mine
    expires_at = accounts.parse_expiry(body.expires, c.settings.api_token_days)
    token, row = accounts.create_token(c.store, user.name, expires_at, scopes)
    expiry = row.expires_at.isoformat() if row.expires_at else None
    record(
        c.store,
        who,
        "admin_token",
        target=user.name,
        detail={
            "op": "create",
            "token_id": row.id,
            "prefix": row.prefix,
            "scopes": row.scopes,
            "expires_at": expiry,
        },
    )
    return {
        "id": row.id,
        "user": user.name,
        "prefix": row.prefix,
        "scopes": row.scopes,
        "expires_at": expiry,
        "token": token,
    }


@router.delete("/tokens/{token_id}")
def revoke_token(request: Request, who: Admin, token_id: int) -> dict[str, Any]:
    """Revoke a token of a user of the caller's agency: it stops working at once."""
    store = ctx(request).store
    found = [t for t in store.accounts.find_tokens(str(token_id)) if t.id == token_id]
    user = store.accounts.user_by_id(found[0].user_id) if found else None
    if user is None or user.agency_id != who.agency_id:
        raise NotFound(f"no API token #{token_id}")
    if found[0].revoked_at is None:
        store.accounts.revoke_token(token_id)
        forget(request)
        record(
            store,
            who,
            "admin_revoke",
            target=user.name,
            detail={"token_id": token_id, "prefix": found[0].prefix},
        )
    (row,) = [t for t in store.accounts.tokens(user.id) if t.id == token_id]
    return _token_dict(row, user.name)


@router.post("/auth/token", status_code=201)
def login(request: Request, body: Login) -> dict[str, Any]:
    """Sign in with a user name and password: a token for that user, valid for 12 hours. Every failure
    (unknown user, wrong password, disabled user, a user without a password) has the same answer."""
    c = ctx(request)
    store = c.store
    client = _client(request)
    who = sign_in(c, body.name, body.password.get_secret_value(), "api", client)
    token, row = accounts.create_token(store, who.name, accounts.parse_expiry(LOGIN_LIFETIME, 0))
    record(store, who, "login", detail={"via": "api", "client": client, "token_id": row.id})
    return {
        "token": token,
        "token_type": "bearer",
        "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        "scopes": row.scopes,
    }


def mount(app: FastAPI) -> None:
    app.include_router(router)
