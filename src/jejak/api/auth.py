"""Who is calling: the bearer token of the request (web sessions join here later), and what it may do."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request

from jejak.api.context import ctx
from jejak.errors import NotAuthenticated
from jejak.services.accounts import Perm, Principal, authenticate


def principal(request: Request) -> Principal:
    """The caller, from ``Authorization: Bearer <token>``; 401 otherwise. Cached on the request."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise NotAuthenticated("this endpoint needs an 'Authorization: Bearer <token>' header")
    who = authenticate(ctx(request).store, token.strip())
    request.state.principal = who
    return who


def need(perm: Perm) -> Callable[[Principal], Principal]:
    """A dependency: the caller, who must hold ``perm`` (403 otherwise)."""

    def dep(who: Annotated[Principal, Depends(principal)]) -> Principal:
        who.require(perm)
        return who

    return dep
