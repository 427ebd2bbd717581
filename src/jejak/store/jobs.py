"""Server-side jobs in the store (``store.jobs``): a queue in the ``server_job`` table.

A job is ``queued`` when submitted, ``running`` once a runner claimed it, then ``finished`` (with its result)
or ``failed`` (with the error). Claiming is one conditional UPDATE (queued -> running), so two runners never
take the same job (SQLite serialises writers; PostgreSQL skips rows another claimer has locked and re-checks
the status). A server killed mid-job leaves its job ``running``: ``requeue_running`` at start-up puts it back
and counts the interruption in ``result`` (``{"interruptions": n}`` until the job ends; the runner gives up
after a few, so a job that kills its server is not retried for ever).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Select, func, select

from jejak.errors import NotFound
from jejak.store import schema as t

if TYPE_CHECKING:
    from jejak.store.sql import Store

STATUSES = ("queued", "running", "finished", "failed")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class JobRow:
    id: int
    case_id: int
    case: str
    kind: str
    params: dict[str, Any]
    status: str
    submitted_by: str
    submitted_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    result: dict[str, Any] | None
    error: str | None

    def as_dict(self) -> dict[str, Any]:
        def iso(d: datetime | None) -> str | None:
            return d.isoformat() if d else None

        return {
            "id": self.id,
            "case": self.case,
            "kind": self.kind,
            "status": self.status,
            "params": self.params,
            "submitted_by": self.submitted_by,
            "submitted_at": iso(self.submitted_at),
            "started_at": iso(self.started_at),
            "finished_at": iso(self.finished_at),
            "result": self.result,
            "error": self.error,
        }


def _query() -> Select[Any]:
    j = t.server_job.c
    return select(
        j.id,
        j.case_id,
        t.case.c.name,
        j.kind,
        j.params,
        j.status,
        j.submitted_by,
        j.submitted_at,
        j.started_at,
        j.finished_at,
        j.result,
        j.error,
    ).join(t.case, t.case.c.id == j.case_id)


def _row(r: Any) -> JobRow:
    return JobRow(
        id=int(r[0]),
        case_id=int(r[1]),
        case=str(r[2]),
        kind=str(r[3]),
        params=dict(r[4] or {}),
        status=str(r[5]),
        submitted_by=str(r[6]),
        submitted_at=r[7],
        started_at=r[8],
        finished_at=r[9],
        result=r[10],
        error=r[11],
    )


class JobStore:
    def __init__(self, store: Store) -> None:
        self.store = store

    def add(
        self,
        case_id: int,
        kind: str,
        params: dict[str, Any],
        submitted_by: str,
        *,
        conn: Connection | None = None,
    ) -> int:
        """A new queued job; its id. Committed on return, or with the caller's ``conn`` transaction."""
        stmt = t.server_job.insert().values(
            case_id=case_id,
            kind=kind,
            params=params,
            status="queued",
            submitted_by=submitted_by,
            submitted_at=_now(),
        )
        if conn is not None:
            return int(conn.execute(stmt).inserted_primary_key[0])  # type: ignore[index]
        with self.store.engine.begin() as c:
            return int(c.execute(stmt).inserted_primary_key[0])  # type: ignore[index]

    def get(self, job_id: int) -> JobRow:
        with self.store.engine.connect() as conn:
            r = conn.execute(_query().where(t.server_job.c.id == job_id)).first()
        if r is None:
            raise NotFound(f"no job {job_id}")
        return _row(r)

    def for_cases(
        self,
        case_ids: Iterable[int],
        *,
        status: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[JobRow]:
        """The jobs of these cases, oldest first (ids only grow, so offsets stay stable as jobs arrive)."""
        ids = sorted(set(case_ids))
        if not ids:
            return []
        q = _query().where(t.server_job.c.case_id.in_(ids))
        if status is not None:
            q = q.where(t.server_job.c.status == status)
        q = q.order_by(t.server_job.c.id).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        with self.store.engine.connect() as conn:
            return [_row(r) for r in conn.execute(q)]

    def claim_next(self, kind: str | None = None) -> JobRow | None:
        """Take the oldest queued job (queued -> running, started now) in one statement; None if none is."""
        j = t.server_job
        oldest = select(j.c.id).where(j.c.status == "queued")
        if kind is not None:
            oldest = oldest.where(j.c.kind == kind)
        # FOR UPDATE SKIP LOCKED on PostgreSQL (concurrent claimers take different rows); nothing on SQLite,
        # whose single writer makes the statement atomic. The outer status test re-checks on either.
        oldest = oldest.order_by(j.c.id).limit(1).with_for_update(skip_locked=True)
        stmt = (
            j.update()
            .where(j.c.id == oldest.scalar_subquery(), j.c.status == "queued")
            .values(status="running", started_at=_now(), finished_at=None, error=None)
            .returning(j.c.id)
        )
        with self.store.engine.begin() as conn:
            got = conn.execute(stmt).scalar()
        return None if got is None else self.get(int(got))

    def finish(self, job_id: int, result: dict[str, Any]) -> None:
        self._end(job_id, "finished", result=result)

    def fail(self, job_id: int, error: str) -> None:
        self._end(job_id, "failed", error=error)

    def _end(self, job_id: int, status: str, **values: Any) -> None:
        j = t.server_job
        with self.store.engine.begin() as conn:
            conn.execute(
                j.update()
                .where(j.c.id == job_id, j.c.status == "running")
                .values(status=status, finished_at=_now(), **values)
            )

    def release(self, job_id: int) -> None:
        """Put a running job back in the queue (its runner stopped before the end; it resumes later)."""
        j = t.server_job
        with self.store.engine.begin() as conn:
            conn.execute(
                j.update()
                .where(j.c.id == job_id, j.c.status == "running")
                .values(status="queued", started_at=None)
            )

    def requeue_running(self) -> list[int]:
        """Every ``running`` job back to ``queued`` (at start-up: a server killed mid-job left them so), its
        ``result`` counting the interruptions ({"interruptions": n}); the ids requeued. Assumes one job runner
        per database."""
        j = t.server_job
        stmt = j.update().where(j.c.status == "running").values(status="queued", started_at=None)
        with self.store.engine.begin() as conn:  # the write comes first: it takes the lock on SQLite
            rows = conn.execute(stmt.returning(j.c.id, j.c.result)).all()
            for job_id, result in rows:
                before = dict(result or {})
                before["interruptions"] = int(before.get("interruptions", 0)) + 1
                conn.execute(j.update().where(j.c.id == job_id).values(result=before))
        return sorted(int(r[0]) for r in rows)

    def counts(self) -> dict[str, int]:
        """Jobs per status, store-wide (for readiness)."""
        j = t.server_job
        with self.store.engine.connect() as conn:
            rows = conn.execute(select(j.c.status, func.count()).group_by(j.c.status)).all()
        return {str(s): int(n) for s, n in rows}
