"""A server killed under load loses no accepted write, and its interrupted ingest job resumes.

Real processes: ``jejak serve`` on a loopback port, clients writing through HTTP (assertions, when the API
has them, and job submissions), ``kill -9`` of the server's process group in the middle of the load and of a
running ingest job, a restart on the same database; then every write that was answered 2xx is there exactly
once, and the interrupted job finishes with exactly the rows of a clean ingest of the same folder.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from jejak.config import Settings
from jejak.services import accounts
from jejak.services.audit import verify_trail
from jejak.services.ingest import ingest_case
from jejak.store import schema as t
from jejak.store.sql import Store
from jejak.testing.images import jpeg_bytes, procedural_image

pytestmark = pytest.mark.slow

WAIT = 300.0  # a generous bound for every poll; nothing is asserted about time
AGENCY = "Politie NL"
BASES, COPIES = 30, 8  # 240 pictures: an ingest long enough to be killed in its middle
SERVER_ENV = {"JEJAK_BATCH_FILES": "4", "JEJAK_COMMIT_EVERY": "8"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(check: Callable[[], bool], what: str, server: Server | None = None) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if server is not None and server.proc is not None and server.proc.poll() is not None:
            raise AssertionError(f"{what}: the server exited\n{server.log_tail()}")
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{what}: not within {WAIT} s" + (f"\n{server.log_tail()}" if server else "")
            )
        time.sleep(0.05)


class Server:
    """``jejak serve`` in its own process group (its ingest workers are in it too)."""

    def __init__(self, db_url: str, port: int, env: dict[str, str], log: Path) -> None:
        self.db_url, self.port, self.env, self.log = db_url, port, env, log
        self.base = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "jejak", "--db", self.db_url, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.log.parent,
                start_new_session=True,
            )

        def ready() -> bool:
            try:
                return httpx.get(f"{self.base}/status/ready", timeout=5).status_code == 200
            except httpx.TransportError:
                return False

        poll(ready, "the server's readiness", self)

    def kill(self) -> None:
        """kill -9 of the server and every process of its group (the pool workers of an ingest)."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(WAIT)

    def stop(self) -> None:
        """SIGTERM to the server alone (a clean shutdown), then whatever is left of its group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(WAIT)
        self.kill()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class Write:
    kind: str  # "assertion" | "job"
    marker: str  # unique per request: the assertion's note, the job's exhibit
    status: int | None = None  # None: no answer (the server died under it)
    ids: list[int] = field(default_factory=list)


class Load:
    """Client threads that write as fast as the server answers, recording every request and its answer."""

    def __init__(self, base: str, token: str, writers: dict[str, Callable[[str], dict[str, Any]]]) -> None:
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.writers = writers
        self.writes: list[Write] = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in writers]

    def start(self) -> None:
        for th in self.threads:
            th.start()

    def stop(self) -> None:
        self.stopping.set()
        for th in self.threads:
            th.join(WAIT)

    def accepted(self, kind: str | None = None) -> list[Write]:
        with self.lock:
            return [
                w for w in self.writes if w.status is not None and w.status < 300 and kind in (None, w.kind)
            ]

    def _run(self, kind: str) -> None:
        n = 0
        with httpx.Client(base_url=self.base, headers=self.headers, timeout=60) as client:
            while not self.stopping.is_set():
                n += 1
                w = Write(kind, f"w-{kind}-{n}")
                with self.lock:
                    self.writes.append(w)
                request = self.writers[kind](w.marker)
                try:
                    r = client.post(request["path"], json=request["body"])
                except httpx.TransportError:  # refused (down), or cut off mid-request (killed)
                    time.sleep(0.05)
                    continue
                w.status = r.status_code
                if r.status_code < 300:
                    data = r.json()
                    w.ids = [a["id"] for a in data["assertions"]] if kind == "assertion" else [data["id"]]
                if kind == "job":
                    time.sleep(0.02)  # each accepted job is work for the runner later: a few hundred suffice


def big_folder(folder: Path) -> Path:
    """240 benign pictures: 30 procedural ones, each in 8 byte-distinct copies (a trailer after the JPEG)."""
    folder.mkdir(parents=True)
    for b in range(BASES):
        data = jpeg_bytes(procedural_image(8100 + b, 480, 360))
        for c in range(COPIES):
            (folder / f"IMG_{b:02d}_{c}.jpg").write_bytes(data + f"copy {c}".encode())
    return folder


def file_rows(store: Store, case: str) -> list[tuple[Any, ...]]:
    row = store.get_case(case)
    return sorted(
        (r["exhibit"], r["path"], r["sha256"], r["md5"], r["pdq"], r["kind"], r["size"], r["deleted"])
        for r in store.iter_files(row.id)
    )


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


@pytest.mark.parametrize("workers", ["0", "1"])  # the ingest in the server's runner thread, or in a pool
def test_kill_under_load_loses_no_accepted_write(tmp_path: Path, servers: list[Server], workers: str) -> None:
    root = tmp_path / "evidence"
    big = Path(os.path.realpath(big_folder(root / "seizure")))
    small = root / "load"
    small.mkdir()
    (small / "one.jpg").write_bytes(jpeg_bytes(procedural_image(8001, 320, 240)))
    db = f"sqlite:///{tmp_path / 'server.db'}"
    settings = Settings(db=db, workers=0, batch_files=4, commit_every=8, evidence_roots=str(root))

    # The cases, a user and a token, made with the services before the server starts
    store = Store.open(db)
    store.accounts.create_agency(AGENCY)
    store.create_case("BIG-1", AGENCY)
    store.create_case("LOAD-1", AGENCY)
    ingest_case(store, settings, "LOAD-1", [str(small)])
    (sha,) = {str(r["sha256"]) for r in store.iter_files(store.get_case("LOAD-1").id)}
    accounts.create_user(store, "nl-investigator", AGENCY, "investigator", None)
    token, _ = accounts.create_token(store, "nl-investigator", None)
    store.close()

    # What the interrupted job must end with: a clean ingest of the same folder into a fresh database
    ref_db = f"sqlite:///{tmp_path / 'clean.db'}"
    ref = Store.open(ref_db)
    ref.create_case("BIG-1", AGENCY)
    ingest_case(ref, settings.model_copy(update={"db": ref_db}), "BIG-1", [str(big)])
    expected_rows, expected_summary = file_rows(ref, "BIG-1"), ref.case_summary(ref.get_case("BIG-1").id)
    ref.close()
    assert len(expected_rows) == BASES * COPIES

    env = {**os.environ, **SERVER_ENV, "JEJAK_WORKERS": workers, "JEJAK_EVIDENCE_ROOTS": str(root)}
    server = Server(db, free_port(), env, tmp_path / "server.log")
    servers.append(server)
    server.start()
    auth = {"Authorization": f"Bearer {token}"}
    api = httpx.Client(base_url=server.base, headers=auth, timeout=60)

    r = api.post("/cases/BIG-1/jobs", json={"sources": [str(big)]})
    assert r.status_code == 202, r.text
    big_job = r.json()["id"]

    def assertion(marker: str) -> dict[str, Any]:
        return {
            "path": "/cases/LOAD-1/assertions",
            "body": {"content": sha, "victim": "V-LOAD", "note": marker},
        }

    def job(marker: str) -> dict[str, Any]:
        return {"path": "/cases/LOAD-1/jobs", "body": {"sources": [str(small)], "exhibit": marker}}

    writers: dict[str, Callable[[str], dict[str, Any]]] = {"job": job}
    paths = api.get("/openapi.json").json()["paths"]
    if "post" in paths.get("/cases/{case}/assertions", {}):
        writers["assertion"] = assertion
    load = Load(server.base, token, writers)
    load.start()

    def progress() -> int:
        j = api.get(f"/jobs/{big_job}").json()
        assert j["status"] in ("queued", "running"), j
        return int((j.get("progress") or {}).get("files", 0))

    enough = 10
    poll(
        lambda: progress() >= 2 * 8 and all(len(load.accepted(k)) >= enough for k in writers),
        "the ingest's first commits and the first accepted writes",
        server,
    )
    server.kill()  # in the middle of the load and of the ingest
    accepted_before = len(load.accepted())

    # The killed server left the job running with part of its rows committed
    store = Store.open(db)
    assert store.jobs.get(big_job).status == "running"
    assert 0 < len(file_rows(store, "BIG-1")) < BASES * COPIES
    store.close()

    server.start()  # the same database, the same port: the clients carry on
    poll(
        lambda: len(load.accepted()) >= accepted_before + enough, "accepted writes after the restart", server
    )
    load.stop()

    def big_job_ended() -> bool:
        return str(api.get(f"/jobs/{big_job}").json()["status"]) in ("finished", "failed")

    poll(big_job_ended, "the interrupted ingest job's end", server)
    done = api.get(f"/jobs/{big_job}").json()
    api.close()
    server.stop()
    assert done["status"] == "finished", done["error"]
    assert done["result"]["interruptions"] == 1
    assert done["result"]["runs"][0]["leaves_skipped_as_already_done"] > 0

    store = Store.open(db)
    try:
        # The resumed ingest: exactly the rows of the clean one, none missing, none twice
        assert file_rows(store, "BIG-1") == expected_rows
        assert store.case_summary(store.get_case("BIG-1").id) == expected_summary
        with store.engine.connect() as conn:
            runs = conn.execute(
                select(t.ingest_run.c.status)
                .where(t.ingest_run.c.case_id == store.get_case("BIG-1").id)
                .order_by(t.ingest_run.c.id)
            ).all()
        assert [r[0] for r in runs] == ["interrupted", "finished"]

        # Every accepted write is there exactly once; one without an answer at most once
        writes = load.writes
        assert not [(w.kind, w.status) for w in writes if w.status is not None and w.status >= 300]
        load_case = store.get_case("LOAD-1")
        jobs = {j.id: j for j in store.jobs.for_cases([load_case.id])}
        by_exhibit = Counter(str(j.params.get("exhibit")) for j in jobs.values())
        for w in (w for w in writes if w.kind == "job"):
            if w.status is not None:
                (job_id,) = w.ids
                assert jobs[job_id].params["exhibit"] == w.marker
                assert by_exhibit[w.marker] == 1, w
            else:
                assert by_exhibit[w.marker] <= 1, w
        markers = {w.marker for w in writes}
        assert set(by_exhibit) <= markers
        assert by_exhibit.total() >= len(load.accepted("job"))

        if "assertion" in writers:
            rows = {a.id: a for a in store.graph.assertions() if a.note and a.note.startswith("w-assertion-")}
            by_note = Counter(str(a.note) for a in rows.values())
            for w in (w for w in writes if w.kind == "assertion"):
                if w.status is not None:
                    assert w.ids and all(rows[i].note == w.marker for i in w.ids), w
                    assert by_note[w.marker] == len(w.ids), w
                else:
                    assert by_note[w.marker] <= 1, w

        # The audit trail survived the kill whole, with every accepted job's submission in it
        assert verify_trail(store)["ok"]
        submitted = {
            e.as_dict()["detail"]["job"]
            for e in store.audit.entries(action="ingest_job")
            if e.as_dict()["detail"]["event"] == "submitted"
        }
        assert {w.ids[0] for w in load.accepted("job")} | {big_job} <= submitted
    finally:
        store.close()
