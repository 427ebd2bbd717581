"""Accounts over HTTP: /me, /agencies, an agency's users and tokens (an admin's own agency only: another's
user or token is 404), signing in with a password, and the audit trail's endpoints. A world of its own
(agencies, one user and token per role, no evidence): these tests change accounts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from jejak.api.app import create_app
from jejak.api.auth import auth_cache
from jejak.config import Settings
from jejak.services import accounts
from jejak.services.accounts import Principal
from jejak.services.audit import record
from jejak.store.sql import Store
from tests.api.conftest import AGENCIES, PASSWORD, ROLES, World


def accounts_world(root: Path, **overrides: Any) -> World:
    """Two agencies with a case each and every role's user and token; no evidence ingested."""
    db = f"sqlite:///{root / 'jejak.db'}"
    settings = Settings(db=db, workers=0, **overrides)
    store = Store.open(db)
    for name in AGENCIES.values():
        store.accounts.create_agency(name)
    store.create_case("NL-1", AGENCIES["nl"])
    store.create_case("ID-7", AGENCIES["id"])
    world = World(root, settings, store, TestClient(create_app(settings, store, roles=("api",))), {})
    for key, name in AGENCIES.items():
        for role in ROLES:
            accounts.create_user(store, world.user(key, role), name, role, PASSWORD)
            token, _ = accounts.create_token(store, world.user(key, role), None)
            world.tokens[(key, role)] = token
    return world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    world = accounts_world(tmp_path)
    yield world
    world.client.close()
    world.store.close()


def trail(w: World, action: str | None = None) -> list[dict[str, Any]]:
    return [e.as_dict() for e in w.store.audit.entries(action=action)]


def test_me_and_agencies(w: World) -> None:
    c = w.client
    for role in ROLES:
        me = c.get("/me", headers=w.auth("nl", role))
        assert me.status_code == 200
        assert me.json() == {
            "name": f"nl-{role}",
            "role": role,
            "agency": AGENCIES["nl"],
            "permissions": sorted(p.value for p in accounts.ROLE_PERMS[accounts.Role(role)]),
        }
    # every authenticated caller sees the agencies' names (to share with one), nothing more
    got = c.get("/agencies", headers=w.auth("id", "platform")).json()
    assert got["items"] == [{"name": n} for n in sorted(AGENCIES.values())] and got["next_offset"] is None
    assert c.get("/agencies?limit=1", headers=w.auth("id", "platform")).json()["next_offset"] == 1
    none = c.get("/me")
    assert none.status_code == 401 and none.headers["www-authenticate"].startswith("Bearer")
    assert c.get("/me", headers={"Authorization": "Bearer jjk_" + "x" * 43}).status_code == 401


def test_users_by_role(w: World) -> None:
    c = w.client
    got = c.get("/users", headers=w.auth("nl", "admin"))
    assert got.status_code == 200
    assert sorted(u["name"] for u in got.json()["items"]) == sorted(f"nl-{r}" for r in ROLES)
    assert all(u["agency"] == AGENCIES["nl"] for u in got.json()["items"])
    for role in ("investigator", "reviewer", "auditor", "platform"):
        assert c.get("/users", headers=w.auth("nl", role)).status_code == 403
        assert (
            c.post("/users", json={"name": "x", "role": "reviewer"}, headers=w.auth("nl", role)).status_code
            == 403
        )

    made = c.post(
        "/users",
        json={"name": "nl-new", "role": "admin", "password": PASSWORD},
        headers=w.auth("nl", "admin"),
    )
    assert made.status_code == 201
    assert made.json() == {**made.json(), "name": "nl-new", "agency": AGENCIES["nl"], "role": "admin"}
    assert PASSWORD not in made.text
    (entry,) = trail(w, "admin_user")
    assert (entry["actor"], entry["agency"], entry["target"]) == ("nl-admin", AGENCIES["nl"], "nl-new")
    assert entry["detail"] == {"op": "create", "role": "admin", "password": True}
    assert PASSWORD not in str(trail(w))
    api_only = c.post("/users", json={"name": "nl-hma", "role": "platform"}, headers=w.auth("nl", "admin"))
    assert api_only.status_code == 201

    admin = w.auth("nl", "admin")
    assert c.post("/users", json={"name": "nl-new", "role": "reviewer"}, headers=admin).status_code == 409
    assert c.post("/users", json={"name": "x", "role": "root"}, headers=admin).status_code == 422
    short = c.post("/users", json={"name": "x", "role": "reviewer", "password": "short"}, headers=admin)
    assert short.status_code == 400 and "short" not in short.text
    assert c.post("/users", json={"name": "no spaces", "role": "reviewer"}, headers=admin).status_code == 400


