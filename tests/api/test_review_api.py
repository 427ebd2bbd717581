"""Reviewers' categories over HTTP: POST and GET /cases/{case}/files/{sha256}/category by role and agency,
and the triage endpoint reflecting the change. A real SQLite store and a real ingest of benign procedural
pictures (tests/match/test_review.py's seizure)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.config import Settings
from jejak.services import accounts
from jejak.store.sql import Store
from tests.match.test_review import AGENCY, CASE, OTHER, Seizure, build_case

ROLES = [r.value for r in accounts.Role]
KEYS = {"rv": AGENCY, "nl": OTHER}


@dataclass
class Api:
    client: TestClient
    store: Store
    seizure: Seizure
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(agency, role)]}"}

    def path(self, name: str, case: str = CASE) -> str:
        return f"/cases/{case}/files/{self.seizure.shas[name]}/category"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    db = f"sqlite:///{tmp_path / 'jejak.db'}"
    settings = Settings(db=db, workers=0)
    store = Store.open(db)
    seizure = build_case(tmp_path, store, settings)
    store.accounts.create_agency(OTHER)
    out = Api(TestClient(create_app(settings, store, roles=("api",))), store, seizure)
    for key, agency in KEYS.items():
        for role in ROLES:
            accounts.create_user(store, f"{key}-{role}", agency, role, None)
            out.tokens[(key, role)] = accounts.create_token(store, f"{key}-{role}", None)[0]
    with out.client:
        yield out
    store.close()


def triage(api: Api, **query: str) -> dict[str, dict[str, Any]]:
    r = api.client.get(f"/cases/{CASE}/triage", headers=api.auth("rv", "reviewer"), params=query)
    assert r.status_code == 200, r.text
    return {x["sha256"]: x for x in r.json()["items"]}


def test_a_reviewer_categorises_and_triage_follows(api: Api) -> None:
    c = api.client
    other = api.seizure.shas["other.jpg"]
    assert triage(api)[other]["category"] is None

    r = c.post(
        api.path("other.jpg"), headers=api.auth("rv", "reviewer"), json={"category": "2", "note": "n1"}
    )
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["case"] == CASE and out["sha256"] == other and out["by"] == "rv-reviewer"
    assert out["category"] == {"scheme": "vic-us", "code": "2", "label": "Exploitive / Age-difficult"}
    assert [x["sha256"] for x in out["contents"]] == [other]

    rec = triage(api)[other]
    assert rec["status"] == "new" and rec["category"]["code"] == "2" and rec["category_source"] == "reviewer"
    assert rec["reviewer_category"]["by"] == "rv-reviewer" and rec["reviewer_category"]["note"] == "n1"
    summary = c.get(f"/cases/{CASE}/triage", headers=api.auth("rv", "reviewer"), params={"summary": "true"})
    assert summary.json()["reviewer_categorised"] == 1
    one = c.get(f"/cases/{CASE}/files/{other}", headers=api.auth("rv", "reviewer")).json()
    assert one["category"]["code"] == "2" and one["category_source"] == "reviewer"

    # an investigator re-categorises the whole stack of the resized copy
    r = c.post(
        api.path("pic_small.jpg"),
        headers=api.auth("rv", "investigator"),
        json={"category": "1", "stack": True},
    )
    assert r.status_code == 200, r.text
    stacked = {x["sha256"] for x in r.json()["contents"]}
    assert stacked == {api.seizure.shas["pic.jpg"], api.seizure.shas["pic_small.jpg"]}
    after = triage(api)
    assert all(after[s]["category"]["code"] == "1" for s in stacked)

    # a listed content categorised otherwise: a conflict, in the records and the summary
    r = c.post(api.path("known.jpg"), headers=api.auth("rv", "reviewer"), json={"category": "4"})
    assert r.status_code == 200 and r.json()["contents"][0]["conflict"] is True
    known = triage(api, status="known")[api.seizure.shas["known.jpg"]]
    assert [x["code"] for x in known["conflict"]["categories"]] == ["1", "4"]
    assert known["list_category"]["code"] == "1" and known["category"]["code"] == "4"

    # the history, paged, oldest first; reading it is a case_view
    c.post(api.path("other.jpg"), headers=api.auth("rv", "investigator"), json={"category": "0"})
    r = c.get(api.path("other.jpg"), headers=api.auth("rv", "reviewer"))
    assert r.status_code == 200
    page = r.json()
    assert [(h["category"]["code"], h["by"]) for h in page["items"]] == [
        ("2", "rv-reviewer"),
        ("0", "rv-investigator"),
    ]
    assert page["next_offset"] is None
    views = list(api.store.audit.entries(case_names=[CASE], action="case_view"))
    assert any(e.target == "/cases/{case}/files/{sha256}/category" for e in views)
    changes = list(api.store.audit.entries(case_names=[CASE], action="category_change"))
    assert [e.actor for e in changes] == ["rv-reviewer", "rv-investigator", "rv-reviewer", "rv-investigator"]


def test_bad_requests(api: Api) -> None:
    c, who = api.client, api.auth("rv", "reviewer")
    r = c.post(api.path("other.jpg"), headers=who, json={"category": "9"})
    assert r.status_code == 400 and "valid codes: 0 Non-Pertinent" in r.json()["detail"]
    r = c.post(api.path("other.jpg"), headers=who, json={"category": "A", "scheme": "vic-us"})
    assert r.status_code == 400
    r = c.post(api.path("other.jpg"), headers=who, json={"category": "2", "bogus": 1})
    assert r.status_code == 422
    for sha in ("0" * 64, "other.jpg", "not-a-hash"):  # a name is not a SHA-256 here
        r = c.post(f"/cases/{CASE}/files/{sha}/category", headers=who, json={"category": "2"})
        assert r.status_code == 404, sha
        assert c.get(f"/cases/{CASE}/files/{sha}/category", headers=who).status_code == 404
    assert (
        c.post(f"/cases/NOPE/files/{'0' * 64}/category", headers=who, json={"category": "2"}).status_code
        == 404
    )
    r = c.post(api.path("other.jpg"), headers=who, json={"category": "a", "scheme": "uk"})
    assert r.status_code == 200 and r.json()["category"]["code"] == "A"


def test_roles_and_agencies(api: Api) -> None:
    c = api.client
    body = {"category": "2"}
    for role in ("admin", "auditor", "platform"):
        r = c.post(api.path("other.jpg"), headers=api.auth("rv", role), json=body)
        assert r.status_code == 403, (role, r.text)
    for role in ("auditor", "platform"):
        assert c.get(api.path("other.jpg"), headers=api.auth("rv", role)).status_code == 403
    assert c.get(api.path("other.jpg"), headers=api.auth("rv", "admin")).status_code == 200  # cases:read

    # another agency: not shared, "not found" (as a case that does not exist)
    missing = c.get(f"/cases/NOPE/files/{'0' * 64}/category", headers=api.auth("nl", "reviewer")).json()
    for role in ROLES:
        r = c.post(api.path("other.jpg"), headers=api.auth("nl", role), json=body)
        assert r.status_code == (403 if role in ("auditor", "platform") else 404), (role, r.text)
    r = c.get(api.path("other.jpg"), headers=api.auth("nl", "reviewer"))
    assert r.status_code == 404
    assert r.json()["detail"] == missing["detail"].replace("NOPE", CASE)

    # shared with NL to read: its people read the history, and may not categorise
    api.store.accounts.share_case(api.store.get_case(CASE).id, api.store.accounts.agency(OTHER).id, "t")
    for role in ("reviewer", "investigator"):
        r = c.post(api.path("other.jpg"), headers=api.auth("nl", role), json=body)
        assert r.status_code == 403 and "to read" in r.json()["detail"], r.text
    assert c.get(api.path("other.jpg"), headers=api.auth("nl", "reviewer")).json()["items"] == []
    assert triage(api)[api.seizure.shas["other.jpg"]]["category"] is None
    assert not list(api.store.audit.entries(case_names=[CASE], action="category_change"))
