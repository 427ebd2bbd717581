"""Liveness and readiness: live while the process answers; ready once every mounted role's state is loaded
(the matcher's index up to its checkpoint) and the database answers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from jejak.api.context import ctx

router = APIRouter(tags=["status"])

# Readiness checks registered by the routers mounted (name -> callable returning (ready, detail)).
READY_KEY = "ready_checks"


@router.get("/status/live")
def live() -> dict[str, Any]:
    return {"status": "live"}


@router.get("/status/ready")
def ready(request: Request) -> JSONResponse:
    c = ctx(request)
    checks: dict[str, Any] = {}
    ok = True
    try:
        with c.store.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ready": True}
    except Exception as exc:  # the database is down or unreachable: not ready, say why
        checks["database"] = {"ready": False, "detail": str(exc)[:200]}
        ok = False
    for name, check in c.state.get(READY_KEY, {}).items():
        good, detail = check()
        checks[name] = {"ready": bool(good), **detail}
        ok = ok and bool(good)
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )
