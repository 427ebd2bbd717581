"""Web sessions: an HttpOnly SameSite cookie, CSRF on changes, sign-out revokes, attempts limited."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.config import Settings
from jejak.services import accounts
from jejak.store.sql import Store

PASSWORD = "correct horse battery staple"


def _app(tmp_path: Path, **overrides: object) -> tuple[Store, TestClient]:
    db = f"sqlite:///{tmp_path / 'web.db'}"
    store = Store.open(db)
    store.accounts.create_agency("Politie NL")
    store.create_case("NL-1", "Politie NL")
    accounts.create_user(store, "anna", "Politie NL", "investigator", PASSWORD)
    settings = Settings(db=db, workers=0, **overrides)  # type: ignore[arg-type]
    return store, TestClient(create_app(settings, store, roles=["api"]))


def test_session_cookie_csrf_and_sign_out(tmp_path: Path) -> None:
    store, c = _app(tmp_path)
    with c:
        assert (
            c.post("/auth/session", json={"name": "anna", "password": "wrong password!"}).status_code == 401
        )
        r = c.post("/auth/session", json={"name": "anna", "password": PASSWORD})
        assert r.status_code == 201
        cookie = r.headers["set-cookie"].lower()
        assert "jejak_session=" in cookie and "httponly" in cookie and "samesite=strict" in cookie
        csrf = r.json()["csrf"]
        # reads need only the cookie
        assert [x["case"] for x in c.get("/cases").json()["items"]] == ["NL-1"]
        assert c.get("/auth/session").json()["user"]["name"] == "anna"
        # a change with the cookie but without (or with a wrong) CSRF token is refused, and nothing is made
        assert c.post("/cases", json={"name": "NL-2"}).status_code == 403
        assert c.post("/cases", json={"name": "NL-2"}, headers={"X-CSRF-Token": "0" * 40}).status_code == 403
        assert [x.name for x in store.list_cases()] == ["NL-1"]
        assert c.post("/cases", json={"name": "NL-2"}, headers={"X-CSRF-Token": csrf}).status_code == 201
        # sign-out revokes the session's token at once
        token = c.cookies.get("jejak_session")
        assert token
        assert c.request("DELETE", "/auth/session", headers={"X-CSRF-Token": csrf}).status_code == 200
        c.cookies.set("jejak_session", token)  # the revoked token, presented again
        assert c.get("/cases").status_code == 401
        actions = [e.action for e in store.audit.entries()]
        assert actions.count("login") == 1 and "login_failed" in actions and "logout" in actions
    store.close()


def test_sign_in_attempts_are_limited_per_name(tmp_path: Path) -> None:
    store, c = _app(tmp_path, login_attempts_per_minute=3)
    with c:
        codes = [
            c.post("/auth/token", json={"name": "anna", "password": "not it at all"}).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        # the right password is refused too while the name is over its limit: guessing gains nothing
        limited = c.post("/auth/session", json={"name": "anna", "password": PASSWORD})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        # another name is not affected
        assert c.post("/auth/session", json={"name": "budi", "password": "whatever it is"}).status_code == 401
    store.close()
