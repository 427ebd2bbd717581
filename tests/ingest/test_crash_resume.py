"""kill -9 in the middle of an ingest loses no committed row, duplicates none, and a rerun finishes."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jejak.testing.images import jpeg_bytes, procedural_image
from tests.conftest import Cli


def make_folder(root: Path, n: int) -> None:
    for i in range(n):
        d = root / f"dir{i % 7}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"img{i:04d}.jpg").write_bytes(jpeg_bytes(procedural_image(i, 480, 360), quality=85))


def count_rows(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=1) as conn:
            return int(conn.execute("select count(*) from file_instance").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_kill_9_then_resume_equals_a_clean_run(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    make_folder(evidence, 240)
    env = {**os.environ, "JEJAK_COMMIT_EVERY": "10", "JEJAK_BATCH_FILES": "5", "JEJAK_WORKERS": "2"}
    crashed = tmp_path / "crashed.db"
    url = f"sqlite:///{crashed}"
    Cli(url, tmp_path)("case", "create", "K", "--agency", "A")
    args = [sys.executable, "-m", "jejak", "--db", url, "ingest", str(evidence), "--case", "K"]
    killed_at = 0
    for _attempt in range(2):  # two kills at different moments
        proc = subprocess.Popen(
            args, env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        target = killed_at + 40
        deadline = time.monotonic() + 120
        while count_rows(crashed) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its worker processes, mid-write
        proc.wait()
        killed_at = count_rows(crashed)
        assert 0 < killed_at < 240, "the kill must land mid-ingest"
    with sqlite3.connect(crashed) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    subprocess.run(args, env=env, check=True, capture_output=True)

    clean = tmp_path / "clean.db"
    cli = Cli(f"sqlite:///{clean}", tmp_path)
    cli("case", "create", "K", "--agency", "A")
    cli("ingest", str(evidence), "--case", "K")

    def rows(db: Path) -> list[tuple[str, str]]:
        with sqlite3.connect(db) as conn:
            return sorted(
                conn.execute(
                    "select f.path, c.sha256 from file_instance f join content c on c.id = f.content_id"
                ).fetchall()
            )

    resumed = rows(crashed)
    assert len(resumed) == 240 == len(set(resumed))
    assert resumed == rows(clean)
    with sqlite3.connect(crashed) as conn:
        pdq = conn.execute("select count(*) from hash_value where algorithm = 'pdq'").fetchone()[0]
        runs = conn.execute("select status from ingest_run order by id").fetchall()
    assert pdq == 240
    assert [r[0] for r in runs] == ["interrupted", "interrupted", "finished"]
