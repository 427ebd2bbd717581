"""Shared fixtures: the real test data beside the repo, stores, and a CLI runner that runs the command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jejak.config import Settings
from jejak.store.sql import Store

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
