"""Server-side ingest jobs (contract: docs/api-jobs.md).

``POST /cases/{case}/jobs`` queues an ingest of folders or files on the server (under ``evidence_roots``)
and answers 202 at once; ``GET /cases/{case}/jobs`` lists a case's jobs (paged); ``GET /jobs/{job_id}`` is
one job, with its live progress while it runs. The ``JobRunner`` (services/jobs.py) works the queue in a
thread of this process, started and stopped with the application (its lifespan).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from jejak.api.auth import need
from jejak.api.context import ServerContext, ctx
from jejak.api.paging import Page, page
from jejak.api.status import READY_KEY
from jejak.config import evidence_roots
from jejak.errors import ConfigError
from jejak.services.accounts import Perm, Principal
from jejak.services.jobs import MAX_SOURCES, JobRunner, case_jobs, submit_ingest, visible_job
from jejak.store.jobs import STATUSES, JobRow

RUNNER_KEY = "jobs.runner"
MAX_ID = 2**63 - 1


def runner_of(c: ServerContext) -> JobRunner | None:
    r = c.state.get(RUNNER_KEY)
    return r if isinstance(r, JobRunner) else None


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The job runner works while the application serves (not at all when server-side ingest is off:
    queued jobs then wait). At shutdown the running job stops at its next commit and is queued again."""
    c: ServerContext = app.state.ctx
    runner = runner_of(c)
    if runner is not None and evidence_roots(c.settings):
        await asyncio.to_thread(runner.start)
    try:
        yield
    finally:
        if runner is not None:
            await asyncio.to_thread(runner.stop)


router = APIRouter(tags=["jobs"], lifespan=_lifespan)


class IngestRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] = Field(
        min_length=1,
        max_length=MAX_SOURCES,
        description="absolute paths of folders or files on the server, each inside an evidence root",
    )
    exhibit: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="one exhibit for every source (default: one exhibit per source, named after it)",
    )


def view(c: ServerContext, job: JobRow) -> dict[str, Any]:
    out = job.as_dict()
    if job.status == "running":
        r = runner_of(c)
        out["progress"] = r.progress(job.id) if r is not None else None
    case = quote(job.case, safe="")
    out["links"] = {"self": f"/jobs/{job.id}", "case_jobs": f"/cases/{case}/jobs", "case": f"/cases/{case}"}
    return out


CaseName = Annotated[str, Path(min_length=1, max_length=200, description="the case's name")]
Writer = Annotated[Principal, Depends(need(Perm.cases_write))]
Reader = Annotated[Principal, Depends(need(Perm.cases_read))]


@router.post("/cases/{case}/jobs", status_code=202)
def submit(request: Request, case: CaseName, body: IngestRequest, who: Writer) -> JSONResponse:
    """Queue a server-side ingest into the case; 202 with the job (poll its ``links.self``)."""
    c = ctx(request)
    job = submit_ingest(c.store, c.settings, who, case, body.sources, body.exhibit)
    r = runner_of(c)
    if r is not None:
        r.wake()
    return JSONResponse(view(c, job), status_code=202, headers={"Location": f"/jobs/{job.id}"})


@router.get("/cases/{case}/jobs")
def list_jobs(
    request: Request,
    case: CaseName,
    who: Reader,
    paging: Annotated[Page, Depends(page)],
    status: Annotated[str | None, Query(description="only jobs in this status")] = None,
) -> dict[str, Any]:
    """The case's jobs, oldest first."""
    if status is not None and status not in STATUSES:
        raise ConfigError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    c = ctx(request)
    # Page.of skips the offset itself and reads one row past the page to know whether more follow.
    rows = case_jobs(c.store, who, case, limit=paging.offset + paging.limit + 1, status=status)
    result = paging.of(rows)
    result["items"] = [view(c, j) for j in result["items"]]
    return result


@router.get("/jobs/{job_id}")
def get_job(
    request: Request, job_id: Annotated[int, Path(ge=1, le=MAX_ID, description="the job's id")], who: Reader
) -> dict[str, Any]:
    """One job (404 unless the caller may see its case)."""
    c = ctx(request)
    return view(c, visible_job(c.store, who, job_id))


def _ready(c: ServerContext) -> Callable[[], tuple[bool, dict[str, Any]]]:
    def check() -> tuple[bool, dict[str, Any]]:
        r = runner_of(c)
        if not evidence_roots(c.settings):
            state = "off (no evidence_roots)"
        else:
            state = "running" if r is not None and r.running else "stopped"
        return True, {"job_runner": state}

    return check


def mount(app: FastAPI) -> None:
    c: ServerContext = app.state.ctx
    with c.lock:
        c.state[RUNNER_KEY] = JobRunner(c.store, c.settings)
        c.state.setdefault(READY_KEY, {})["jobs"] = _ready(c)
    app.include_router(router)
