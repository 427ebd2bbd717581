"""Shared fixtures: the real test data beside the repo, stores, and a CLI runner that runs the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from jejak.config import Settings
from jejak.store.sql import Store
from tests.pgserver import private_server

REPO = Path(__file__).resolve().parents[1]
TESTDATA = REPO.parent / "shared" / "testdata"


@pytest.fixture(scope="session")
def testdata() -> Path:
    if not TESTDATA.is_dir():
        pytest.fail(
            f"the shared test data is missing: expected {TESTDATA} (a copy of shared/ beside the repo)"
        )
    return TESTDATA


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'jejak.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    s = Store.open(db_url)
    yield s
    s.close()


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(db=db_url, workers=0)


@dataclass
class Result:
    code: int
    out: str
    err: str

    def jsonl(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]

    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """Runs ``python -m jejak`` in a subprocess, as a user would, against one database."""

    def __init__(self, db_url: str, cwd: Path) -> None:
        self.db_url = db_url
        self.cwd = cwd

    def __call__(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Result:
        full_env = {**os.environ, "JEJAK_WORKERS": "2", **(env or {})}
        p = subprocess.run(
            [sys.executable, "-m", "jejak", "--db", self.db_url, *args],
            capture_output=True,
            text=True,
            cwd=self.cwd,
            env=full_env,
            timeout=600,
            check=False,
        )
        if check and p.returncode != 0:
            raise AssertionError(f"jejak {' '.join(args)} exited {p.returncode}\n{p.stderr}")
        return Result(p.returncode, p.stdout, p.stderr)


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path)


PG_ENV = "JEJAK_TEST_PG_URL"


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """JEJAK_TEST_PG_URL when set (.ci/run starts the system cluster), else a private server for this run."""
    url = os.environ.get(PG_ENV)
    if url:
        yield url
        return
    with private_server() as started:
        yield started


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    name = f"jejak_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
