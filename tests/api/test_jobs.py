"""Server-side ingest jobs: submitted over HTTP, run by the server's job runner, confined to the evidence
roots, visible only to the agencies that may see the case; the runner's queue, resume and requeue."""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.config import Settings
from jejak.errors import AccessDenied
from jejak.services import accounts
from jejak.services.audit import show
from jejak.services.ingest import ingest_case
from jejak.services.jobs import MAX_INTERRUPTIONS, JobRunner, run_job, submit_ingest
from jejak.store.sql import Store
from jejak.testing.images import jpeg_bytes, png_bytes, procedural_image
from tests.api.conftest import World, make_world
from tests.conftest import Cli

WAIT = 300.0  # seconds: a generous bound on polls, never a timing assertion


def build_folder(folder: Path, seed: int, images: int = 6) -> Path:
    """A small benign seizure: pictures, a nested folder, a ZIP holding a picture, a text file."""
    (folder / "sub").mkdir(parents=True, exist_ok=True)
    for i in range(images):
        img = procedural_image(seed + i, 320, 240)
        target = folder / ("sub" if i % 2 else "") / f"pic_{i:02d}.jpg"
        target.write_bytes(jpeg_bytes(img))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inside/zipped.png", png_bytes(procedural_image(seed + 100, 200, 150)))
    (folder / "archive.zip").write_bytes(buf.getvalue())
    (folder / "notes.txt").write_text("shopping: bread, rice, eggs\n", "utf-8")
    return folder


