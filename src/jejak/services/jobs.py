"""Server-side ingest jobs: submit (who may, from where), and the runner that works the queue in the server.

A submission names folders or files on the server. Each must resolve (``os.path.realpath``: ``..`` and
symlinks followed first) inside one of ``evidence_roots``; anything else is refused with one message,
whether or not the path exists. The job is queued in the store (with an ``ingest_job`` audit entry, in the
same transaction) and a ``JobRunner`` thread in the server takes queued jobs one at a time and runs
``ingest_case``. Ingest resumes leaf by leaf, so a job interrupted by a crash is simply run again: rows
already committed are skipped, none are written twice.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from jejak.config import Settings, evidence_roots
from jejak.errors import AccessDenied, ConfigError, JejakError, NotFound
from jejak.ingest.job import Progress
from jejak.ingest.walker import check_sources
from jejak.services.accounts import Perm, Principal, case_for
from jejak.store.jobs import JobRow
from jejak.store.sql import Store

log = logging.getLogger(__name__)

KIND_INGEST = "ingest"
MAX_SOURCES = 1000
MAX_PATH = 4096
OFF = (
    "server-side ingest is off for this agency on this server: its operator turns it on by setting "
    "JEJAK_AGENCY_EVIDENCE_ROOTS (the agency's own folders) or JEJAK_EVIDENCE_ROOTS (folders separated by "
    "':'), then restarting 'jejak serve'"
)


def roots_rule(roots: list[str]) -> str:
    return (
        "a server-side ingest source must resolve (symlinks and '..' followed) inside an evidence root of "
        f"this server: {', '.join(roots)}"
    )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_sources(settings: Settings, sources: list[str], agency: str | None) -> list[str]:
    """The real paths of ``sources``, each inside an evidence root; AccessDenied (one message, that says
    nothing of whether a path exists) or ConfigError (not a usable path at all) otherwise."""
    roots = evidence_roots(settings, agency)
    if not roots:
        raise AccessDenied(OFF)
    if not sources:
        raise ConfigError("give at least one source: a folder or file under an evidence root")
    if len(sources) > MAX_SOURCES:
        raise ConfigError(f"at most {MAX_SOURCES} sources in one job, not {len(sources)}")
    out: list[str] = []
    for src in sources:
        if not isinstance(src, str) or not src.strip() or len(src) > MAX_PATH:
            raise ConfigError(f"a source is a non-empty path of at most {MAX_PATH} characters")
        if "\0" in src:
            raise ConfigError("a source path may not contain a NUL byte")
        if not os.path.isabs(src):
            raise ConfigError(f"a source is an absolute path on the server; {roots_rule(roots)}")
        real = os.path.realpath(src)
        if not any(_inside(real, r) for r in roots):
            raise AccessDenied(roots_rule(roots))
        out.append(real)
    return out


def submit_ingest(
    store: Store,
    settings: Settings,
    who: Principal,
    case: str,
    sources: list[str],
    exhibit: str | None = None,
) -> JobRow:
    """Queue an ingest of ``sources`` (server paths under the evidence roots) into ``case``."""
    row = case_for(store, who, case, write=True)
    if exhibit is not None and (not exhibit.strip() or len(exhibit) > 200 or not exhibit.isprintable()):
        raise ConfigError("an exhibit name is 1 to 200 printable characters")
    real = resolve_sources(settings, sources, row.agency)
    check_sources(real)  # inside the roots, a missing path may be said so (EvidenceError, 422)
    params: dict[str, Any] = {"sources": real, "exhibit": exhibit}
    with store.engine.begin() as conn:  # the job and its audit entry commit together
        job_id = store.jobs.add(row.id, KIND_INGEST, params, who.name, conn=conn)
        store.audit.append(
            who.name,
            "ingest_job",
            agency=who.agency,
            case_name=row.name,
            target=f"job:{job_id}",
            detail={"event": "submitted", "job": job_id, **params},
            conn=conn,
        )
    return store.jobs.get(job_id)


def visible_job(store: Store, who: Principal, job_id: int) -> JobRow:
    """A job, if ``who`` may read its case; NotFound (as for a job that does not exist) otherwise."""
    who.require(Perm.cases_read)
    missing = NotFound(f"no job {job_id}")
    try:
        job = store.jobs.get(job_id)
        case_for(store, who, job.case)
    except NotFound:
        raise missing from None
    return job


def case_jobs(
    store: Store,
    who: Principal,
    case: str,
    *,
    status: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[JobRow]:
    """A case's jobs (its own agency's and the agencies it was shared with may read them), oldest first."""
    row = case_for(store, who, case)
    return store.jobs.for_cases([row.id], status=status, limit=limit, offset=offset)


# -- the runner --------------------------------------------------------------------------------------------
MAX_INTERRUPTIONS = 3


class Stopping(Exception):
    """Raised inside a job's progress callback when the runner is asked to stop: the job goes back to
    the queue (its committed leaves stay; the next run resumes after them)."""


PROGRESS_TAG = "jejak-progress "


def child_progress() -> Callable[[Progress], None]:
    """In the ingest child of a server job: report progress as tagged JSON lines on stderr, and end when the
    server that started it is gone (a killed server must not leave an ingest writing behind its back)."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(70)

    threading.Thread(target=watch, name="jejak-parent-watch", daemon=True).start()
    last = 0.0

    def report(p: Progress) -> None:
        nonlocal last
        now = time.monotonic()
        if now - last >= 0.25 or p.leaves_done <= 1:
            last = now
            sys.stderr.write(PROGRESS_TAG + json.dumps(p.as_dict()) + "\n")
            sys.stderr.flush()

    return report


