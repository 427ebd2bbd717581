"""Who is calling: the bearer token of the request, or the web session's cookie, and what it may do.

A web session (``POST /auth/session``, api/sessions.py) is a short-lived API token kept in an HttpOnly,
SameSite=Strict cookie; a request that changes something with it (any method but GET, HEAD, OPTIONS) must
also carry the session's CSRF token in the ``X-CSRF-Token`` header (an HMAC of the session under
``secret_key``), or it is refused (403).

A token's principal is remembered for ``api_auth_cache_seconds`` (2 s by default) so that a lookup does not
cost a database query: an expiry is still exact (checked on every request), a revocation or a disabled user
through this server's API takes effect at once (the cache is cleared), one made on the command line within
those seconds."""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from jejak.api.context import ServerContext, ctx
from jejak.errors import AccessDenied, NotAuthenticated
from jejak.services.accounts import Perm, Principal, authenticate

MAX_CACHED = 10_000


class AuthCache:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._known: dict[str, tuple[float, Principal]] = {}

    def get(self, key: str) -> Principal | None:
        if self.seconds <= 0:
            return None
        with self._lock:
            hit = self._known.get(key)
        if hit is None:
            return None
        until, who = hit
        expires = who.extra.get("expires_at")
        if time.monotonic() > until or (
            isinstance(expires, datetime) and expires <= datetime.now(UTC).replace(tzinfo=None)
        ):
            with self._lock:
                self._known.pop(key, None)
            return None
        return who

    def put(self, key: str, who: Principal) -> None:
        if self.seconds <= 0:
            return
        with self._lock:
            if len(self._known) >= MAX_CACHED:
                self._known.clear()
            self._known[key] = (time.monotonic() + self.seconds, who)

    def clear(self) -> None:
        with self._lock:
            self._known.clear()


def auth_cache(c: ServerContext) -> AuthCache:
    return c.shared("auth_cache", lambda: AuthCache(c.settings.api_auth_cache_seconds))


def forget(request: Request) -> None:
    """A token was revoked or a user disabled: nobody is taken on trust from the cache any more."""
    auth_cache(ctx(request)).clear()


SESSION_COOKIE = "jejak_session"
CSRF_COOKIE = "jejak_csrf"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token(c: ServerContext, session_token: str) -> str:
    """The CSRF token of a session: an HMAC of the session token under the server's secret key."""
    key = c.settings.secret_key.get_secret_value().encode("utf-8")
    return hmac.new(key, session_token.encode("utf-8"), hashlib.sha256).hexdigest()[:40]


def _credential(request: Request) -> tuple[str, bool]:
    """(the token, whether it came from the session cookie)."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("the Authorization header must be 'Bearer <token>'")
        return token.strip(), False
    cookie = request.cookies.get(SESSION_COOKIE, "")
    if cookie:
        return cookie, True
    raise NotAuthenticated(
        "this endpoint needs an 'Authorization: Bearer <token>' header or a signed-in session"
    )


def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <token>`` or the session cookie; 401 otherwise, 403 for a
    session's change without its CSRF token. Cached on the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    token, from_cookie = _credential(request)
    c = ctx(request)
    if from_cookie and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, csrf_token(c, token)):
            raise AccessDenied("a change made with a web session needs its CSRF token (X-CSRF-Token header)")
    who = of_token(c, token)
    request.state.principal = who
    return who


def of_token(c: ServerContext, token: str) -> Principal:
    """The principal of a token (bearer or session), through the server's short cache."""
    cache = auth_cache(c)
    key = hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()
    who = cache.get(key)
    if who is None:
        who = authenticate(c.store, token)
        cache.put(key, who)
    return who


def need(perm: Perm) -> Callable[[Principal], Principal]:
    """A dependency: the caller, who must hold ``perm`` (403 otherwise)."""

    def dep(who: Annotated[Principal, Depends(principal)]) -> Principal:
        who.require(perm)
        return who

    return dep
