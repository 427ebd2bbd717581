"""Lists over HTTP: upload a release (multipart, capped by api_max_upload), show it, its versions, export
it back; who may read and who may write; every import and export audited."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import World
from tests.api.test_admin_api import accounts_world

CAP = 4096


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    world = accounts_world(tmp_path, api_max_upload=CAP)
    yield world
    world.client.close()
    world.store.close()


def md5sum(names: list[str]) -> bytes:
    """An md5sum list over benign made-up names (the digests of the names themselves)."""
    return "".join(f"{hashlib.md5(n.encode()).hexdigest()}  {n}\n" for n in names).encode()


def upload(w: World, role: str, body: bytes, **fields: str) -> Any:
    return w.client.post(
        "/lists",
        files={"file": ("release.md5", body, "text/plain")},
        data={"format": "md5sum", **fields},
        headers=w.auth("nl", role),
    )


def test_import_show_versions_export(w: World) -> None:
    c = w.client
    first = [f"picture-{i}.jpg" for i in range(5)]
    got = w.client.post(
        "/lists",
        files={"file": ("release-1.md5", md5sum(first), "text/plain")},
        data={"name": "national", "format": "md5sum", "description": "made-up digests"},
        headers=w.auth("nl", "investigator"),
    )
    assert got.status_code == 201, got.text
    report = got.json()
    assert (report["list"], report["version"], report["format"]) == ("national", 1, "md5sum")
    assert report["counts"]["added"] == 5 and report["imported_by"] == "nl-investigator"
    assert report["source"] == "release-1.md5"

    second = [*first[1:], "picture-5.jpg", "picture-6.jpg"]  # one removed, two added
    again = w.client.post(
        "/lists",
        files={"file": ("release-2.md5", md5sum(second), "text/plain")},
        data={"name": "national", "format": "md5sum"},
        headers=w.auth("id", "admin"),
    )
    assert again.status_code == 201, again.text
    counts = again.json()["counts"]
    assert (again.json()["version"], counts["added"], counts["removed"], counts["unchanged"]) == (2, 2, 1, 4)

    reviewer = w.auth("id", "reviewer")  # lists are global: another agency's reviewer reads them
    rows = c.get("/lists", headers=reviewer).json()["items"]
    assert [(r["list"], r["entries"], r["versions"]) for r in rows] == [("national", 6, 2)]
    shown = c.get("/lists/national", headers=reviewer).json()
    assert (shown["entries"], shown["removed"], shown["md5"], shown["description"]) == (
        6,
        1,
        6,
        "made-up digests",
    )
    versions = c.get("/lists/national/versions", headers=reviewer).json()
    # another agency's importer shows as that agency, never by name
    assert [(v["version"], v["imported_by"]) for v in versions["items"]] == [
        (1, "agency:Politie NL"),
        (2, "id-admin"),
    ]
    assert c.get("/lists/national/versions?limit=1", headers=reviewer).json()["next_offset"] == 1

    exported = c.get("/lists/national/export?format=md5sum", headers=reviewer)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/plain")
    assert 'filename="national.txt"' in exported.headers["content-disposition"]
    digests = {line.split()[0] for line in exported.text.splitlines() if line.strip()}
    assert digests == {hashlib.md5(n.encode()).hexdigest() for n in second}
    vics = c.get("/lists/national/export", headers=reviewer)
    assert vics.status_code == 200 and vics.headers["content-type"].startswith("application/json")
    found = set(re.findall(r"[0-9a-f]{32}", json.dumps(vics.json()).lower()))
    assert found >= {hashlib.md5(n.encode()).hexdigest() for n in second}
    assert c.get("/lists/national/export?format=vpdq", headers=reviewer).status_code == 400

    entries = [e.as_dict() for e in w.store.audit.entries()]
    assert [(e["action"], e["actor"], e["agency"], e["target"]) for e in entries] == [
        ("list_import", "nl-investigator", "Politie NL", "national"),
        ("list_import", "id-admin", "Polri ID", "national"),
        ("list_export", "id-reviewer", "Polri ID", "national"),
        ("list_export", "id-reviewer", "Polri ID", "national"),
    ]
    assert entries[0]["detail"]["source"] == "release-1.md5" and entries[1]["detail"]["version"] == 2
    assert entries[2]["detail"] == {"format": "md5sum", "entries": 6, "via": "api"}


def test_who_may(w: World) -> None:
    c = w.client
    body = md5sum(["a.jpg"])
    for role in ("reviewer", "auditor", "platform"):
        assert upload(w, role, body, name="x").status_code == 403
    for role in ("auditor", "platform"):
        assert c.get("/lists", headers=w.auth("nl", role)).status_code == 403
    assert c.get("/lists").status_code == 401
    assert upload(w, "investigator", body, name="ok").status_code == 201
    for path in ("/lists/nothing", "/lists/nothing/versions", "/lists/nothing/export"):
        assert c.get(path, headers=w.auth("nl", "reviewer")).status_code == 404
    assert c.get("/lists/ok/export", headers=w.auth("nl", "platform")).status_code == 403


def test_upload_limits_and_form(w: World) -> None:
    c = w.client
    big = md5sum([f"picture-{i}.jpg" for i in range(200)])
    assert len(big) > CAP
    over = upload(w, "investigator", big, name="big")
    assert over.status_code == 413 and over.json()["title"] == "too-large"
    assert c.get("/lists", headers=w.auth("nl", "reviewer")).json()["items"] == []

    # no Content-Length (chunked): the stream itself is cut at the cap
    boundary = "jejak-test-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.md5"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for _ in range(40):
            yield big
        yield tail

    streamed = c.post(
        "/lists",
        content=chunks(),
        headers={**w.auth("nl", "investigator"), "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413

    small = md5sum(["a.jpg"])
    assert upload(w, "investigator", small).status_code == 400  # no name
    not_form = c.post("/lists", json={"name": "x"}, headers=w.auth("nl", "investigator"))
    assert not_form.status_code == 415
    no_file = c.post(
        "/lists", data={"name": "x"}, files={"other": ("a", b"")}, headers=w.auth("nl", "investigator")
    )
    assert no_file.status_code == 400
    bad = upload(w, "investigator", small, name="x", pdq_threshold="999")
    assert bad.status_code == 400
    assert upload(w, "investigator", small, name="x", known_good="perhaps").status_code == 400
    good = upload(w, "investigator", small, name="nsrl-ish", known_good="true")
    assert good.status_code == 201 and good.json()["known_good"] is True
    assert [e.action for e in w.store.audit.entries()] == ["list_import"]