def wait_job(client: TestClient, headers: dict[str, str], job_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/jobs/{job_id}", headers=headers).json()
        if job["status"] in ("finished", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not end within {WAIT} s")


def file_rows(store: Store, case: str, exhibit: str | None = None) -> list[tuple[Any, ...]]:
    """What a clean ingest must reproduce: one tuple per file instance (path, digests, PDQ, kind, size)."""
    row = store.get_case(case)
    return sorted(
        (r["exhibit"], r["path"], r["sha256"], r["md5"], r["pdq"], r["kind"], r["size"], r["deleted"])
        for r in store.iter_files(row.id, exhibit)
    )


@pytest.fixture(scope="module")
def jw(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("api-jobs"))
    yield w
    w.client.close()
    w.store.close()


@pytest.fixture(scope="module")
def client(jw: World) -> Iterator[TestClient]:
    """A client of an application started as a server is (its lifespan runs: the job runner works)."""
    with TestClient(create_app(jw.settings, jw.store)) as c:
        yield c


def evidence(jw: World) -> Path:
    return jw.root / "evidence"


def tiny(jw: World) -> str:
    """A folder of one picture under the evidence root (quick to ingest)."""
    folder = evidence(jw) / "tiny"
    if not folder.is_dir():
        folder.mkdir()
        (folder / "one.jpg").write_bytes(jpeg_bytes(procedural_image(7050, 160, 120)))
    return str(folder)


def job_count(jw: World) -> int:
    return sum(len(jw.store.jobs.for_cases([c.id])) for c in jw.store.list_cases())


# -- over HTTP ---------------------------------------------------------------------------------------------
def test_job_ingests_a_folder_like_the_cli(jw: World, client: TestClient, cli: Cli) -> None:
    folder = build_folder(evidence(jw) / "usb-stick", 7100)
    inv = jw.auth("nl", "investigator")
    # '..' that stays inside the root is fine: the resolved path is what is checked (and stored)
    given = f"{evidence(jw)}/nl-phone/../usb-stick"
    r = client.post("/cases/NL-1/jobs", json={"sources": [given]}, headers=inv)
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] in ("queued", "running", "finished")
    assert job["case"] == "NL-1" and job["kind"] == "ingest" and job["submitted_by"] == "nl-investigator"
    assert job["params"]["sources"] == [os.path.realpath(folder)]
    assert r.headers["location"] == job["links"]["self"] == f"/jobs/{job['id']}"

    done = wait_job(client, jw.auth("nl", "reviewer"), job["id"])
    assert done["status"] == "finished", done["error"]
    assert done["started_at"] and done["finished_at"] and done["error"] is None
    result = done["result"]

    cli("case", "create", "NL-1", "--agency", "Politie NL")
    expected = cli("ingest", str(folder), "--case", "NL-1", "--json").json()
    for key in ("files", "bytes", "warnings", "by_kind"):
        assert result[key] == expected[key], key
    assert result["files"] == 9  # 6 pictures, the ZIP, its picture, the notes
    assert [r["exhibit"] for r in result["runs"]] == ["usb-stick"]

    cli_store = Store.open(cli.db_url)
    try:
        assert file_rows(jw.store, "NL-1", "usb-stick") == file_rows(cli_store, "NL-1", "usb-stick")
    finally:
        cli_store.close()

    entries = [
        e.as_dict() for e in show(jw.store, accounts.Principal.local(), case="NL-1", action="ingest_job")
    ]
    events = [(e["actor"], e["detail"]["event"]) for e in entries if e["detail"]["job"] == job["id"]]
    assert events == [("nl-investigator", "submitted"), ("nl-investigator", "finished")]


def test_paths_outside_the_roots_are_refused(jw: World, client: TestClient, tmp_path: Path) -> None:
    root = evidence(jw)
    outside = jw.root / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.jpg").write_bytes(jpeg_bytes(procedural_image(7200, 64, 64)))
    sibling = jw.root / "evidence-other"  # shares the root's name as a prefix
    sibling.mkdir(exist_ok=True)
    traps = root / "traps"
    traps.mkdir(exist_ok=True)
    link = traps / "looks-inside"
    if not link.is_symlink():
        link.symlink_to(outside, target_is_directory=True)
    inv = jw.auth("nl", "investigator")
    before_jobs, before = job_count(jw), jw.store.case_summary(jw.store.get_case("NL-1").id)

    denied = [
        f"{root}/../etc",
        f"{root}/../outside",  # exists
        f"{root}/../no-such-folder",  # does not
        f"{root}/nl-phone/../../outside/secret.jpg",
        "/etc",
        "/etc/passwd",
        str(sibling),
        str(link),
        f"{link}/secret.jpg",
        f"{root}/traps/looks-inside/../looks-inside",
    ]
    details = set()
    for path in denied:
        r = client.post("/cases/NL-1/jobs", json={"sources": [path]}, headers=inv)
        assert r.status_code == 403, (path, r.text)
        details.add(r.json()["detail"])
        # one inside source does not carry an outside one
        r = client.post("/cases/NL-1/jobs", json={"sources": [f"{root}/nl-phone", path]}, headers=inv)
        assert r.status_code == 403, (path, r.text)
    # One message whatever the path: it names the rule and the roots, and never whether the path exists
    assert len(details) == 1
    (detail,) = details
    assert "evidence root" in detail and os.path.realpath(root) in detail
    assert "outside" not in detail and "exist" not in detail

    malformed = [f"{root}/nl-phone\x00/../../outside", "nl-phone", "", "../outside"]
    for path in malformed:
        r = client.post("/cases/NL-1/jobs", json={"sources": [path]}, headers=inv)
        assert r.status_code == 400, (path, r.text)
        assert "outside" not in r.json()["detail"]
    bodies: list[dict[str, Any]] = [
        {"sources": []},
        {"sources": "/etc"},
        {"sources": [str(root)], "extra": 1},
        {},
    ]
    for body in bodies:
        assert client.post("/cases/NL-1/jobs", json=body, headers=inv).status_code == 422

    # Inside the roots there is nothing to hide: a missing source is said so at once
    r = client.post("/cases/NL-1/jobs", json={"sources": [f"{root}/no-such-folder"]}, headers=inv)
    assert r.status_code == 422 and "not found" in r.json()["detail"]

    assert job_count(jw) == before_jobs  # nothing queued
    assert jw.store.case_summary(jw.store.get_case("NL-1").id) == before  # nothing ingested


def test_server_side_ingest_off_without_roots(jw: World) -> None:
    off = jw.settings.model_copy(update={"evidence_roots": ""})
    with TestClient(create_app(off, jw.store)) as c:
        before = job_count(jw)
        r = c.post(
            "/cases/NL-1/jobs",
            json={"sources": [str(evidence(jw) / "nl-phone")]},
            headers=jw.auth("nl", "investigator"),
        )
        assert r.status_code == 403
        assert "off" in r.json()["detail"] and "JEJAK_EVIDENCE_ROOTS" in r.json()["detail"]
        assert job_count(jw) == before
        assert c.get("/status/ready").json()["checks"]["jobs"]["job_runner"].startswith("off")


def test_other_agency_sees_no_case_and_no_job(jw: World, client: TestClient) -> None:
    r = client.post(
        "/cases/NL-1/jobs",
        json={"sources": [str(evidence(jw) / "nl-phone")], "exhibit": "nl-phone"},
        headers=jw.auth("nl", "admin"),
    )
    assert r.status_code == 202, r.text
    job_id = r.json()["id"]
    wait_job(client, jw.auth("nl", "admin"), job_id)
    missing_case = client.get("/cases/NO-SUCH/jobs", headers=jw.auth("id", "admin")).json()
    for role in ("admin", "investigator", "reviewer"):
        h = jw.auth("id", role)
        r = client.get("/cases/NL-1/jobs", headers=h)
        assert r.status_code == 404 and r.json()["detail"] == missing_case["detail"].replace(
            "NO-SUCH", "NL-1"
        )
        r = client.get(f"/jobs/{job_id}", headers=h)
        assert r.status_code == 404 and r.json()["detail"] == f"no job {job_id}"
        assert client.get("/jobs/987654321", headers=h).json()["detail"] == "no job 987654321"
    for role in ("admin", "investigator"):
        r = client.post(
            "/cases/NL-1/jobs",
            json={"sources": [str(evidence(jw) / "id-laptop")]},
            headers=jw.auth("id", role),
        )
        assert r.status_code == 404
    # Refused before the path is even looked at: no job, and no hint about the path
    r = client.post("/cases/NL-1/jobs", json={"sources": ["/etc"]}, headers=jw.auth("id", "investigator"))
    assert r.status_code == 404
    assert client.get(f"/jobs/{job_id}", headers=jw.auth("nl", "reviewer")).status_code == 200


def test_shared_case_jobs_are_readable_not_submittable(jw: World, client: TestClient) -> None:
    case = jw.store.create_case("NL-SHARED", "Politie NL")
    jw.store.accounts.share_case(case.id, jw.store.accounts.agency("Polri ID").id, "nl-admin")
    r = client.post(
        "/cases/NL-SHARED/jobs", json={"sources": [tiny(jw)]}, headers=jw.auth("nl", "investigator")
    )
    assert r.status_code == 202
    job_id = r.json()["id"]
    wait_job(client, jw.auth("nl", "investigator"), job_id)
    assert client.get(f"/jobs/{job_id}", headers=jw.auth("id", "reviewer")).json()["status"] == "finished"
    listed = client.get("/cases/NL-SHARED/jobs", headers=jw.auth("id", "reviewer")).json()
    assert [j["id"] for j in listed["items"]] == [job_id]
    r = client.post(
        "/cases/NL-SHARED/jobs", json={"sources": [tiny(jw)]}, headers=jw.auth("id", "investigator")
    )
    assert r.status_code == 403 and "shared" in r.json()["detail"]


def test_roles_without_write_are_forbidden(jw: World, client: TestClient) -> None:
    before = job_count(jw)
    body = {"sources": [str(evidence(jw) / "nl-phone")]}
    for role in ("reviewer", "auditor", "platform"):
        r = client.post("/cases/NL-1/jobs", json=body, headers=jw.auth("nl", role))
        assert r.status_code == 403, role
        assert "cases:write" in r.json()["detail"]
    for role in ("auditor", "platform"):  # no cases:read either
        assert client.get("/cases/NL-1/jobs", headers=jw.auth("nl", role)).status_code == 403
    assert client.post("/cases/NL-1/jobs", json=body).status_code == 401
    assert client.get("/jobs/1").status_code == 401
    assert job_count(jw) == before


def test_listing_is_paged(jw: World, client: TestClient) -> None:
    inv = jw.auth("nl", "investigator")
    jw.store.create_case("NL-PAGES", "Politie NL")
    ids = []
    for _ in range(3):
        r = client.post("/cases/NL-PAGES/jobs", json={"sources": [tiny(jw)]}, headers=inv)
        ids.append(r.json()["id"])
    for job_id in ids:
        wait_job(client, inv, job_id)
    first = client.get("/cases/NL-PAGES/jobs?limit=2", headers=inv).json()
    assert [j["id"] for j in first["items"]] == ids[:2] and first["next_offset"] == 2
    rest = client.get("/cases/NL-PAGES/jobs?limit=2&offset=2", headers=inv).json()
    assert [j["id"] for j in rest["items"]] == ids[2:] and rest["next_offset"] is None
    assert all(j["links"]["self"] == f"/jobs/{j['id']}" for j in first["items"] + rest["items"])
    done = client.get("/cases/NL-PAGES/jobs?status=finished", headers=inv).json()
    assert [j["id"] for j in done["items"]] == ids
    assert client.get("/cases/NL-PAGES/jobs?status=queued", headers=inv).json()["items"] == []
    assert client.get("/cases/NL-PAGES/jobs?status=bogus", headers=inv).status_code == 400
    too_many = jw.settings.api_page_max + 1
    assert client.get(f"/cases/NL-PAGES/jobs?limit={too_many}", headers=inv).status_code == 400
    assert client.get("/jobs/0", headers=inv).status_code == 422


# -- the runner, in this process ----------------------------------------------------------------------------
@pytest.fixture
def lone(tmp_path: Path) -> Iterator[tuple[Store, Settings, Path]]:
    """A store with one case, settings whose evidence root is ``tmp_path/evidence``; small batches and
    commits, so that an ingest commits many times."""
    root = tmp_path / "evidence"
    root.mkdir()
    db = f"sqlite:///{tmp_path / 'lone.db'}"
    settings = Settings(db=db, workers=0, evidence_roots=str(root), batch_files=1, commit_every=1)
    store = Store.open(db)
    store.create_case("C-1", "Agency A")
    yield store, settings, root
    store.close()


def clean_rows(tmp_path: Path, settings: Settings, folder: Path) -> list[tuple[Any, ...]]:
    """The rows of a clean, uninterrupted ingest of ``folder`` into a fresh database."""
    db = f"sqlite:///{tmp_path / 'clean.db'}"
    store = Store.open(db)
    try:
        store.create_case("C-1", "Agency A")
        ingest_case(store, settings.model_copy(update={"db": db}), "C-1", [str(folder)])
        return file_rows(store, "C-1")
    finally:
        store.close()


def poll(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {WAIT} s")
        time.sleep(0.02)


def test_a_failed_job_does_not_stop_the_queue(lone: tuple[Store, Settings, Path]) -> None:
    store, settings, root = lone
    local = accounts.Principal.local()
    gone = build_folder(root / "gone", 7300, images=1)
    kept = build_folder(root / "kept", 7400, images=1)
    first = submit_ingest(store, settings, local, "C-1", [str(gone)])
    second = submit_ingest(store, settings, local, "C-1", [str(kept)])
    for p in sorted(gone.rglob("*"), reverse=True):
        p.rmdir() if p.is_dir() else p.unlink()
    gone.rmdir()
    runner = JobRunner(store, settings)
    assert runner.run_once() and runner.run_once() and not runner.run_once()
    failed, finished = store.jobs.get(first.id), store.jobs.get(second.id)
    assert failed.status == "failed" and failed.error and "not found" in failed.error
    assert finished.status == "finished" and finished.result and finished.result["files"] == 4


def test_stopped_job_is_queued_again_and_resumes(lone: tuple[Store, Settings, Path], tmp_path: Path) -> None:
    store, settings, root = lone
    folder = build_folder(root / "phone", 7500, images=40)
    job = submit_ingest(store, settings, accounts.Principal.local(), "C-1", [str(folder)])
    runner = JobRunner(store, settings, poll=0.05)
    runner.start()
    poll(lambda: (runner.progress(job.id) or {}).get("files", 0) > 0, "the job's first commit")
    assert runner.stop(timeout=WAIT)
    stopped = store.jobs.get(job.id)
    assert stopped.status == "queued", "the job ended before the stop reached it: make the folder larger"
    part = len(file_rows(store, "C-1"))
    assert 0 < part < 43

    again = JobRunner(store, settings, poll=0.05)
    again.start()
    assert again.requeued == []  # a clean stop leaves nothing running
    poll(lambda: store.jobs.get(job.id).status == "finished", "the resumed job")
    assert again.stop(timeout=WAIT)
    done = store.jobs.get(job.id)
    assert done.result is not None
    assert done.result["runs"][0]["leaves_skipped_as_already_done"] > 0
    assert "interruptions" not in done.result
    assert file_rows(store, "C-1") == clean_rows(tmp_path, settings, folder)


def test_jobs_left_running_are_requeued_at_start(lone: tuple[Store, Settings, Path], tmp_path: Path) -> None:
    store, settings, root = lone
    folder = build_folder(root / "laptop", 7600, images=12)
    job = submit_ingest(store, settings, accounts.Principal.local(), "C-1", [str(folder)])
    claimed = store.jobs.claim_next()
    assert claimed is not None and claimed.id == job.id

    class Crash(Exception):
        pass

    def crash_after_first_commit(_: object) -> None:
        raise Crash

    with pytest.raises(Crash):  # a server dying mid-ingest: some leaves committed, the job left running
        run_job(store, settings, claimed, crash_after_first_commit)
    assert store.jobs.get(job.id).status == "running"
    assert 0 < len(file_rows(store, "C-1")) < 15

    runner = JobRunner(store, settings, poll=0.05)
    runner.start()
    assert runner.requeued == [job.id]
    poll(lambda: store.jobs.get(job.id).status == "finished", "the requeued job")
    assert runner.stop(timeout=WAIT)
    done = store.jobs.get(job.id)
    assert done.result is not None and done.result["interruptions"] == 1
    assert file_rows(store, "C-1") == clean_rows(tmp_path, settings, folder)


def test_a_job_that_keeps_killing_its_server_is_given_up(lone: tuple[Store, Settings, Path]) -> None:
    store, settings, root = lone
    folder = build_folder(root / "poison", 7700, images=1)
    job = submit_ingest(store, settings, accounts.Principal.local(), "C-1", [str(folder)])
    for n in range(1, MAX_INTERRUPTIONS + 1):
        assert store.jobs.claim_next() is not None
        assert store.jobs.requeue_running() == [job.id]
        assert (store.jobs.get(job.id).result or {}).get("interruptions") == n
    assert JobRunner(store, settings).run_once()
    failed = store.jobs.get(job.id)
    assert failed.status == "failed" and failed.error and "not retried" in failed.error
    assert file_rows(store, "C-1") == []


def test_claims_are_atomic(backend_url: str) -> None:
    store = Store.open(backend_url)
    try:
        case = store.create_case("C-1", "Agency A")
        ids = {store.jobs.add(case.id, "ingest", {"sources": [f"/e/{i}"]}, "tester") for i in range(40)}
        taken: list[int] = []
        errors: list[BaseException] = []
        lock = threading.Lock()

        def claimer() -> None:
            try:
                while (job := store.jobs.claim_next("ingest")) is not None:
                    with lock:
                        taken.append(job.id)
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=claimer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        assert not errors
        assert sorted(taken) == sorted(ids)  # every job once, none twice
        assert store.jobs.counts() == {"running": 40}
        assert store.jobs.requeue_running() == sorted(ids)
        assert store.jobs.claim_next("other-kind") is None
    finally:
        store.close()


def test_each_agency_ingests_only_from_its_own_roots(tmp_path: Path) -> None:
    """On a server shared by agencies, agency_evidence_roots keeps each one to its own folders: Polri ID
    cannot ingest Politie NL's evidence into its case, even by a path that exists."""
    nl_root, id_root = tmp_path / "ev-nl", tmp_path / "ev-id"
    nl_phone = build_folder(nl_root / "phone", 7800, images=1)
    id_phone = build_folder(id_root / "phone", 7900, images=1)
    db = f"sqlite:///{tmp_path / 'roots.db'}"
    roots = json.dumps({"Politie NL": [str(nl_root)], "Polri ID": [str(id_root)]})
    settings = Settings(db=db, workers=0, agency_evidence_roots=roots)
    store = Store.open(db)
    try:
        for agency, case in (("Politie NL", "NL-1"), ("Polri ID", "ID-7")):
            store.accounts.create_agency(agency)
            store.create_case(case, agency)
        nl = accounts.principal_of(accounts.create_user(store, "nl-inv", "Politie NL", "investigator", None))
        idn = accounts.principal_of(accounts.create_user(store, "id-inv", "Polri ID", "investigator", None))
        assert submit_ingest(store, settings, nl, "NL-1", [str(nl_phone)]).status == "queued"
        assert submit_ingest(store, settings, idn, "ID-7", [str(id_phone)]).status == "queued"
        with pytest.raises(AccessDenied) as refused:
            submit_ingest(store, settings, idn, "ID-7", [str(nl_phone)])
        assert str(id_root) in str(refused.value) and str(nl_root) not in str(refused.value)
        with pytest.raises(AccessDenied):
            submit_ingest(store, settings, nl, "NL-1", [str(id_phone)])
        assert len(store.jobs.for_cases([store.get_case("ID-7").id])) == 1
    finally:
        store.close()
