"""Sign in, sign out, and a user's preferences (how gently previews are blurred)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from jejak.api.auth import SESSION_COOKIE
from jejak.api.context import ctx
from jejak.api.sessions import close_session, open_session, sign_in
from jejak.errors import LimitExceeded, NotAuthenticated
from jejak.services import accounts
from jejak.web.render import page
from jejak.web.session import LOGIN_COOKIE, FormViewer, Viewer, check_login_token, login_token

router = APIRouter()


def _next(value: str | None) -> str:
    """Where to go after signing in: a page of the UI, never another site."""
    if value and value.startswith("/ui/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/ui/"


def _form(request: Request, next_: str, error: str | None = None, status_code: int = 200) -> HTMLResponse:
    token = login_token()
    resp = page(
        request, "sign_in.html", None, status_code=status_code, login=token, next=_next(next_), error=error
    )
    resp.set_cookie(LOGIN_COOKIE, token, max_age=3600, httponly=True, samesite="strict", path="/ui")
    return resp


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, next: str | None = None) -> HTMLResponse:
    return _form(request, next or "/ui/")


@router.post("/sign-in")
def sign_in_post(
    request: Request,
    name: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    login: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/ui/",
) -> Response:
    check_login_token(request, login)
    c = ctx(request)
    client = request.client.host if request.client else None
    try:
        who = sign_in(c, name, password, "ui", client)
    except NotAuthenticated:
        return _form(request, next, "Wrong user name or password.", status_code=401)
    except LimitExceeded:
        return _form(request, next, "Too many attempts for this user name: wait a minute.", status_code=429)
    resp = RedirectResponse(_next(next), status_code=303)
    open_session(c, who, resp, client)
    resp.delete_cookie(LOGIN_COOKIE, path="/ui")
    return resp


@router.post("/sign-out")
def sign_out(request: Request, who: FormViewer) -> Response:
    resp = RedirectResponse("/ui/sign-in", status_code=303)
    close_session(ctx(request), who, request.cookies.get(SESSION_COOKIE), resp)
    return resp


@router.get("/preferences", response_class=HTMLResponse)
def preferences_page(request: Request, who: Viewer, saved: bool = False) -> HTMLResponse:
    c = ctx(request)
    return page(
        request,
        "preferences.html",
        who,
        prefs=accounts.preferences(c.store, who),
        allow_soft=c.settings.ui_allow_soft_blur,
        saved=saved,
    )


@router.post("/preferences")
def preferences_post(
    request: Request, who: FormViewer, blur: Annotated[str, Form(max_length=20)] = "default"
) -> Response:
    accounts.set_preference(ctx(request).store, who, "blur", blur)
    return RedirectResponse("/ui/preferences?saved=true", status_code=303)
