"""Matching gives the same answers on SQLite and PostgreSQL; a killed list import leaves nothing half-done."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from jejak.config import Settings
from jejak.services.ingest import ingest_case
from jejak.services.lists import import_list
from jejak.services.match import match_case
from jejak.services.triage import triage_case
from jejak.store.sql import Store
from jejak.testing.known import build_known_material
from jejak.testing.lists import write_vics_hashset
from tests.conftest import Cli


@pytest.fixture(scope="module")
def known(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("known")
    return root, build_known_material(root)


def test_same_triage_on_both_databases(
    backend_url: str, tmp_path: Path, known: tuple[Path, dict[str, Any]]
) -> None:
    root, manifest = known
    store = Store.open(backend_url)
    settings = Settings(db=backend_url, workers=0, index_dir=str(tmp_path / "index"))
    import_list(store, root / "lists" / "projectvic-2026-10.json", "ProjectVIC")
    import_list(store, root / "lists" / "nsrl-rds-demo.db", "NSRL", known_good=True)
    store.create_case("C-1", "Unit")
    summary = ingest_case(store, settings, "C-1", [str(root / "seizure" / "laptop")])
    assert summary["match"]["contents_hit"] == len(manifest["copies"]) + len(manifest["known_good"])
    again = match_case(store, settings, "C-1")
    assert again["index"]["action"] == "loaded"
    status = {r["sha256"]: r["status"] for r in triage_case(store, settings, "C-1")}
    assert all(status[c["sha256"]] == "known" for c in manifest["copies"])
    assert all(status[d["sha256"]] == "new" for d in manifest["distractors"])
    assert all(status[k["sha256"]] == "known_good" for k in manifest["known_good"])
    store.close()


@pytest.mark.slow
def test_killed_import_leaves_no_half_version(cli: Cli, tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    write_vics_hashset(big, 150_000, seed=3)
    proc = subprocess.Popen(
        [sys.executable, "-m", "jejak", "--db", cli.db_url, "lists", "import", str(big), "--name", "VIC"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    time.sleep(2.5)
    assert proc.poll() is None, "the import finished before it could be killed: make the list bigger"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    shown = cli("lists", "show", "VIC", "--json", check=False)
    if shown.code == 0:  # the list was created; its release was not committed
        data = shown.json()
        assert data["versions"] == [] and data["entries"] == 0
    done = cli("lists", "import", str(big), "--name", "VIC", "--json").json()
    assert done["version"] == 1 and done["counts"]["added"] == 150_000
    assert cli("lists", "show", "VIC", "--json").json()["entries"] == 150_000
