"""(to be written)"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

router = APIRouter()


def mount(app: FastAPI) -> None:
    app.include_router(router)
