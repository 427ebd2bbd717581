"""Who is looking at a page: the session cookie's user (``jejak_session``, see api/sessions.py), or a
redirect to the sign-in page. Forms carry the session's CSRF token in a hidden ``csrf`` field (scripts send
it as ``X-CSRF-Token`` to the API); the sign-in form, before any session, a token of its own bound to a
cookie (double submit), so that nobody can sign a browser in to another account."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from jejak.api.auth import SESSION_COOKIE, csrf_token, of_token
from jejak.api.context import ctx
from jejak.errors import AccessDenied, NotAuthenticated
from jejak.services.accounts import Principal

LOGIN_COOKIE = "jejak_login"


class SignInNeeded(NotAuthenticated):
    """A page asked for without a (valid) session: the browser is sent to the sign-in page."""


def viewer(request: Request) -> Principal:
    """The signed-in user of a page request (GET): the session cookie only, never a bearer token."""
    token = request.cookies.get(SESSION_COOKIE, "")
    if not token:
        raise SignInNeeded("sign in to see this page")
    try:
        who = of_token(ctx(request), token)
    except NotAuthenticated:
        raise SignInNeeded("your session has ended: sign in again") from None
    request.state.principal = who
    return who


def csrf_of(request: Request) -> str:
    token = request.cookies.get(SESSION_COOKIE, "")
    return csrf_token(ctx(request), token) if token else ""


def check_csrf(request: Request, sent: object) -> None:
    """A form's ``csrf`` field must be the session's CSRF token (403 otherwise): for forms read otherwise
    than by ``FormViewer`` (a capped multipart upload)."""
    token = sent if isinstance(sent, str) else ""
    if not token or not token.isascii() or not hmac.compare_digest(token, csrf_of(request)):
        raise AccessDenied("this form is out of date or not from this server (CSRF token): reload the page")


async def form_viewer(request: Request) -> Principal:
    """The signed-in user of a form post: the session cookie, and the form's ``csrf`` field must be the
    session's CSRF token (403 otherwise)."""
    form = await request.form()
    who = viewer(request)
    check_csrf(request, form.get("csrf", ""))
    return who


def login_token() -> str:
    return secrets.token_urlsafe(24)


def check_login_token(request: Request, sent: str) -> None:
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise AccessDenied("the sign-in form is out of date: reload the page and sign in again")


Viewer = Annotated[Principal, Depends(viewer)]
FormViewer = Annotated[Principal, Depends(form_viewer)]
