"""The API over every store backend (SQLite and a real PostgreSQL server): accounts, a case created,
shared and read across agencies, an assertion, the platform lookup, and an audit trail that verifies."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from jejak.api.app import create_app
from jejak.config import Settings
from jejak.services import accounts
from jejak.services.audit import verify_trail
from jejak.services.ingest import ingest_case
from jejak.services.lists import build_list
from jejak.store.sql import Store
from jejak.testing.images import jpeg_bytes, procedural_image


def test_api_flow_on_every_backend(backend_url: str, tmp_path: Path) -> None:
    evidence = tmp_path / "phone"
    evidence.mkdir()
    for seed in range(3):
        (evidence / f"IMG_{seed}.jpg").write_bytes(jpeg_bytes(procedural_image(9100 + seed, 480, 360)))
    settings = Settings(db=backend_url, workers=0, index_dir=str(tmp_path / "index"))
    store = Store.open(backend_url)
    try:
        for agency in ("Politie NL", "Polri ID", "ChatApp"):
            store.accounts.create_agency(agency)
        tokens = {}
        for name, agency, role in (
            ("anna", "Politie NL", "investigator"),
            ("budi", "Polri ID", "reviewer"),
            ("bot", "ChatApp", "platform"),
        ):
            accounts.create_user(store, name, agency, role, None)
            tokens[name] = {"Authorization": f"Bearer {accounts.create_token(store, name, None)[0]}"}
        build_list(store, settings, [str(evidence / "IMG_1.jpg")], "known", category="1")
        with TestClient(create_app(settings, store)) as c:
            assert c.post("/cases", json={"name": "NL-1"}, headers=tokens["anna"]).status_code == 201
            ingest_case(store, settings, "NL-1", [str(evidence)])
            files = c.get("/cases/NL-1/files", headers=tokens["anna"]).json()["items"]
            assert sorted(f["path"].rsplit("/", 1)[-1] for f in files) == [
                "IMG_0.jpg",
                "IMG_1.jpg",
                "IMG_2.jpg",
            ]
            assert c.get("/cases/NL-1/files", headers=tokens["budi"]).status_code == 404
            shared = c.post("/cases/NL-1/shares", json={"agency": "Polri ID"}, headers=tokens["anna"])
            assert shared.status_code == 201
            assert len(c.get("/cases/NL-1/files", headers=tokens["budi"]).json()["items"]) == 3
            sha = next(f["sha256"] for f in files if f["path"].endswith("IMG_2.jpg"))
            made = c.post(
                "/cases/NL-1/assertions", json={"content": sha, "victim": "V-1"}, headers=tokens["anna"]
            )
            assert made.status_code in (200, 201), made.text
            listed = next(f for f in files if f["path"].endswith("IMG_1.jpg"))
            found = c.get(f"/m/lookup?signal_type=pdq&signal={listed['pdq']}", headers=tokens["bot"]).json()
            assert found["known"][0]["distance"] == "0"
            assert c.get("/cases", headers=tokens["bot"]).status_code == 403
        report = verify_trail(store)
        assert report["ok"] and report["entries"] >= 4, report
    finally:
        store.close()