def child_environment(settings: Settings) -> dict[str, str]:
    """The server's settings as JEJAK_* variables, so that the child ingests exactly as the server would."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JEJAK_")}
    for name, value in settings.model_dump(mode="json", exclude={"secret_key"}).items():
        text = value if isinstance(value, str) else json.dumps(value)
        env[f"JEJAK_{name.upper()}"] = text
    return env


def run_job(
    store: Store,
    settings: Settings,
    job: JobRow,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Run one claimed ingest job to its end in a child process (``jejak ingest``, as the CLI would): the
    per-file media time limit holds there (a signal in its main thread), its process pool forks from a
    single-threaded process, and a decoder that crashes takes down the child, not the server. Returns the
    ingest summary. Sources are checked against the roots again (settings or files may have changed).
    ``stop`` set: the child is terminated and Stopping raised (its committed leaves stay)."""
    if job.kind != KIND_INGEST:
        raise ConfigError(f"this server does not run {job.kind!r} jobs")
    agency = store.get_case(job.case).agency
    sources = resolve_sources(settings, [str(s) for s in job.params.get("sources") or []], agency)
    exhibit = job.params.get("exhibit")
    cmd = [sys.executable, "-m", "jejak", "ingest", *sources, "--case", job.case, "--progress-jsonl"]
    if exhibit:
        cmd += ["--exhibit", str(exhibit)]
    child = subprocess.Popen(
        cmd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=child_environment(settings),
        text=True,
    )
    messages: list[str] = []
    failure: list[BaseException] = []

    def read_stderr() -> None:
        assert child.stderr is not None
        for line in child.stderr:
            if line.startswith(PROGRESS_TAG):
                if on_progress is not None and not failure:
                    try:
                        on_progress(json.loads(line[len(PROGRESS_TAG) :]))
                    except BaseException as exc:  # the caller's callback failed: end the child, re-raise
                        failure.append(exc)
                        child.kill()
            elif line.strip():
                messages.append(line.rstrip())
                del messages[:-20]

    out: list[str] = []

    def read_stdout() -> None:
        assert child.stdout is not None
        out.append(child.stdout.read())

    readers = [
        threading.Thread(target=read_stderr, name=f"jejak-job-{job.id}-stderr", daemon=True),
        threading.Thread(target=read_stdout, name=f"jejak-job-{job.id}-stdout", daemon=True),
    ]
    for r in readers:
        r.start()
    try:
        while True:
            try:
                child.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stop is not None and stop.is_set():
                    child.terminate()
                    try:
                        child.wait(timeout=30)
                    except subprocess.TimeoutExpired:
                        child.kill()
                        child.wait()
                    raise Stopping from None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        for r in readers:
            r.join(timeout=5)
    if failure:
        raise failure[0]
    if child.returncode != 0:
        detail = " ".join(m.removeprefix("error: ") for m in messages[-3:]) or f"exit code {child.returncode}"
        raise JobFailed(detail)
    try:
        summary: dict[str, Any] = json.loads("".join(out).strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise JobFailed("the ingest ended without its summary") from None
    return summary


class JobFailed(JejakError):
    """The ingest child ended with an error (its message is the job's error)."""


class JobRunner:
    """One daemon thread in the server that claims queued jobs one at a time and runs them.

    ``start`` requeues the jobs a killed server left ``running`` (the ingest resumes), then starts the thread;
    ``stop`` asks the running job to stop at its next commit (it goes back to the queue) and joins.
    """

    def __init__(self, store: Store, settings: Settings, poll: float = 2.0) -> None:
        self.store = store
        self.settings = settings
        self.poll = poll
        self.requeued: list[int] = []
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._current: tuple[int, dict[str, Any]] | None = None  # (job id, its last progress snapshot)

    # -- control ---------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self.requeued = self.store.jobs.requeue_running()
        if self.requeued:
            log.warning("jobs %s were interrupted (the server stopped mid-job): requeued", self.requeued)
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="jejak-job-runner", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """A job was submitted: look now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> bool:
        """Stop; True when the thread ended within ``timeout`` (otherwise the daemon thread dies with the
        process, and its job, left running, is requeued at the next start)."""
        self._stop.set()
        self._wake.set()
        thread, self._thread = self._thread, None
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def progress(self, job_id: int) -> dict[str, Any] | None:
        """The live counters of the current exhibit's run, if this runner is running ``job_id`` now."""
        with self._lock:
            cur = self._current
        return dict(cur[1]) if cur is not None and cur[0] == job_id else None

    # -- work ------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception:  # the database is unreachable, say: wait and try again
                log.exception("the job runner could not take or record a job")
                ran = False
            if not ran:
                self._wake.wait(self.poll)
                self._wake.clear()

    def run_once(self) -> bool:
        """Claim one queued job and run it to its end; False when none was queued."""
        if self._stop.is_set():
            return False
        job = self.store.jobs.claim_next(KIND_INGEST)
        if job is None:
            return False
        interruptions = int((job.result or {}).get("interruptions", 0))
        if interruptions >= MAX_INTERRUPTIONS:
            self._end(
                job,
                "failed",
                error=f"the server stopped {interruptions} times while this job ran: it is not retried "
                "again (submit it anew to resume the ingest)",
            )
            return True

        def on_progress(snapshot: dict[str, Any]) -> None:
            with self._lock:
                self._current = (job.id, snapshot)

        with self._lock:
            self._current = (job.id, Progress().as_dict())
        try:
            result = run_job(self.store, self.settings, job, on_progress, self._stop)
        except Stopping:
            self.store.jobs.release(job.id)
            log.warning("job %d stopped with the server: queued again, it resumes at the next start", job.id)
            return True
        except JejakError as exc:
            self._end(job, "failed", error=str(exc))
            return True
        except Exception as exc:
            log.exception("job %d failed", job.id)
            self._end(job, "failed", error=f"internal error: {type(exc).__name__}: {exc}"[:2000])
            return True
        finally:
            with self._lock:
                self._current = None
        if interruptions:
            result["interruptions"] = interruptions
        self._end(job, "finished", result=result)
        return True

    def _end(
        self, job: JobRow, status: str, *, result: dict[str, Any] | None = None, error: str = ""
    ) -> None:
        if status == "finished":
            self.store.jobs.finish(job.id, result or {})
            detail: dict[str, Any] = {
                "event": "finished",
                "job": job.id,
                "files": (result or {}).get("files"),
            }
        else:
            self.store.jobs.fail(job.id, error)
            detail = {"event": "failed", "job": job.id, "error": error[:500]}
        try:
            agency = self.store.get_case(job.case).agency
            self.store.audit.append(
                job.submitted_by,
                "ingest_job",
                agency=agency,
                case_name=job.case,
                target=f"job:{job.id}",
                detail=detail,
            )
        except Exception:  # the job's state is recorded; a missing audit line must not stop the queue
            log.exception("could not audit the end of job %d", job.id)
