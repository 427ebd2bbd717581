"""``mount``: the review UI's pages under ``/ui``, its static assets under ``/ui/static``, and its answer to
errors on its pages (a redirect to sign in, an HTML page with the message) instead of problem+JSON."""

from __future__ import annotations

from importlib.resources import files
from urllib.parse import quote

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

from jejak.errors import JejakError, NotAuthenticated
from jejak.web import audit, auth, cases, graph, items, lists, reports, triage
from jejak.web.render import page

PREFIX = "/ui"
MODULES = (auth, cases, triage, items, graph, lists, reports, audit)


def error_page(request: Request, status: int, exc: JejakError) -> Response | None:
    """Errors on the UI's pages: sign in again (a 303 to the sign-in page, back here afterwards), or the
    message on a page of ours. Everything else (the API, the UI's static files) answers problem+JSON."""
    path = request.url.path
    if not path.startswith(PREFIX + "/") or path.startswith(PREFIX + "/static/"):
        return None
    if isinstance(exc, NotAuthenticated) and request.method == "GET":
        back = path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{PREFIX}/sign-in?next={quote(back, safe='')}", status_code=303)
    who = getattr(request.state, "principal", None)
    message = str(exc) if status < 500 else "internal error (see the server log)"
    return page(request, "error.html", who, status_code=status, status=status, message=message)


def mount(app: FastAPI) -> None:
    static = files("jejak.web").joinpath("static")
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(static)), name="ui-static")
    for module in MODULES:
        app.include_router(module.router, prefix=PREFIX, include_in_schema=False)

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=303)
