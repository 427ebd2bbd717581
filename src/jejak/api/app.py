"""``create_app``: one FastAPI application over the services, its routers mounted by role.

Roles: ``api`` (agencies, users, cases and their data, lists, links, alerts, assertions, audit, server-side
ingest jobs), ``matcher`` (the platform matching API in the shapes of Meta's HMA: /h/hash, /m/lookup),
``ui`` (the review web UI under /ui, web/; it mounts the ``api`` role's endpoints too, which its scripts
call with the session). Every role gets /status/live, /status/ready, /openapi.json and offline /docs.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import FastAPI

from jejak import __version__
from jejak.api import (
    admin,
    audit,
    cases,
    docs,
    jobs,
    links,
    lists,
    media,
    platform,
    problems,
    review,
    sessions,
    status,
)
from jejak.api.context import ServerContext
from jejak.config import Settings
from jejak.errors import ConfigError
from jejak.store.sql import Store

ROLES = ("api", "matcher", "ui")


def create_app(
    settings: Settings, store: Store | None = None, roles: Iterable[str] = ("api", "matcher")
) -> FastAPI:
    chosen = frozenset(r.strip() for r in roles if r.strip())
    unknown = sorted(chosen - set(ROLES))
    if unknown or not chosen:
        raise ConfigError(
            f"--roles takes a comma-separated subset of {', '.join(ROLES)}, not {sorted(chosen)}"
        )
    app = FastAPI(
        title="jejak",
        version=__version__,
        description="Known-material matching, case data and link analysis for many agencies.",
        docs_url=None,  # offline docs are served by api/docs.py (no CDN)
        redoc_url=None,
    )
    app.state.ctx = ServerContext(settings, store or Store.open(settings.db), chosen)
    pages = None
    if "ui" in chosen:
        from jejak.web import app as web  # the UI's dependencies (Jinja2) are needed only with role ui

        pages = web.error_page
    problems.install(app, pages)
    app.include_router(status.router)
    docs.mount(app)
    if chosen & {"api", "ui"}:
        sessions.mount(app)
    if chosen & {"api", "ui"}:
        for module in (admin, cases, links, lists, audit, jobs, review, media):
            module.mount(app)
    if "matcher" in chosen:
        platform.mount(app)
    if "ui" in chosen:
        web.mount(app)
    return app
