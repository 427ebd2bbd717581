"""The API's world: the two-agency scenario (``testing.agencies``) ingested into a real SQLite store, every
role of each agency with a token, and a TestClient over ``create_app``. Session-scoped (building it ingests
videos and audio): tests that change data make their own world with ``make_world``."""

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
from jejak.services.graph import assert_media
from jejak.services.ingest import ingest_case
from jejak.store.sql import Store
from jejak.testing.agencies import build_agencies

AGENCIES = {"nl": "Politie NL", "id": "Polri ID"}
ROLES = [r.value for r in accounts.Role]
PASSWORD = "correct horse battery staple"


@dataclass
class World:
    root: Path
    settings: Settings
    store: Store
    client: TestClient
    manifest: dict[str, Any]
    tokens: dict[tuple[str, str], str] = field(default_factory=dict)  # (agency key, role) -> token

    def user(self, agency: str, role: str) -> str:
        return f"{agency}-{role}"

    def auth(self, agency: str, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[(agency, role)]}"}

    def sha(self, case: str, name: str) -> str:
        row = self.store.get_case(case)
        for r in self.store.iter_files(row.id):
            if Path(str(r["path"])).name == name:
                return str(r["sha256"])
        raise KeyError(name)


def make_world(root: Path, **overrides: Any) -> World:
    manifest = build_agencies(root / "evidence")
    db = f"sqlite:///{root / 'jejak.db'}"
    settings = Settings(db=db, workers=0, evidence_roots=str(root / "evidence"), **overrides)
    store = Store.open(db)
    for name in AGENCIES.values():
        store.accounts.create_agency(name)
    for case, info in manifest["cases"].items():
        store.create_case(case, info["agency"])
        ingest_case(store, settings, case, [str(root / "evidence" / info["folder"])])
    client = TestClient(create_app(settings, store))
    client.__enter__()  # runs the lifespan: the matcher's index loads, the job runner starts
    world = World(root, settings, store, client, manifest)
    v12 = world.sha("NL-1", "IMG_0002.jpg")
    assert_media(store, settings, "NL-1", v12, victim="V-12", by="nl-investigator")
    for key, name in AGENCIES.items():
        for role in ROLES:
            accounts.create_user(store, world.user(key, role), name, role, PASSWORD)
            token, _ = accounts.create_token(store, world.user(key, role), None)
            world.tokens[(key, role)] = token
    return world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    w = make_world(tmp_path_factory.mktemp("api-world"))
    yield w
    w.client.__exit__(None, None, None)
    w.store.close()