def test_sign_in(w: World) -> None:
    c = w.client
    ok = c.post("/auth/token", json={"name": "nl-reviewer", "password": PASSWORD})
    assert ok.status_code == 201 and ok.json()["token_type"] == "bearer"
    token = ok.json()["token"]
    expires = datetime.fromisoformat(ok.json()["expires_at"])
    row = w.store.accounts.find_tokens(token[:12])[0]
    assert abs((expires - row.created_at).total_seconds() - 12 * 3600) < 60
    me = c.get("/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["name"] == "nl-reviewer" and me["role"] == "reviewer"

    accounts.create_user(w.store, "nl-tokens-only", AGENCIES["nl"], "platform", None)
    w.store.accounts.disable_user(w.store.accounts.user("id-auditor").id)
    failures = [
        {"name": "nl-reviewer", "password": PASSWORD + "x"},  # wrong password
        {"name": "nobody", "password": PASSWORD},  # unknown user
        {"name": "id-auditor", "password": PASSWORD},  # disabled
        {"name": "nl-tokens-only", "password": PASSWORD},  # no password
    ]
    answers = [c.post("/auth/token", json=f) for f in failures]
    assert {a.status_code for a in answers} == {401}
    assert len({a.json()["detail"] for a in answers}) == 1  # one message for every failure
    assert [e["actor"] for e in trail(w, "login_failed")] == [f["name"] for f in failures]
    (login,) = trail(w, "login")
    assert login["actor"] == "nl-reviewer" and login["detail"]["token_id"] == row.id
    assert PASSWORD not in str(trail(w))
    assert c.post("/auth/token", json={"name": "nl-reviewer"}).status_code == 422


def test_tokens(w: World) -> None:
    c = w.client
    admin = w.auth("nl", "admin")
    made = c.post(
        "/users/nl-investigator/tokens", json={"expires": "30d", "scopes": ["cases:read"]}, headers=admin
    )
    assert made.status_code == 201
    new = made.json()
    assert new["token"].startswith(new["prefix"]) and new["scopes"] == ["cases:read"]
    bearer = {"Authorization": f"Bearer {new['token']}"}
    assert c.get("/me", headers=bearer).json()["permissions"] == ["cases:read"]
    assert c.get("/agencies", headers=bearer).status_code == 200

    listed = c.get("/users/nl-investigator/tokens", headers=admin)
    assert listed.status_code == 200 and new["token"] not in listed.text
    assert [t["prefix"] for t in listed.json()["items"]][-1] == new["prefix"]
    assert c.get("/users/nl-investigator/tokens", headers=w.auth("nl", "investigator")).status_code == 403

    # scopes only narrow the user's role; an unknown duration is refused
    wider = c.post("/users/nl-platform/tokens", json={"scopes": ["cases:read"]}, headers=admin)
    assert wider.status_code == 400
    assert c.post("/users/nl-platform/tokens", json={"expires": "soon"}, headers=admin).status_code == 400
    default = c.post("/users/nl-platform/tokens", headers=admin)
    assert default.status_code == 201 and default.json()["scopes"] == ["match"]

    # a narrowed admin token cannot mint itself a wider one
    narrow = c.post("/users/nl-admin/tokens", json={"scopes": ["admin"]}, headers=admin).json()
    narrow_auth = {"Authorization": f"Bearer {narrow['token']}"}
    assert (
        c.post("/users/nl-admin/tokens", json={"scopes": ["cases:write"]}, headers=narrow_auth).status_code
        == 400
    )
    again = c.post("/users/nl-admin/tokens", headers=narrow_auth)
    assert again.status_code == 201 and again.json()["scopes"] == ["admin"]

    # revocation: 401 at once
    revoked = c.delete(f"/tokens/{new['id']}", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert c.get("/me", headers=bearer).status_code == 401
    assert c.delete(f"/tokens/{new['id']}", headers=admin).status_code == 200  # idempotent
    assert c.delete(f"/tokens/{new['id']}", headers=w.auth("nl", "investigator")).status_code == 403

    # expiry: the end moved into the past in the database
    timed = c.post("/users/nl-reviewer/tokens", json={"expires": "1h"}, headers=admin).json()
    timed_auth = {"Authorization": f"Bearer {timed['token']}"}
    assert c.get("/me", headers=timed_auth).status_code == 200
    with w.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE api_token SET expires_at = :t WHERE id = :i"),
            {"t": datetime(2020, 1, 1), "i": timed["id"]},
        )
    # a change made behind the server's back is seen once its auth cache lapses (api_auth_cache_seconds)
    auth_cache(c.app.state.ctx).clear()  # type: ignore[attr-defined]
    expired = c.get("/me", headers=timed_auth)
    assert expired.status_code == 401 and "expired" in expired.json()["detail"]
    statuses = {
        t["id"]: t["status"] for t in c.get("/users/nl-reviewer/tokens", headers=admin).json()["items"]
    }
    assert statuses[timed["id"]] == "expired"

    # disabling a user stops their tokens; an admin cannot disable itself
    gone = c.delete("/users/nl-reviewer", headers=admin)
    assert gone.status_code == 200 and gone.json()["disabled"] is True
    assert c.get("/me", headers=w.auth("nl", "reviewer")).status_code == 401
    assert c.delete("/users/nl-admin", headers=admin).status_code == 400
    assert c.post("/users/nl-reviewer/tokens", headers=admin).status_code == 400

    actions = [(e["action"], e["actor"], e["target"]) for e in trail(w)]
    assert actions == [
        ("admin_token", "nl-admin", "nl-investigator"),
        ("admin_token", "nl-admin", "nl-platform"),
        ("admin_token", "nl-admin", "nl-admin"),
        ("admin_token", "nl-admin", "nl-admin"),
        ("admin_revoke", "nl-admin", "nl-investigator"),
        ("admin_token", "nl-admin", "nl-reviewer"),
        ("admin_user", "nl-admin", "nl-reviewer"),
    ]
    assert all(new["token"] not in str(e) for e in trail(w))


def test_another_agencys_users_and_tokens_are_not_found(w: World) -> None:
    c = w.client
    admin = w.auth("nl", "admin")
    theirs = w.store.accounts.find_tokens(w.tokens[("id", "reviewer")][:12])[0]
    pairs = [
        (c.delete("/users/id-reviewer", headers=admin), c.delete("/users/nobody", headers=admin)),
        (c.get("/users/id-reviewer/tokens", headers=admin), c.get("/users/nobody/tokens", headers=admin)),
        (c.post("/users/id-reviewer/tokens", headers=admin), c.post("/users/nobody/tokens", headers=admin)),
        (c.delete(f"/tokens/{theirs.id}", headers=admin), c.delete("/tokens/999999", headers=admin)),
    ]
    for hidden, missing in pairs:
        assert hidden.status_code == missing.status_code == 404
        assert (
            hidden.json()["detail"].replace("id-reviewer", "nobody").replace(str(theirs.id), "999999")
            == (missing.json()["detail"])
        )
    assert c.get("/me", headers=w.auth("id", "reviewer")).status_code == 200  # untouched
    assert not w.store.accounts.user("id-reviewer").disabled_at
    assert trail(w) == []


def test_audit_endpoints(w: World) -> None:
    c = w.client
    c.post("/auth/token", json={"name": "nl-reviewer", "password": PASSWORD})
    c.post("/auth/token", json={"name": "id-reviewer", "password": PASSWORD})
    c.post("/users/nl-reviewer/tokens", headers=w.auth("nl", "admin"))
    record(w.store, Principal.local(), "match", case="NL-1")  # about an NL case, by the local operator
    record(w.store, Principal.local(), "match", case="ID-7")

    for role in ("investigator", "reviewer", "platform"):
        assert c.get("/audit", headers=w.auth("nl", role)).status_code == 403
        assert c.get("/audit/verify", headers=w.auth("nl", role)).status_code == 403
    got = c.get("/audit", headers=w.auth("nl", "auditor"))
    assert got.status_code == 200
    seen = [(e["seq"], e["action"], e["actor"], e["case"]) for e in got.json()["items"]]
    assert seen == [
        (1, "login", "nl-reviewer", None),
        (3, "admin_token", "nl-admin", None),
        (4, "match", Principal.local().name, "NL-1"),
    ]
    assert c.get("/audit?action=match", headers=w.auth("nl", "auditor")).json()["items"][0]["seq"] == 4
    assert c.get("/audit?case=ID-7", headers=w.auth("nl", "auditor")).json()["items"] == []
    paged = c.get("/audit?limit=2", headers=w.auth("nl", "admin")).json()
    assert [e["seq"] for e in paged["items"]] == [1, 3] and paged["next_offset"] == 2
    assert c.get("/audit?action=nonsense", headers=w.auth("nl", "auditor")).status_code == 400
    views = trail(w, "audit_view")
    assert [(e["actor"], e["case"]) for e in views] == [
        ("nl-auditor", None),
        ("nl-auditor", None),
        ("nl-auditor", "ID-7"),
        ("nl-admin", None),
    ]

    report = c.get("/audit/verify", headers=w.auth("id", "auditor"))
    assert report.status_code == 200
    body = report.json()
    assert body["ok"] is True and body["entries"] == body["head"]["seq"] == len(trail(w))
    with w.store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_entry SET actor = 'someone else' WHERE seq = 2"))
    broken = c.get("/audit/verify", headers=w.auth("id", "auditor")).json()
    assert broken["ok"] is False
    assert [(p["seq"], p["kind"]) for p in broken["problems"]] == [(2, "edited")]
    assert "someone else" not in str(broken) and "id-reviewer" not in str(broken)  # no entry content
