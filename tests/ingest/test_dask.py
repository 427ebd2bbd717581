"""The same walk and hashing code on a real Dask LocalCluster with 2 workers gives the same rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Cli


def comparable(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return sorted((r["path"], r["sha256"], r["pdq"], r["kind"], r["deleted"], r["size"]) for r in rows)


@pytest.mark.cluster
@pytest.mark.slow
def test_local_cluster_rows_equal_local_runner_rows(testdata: Path, tmp_path: Path) -> None:
    sources = [str(testdata / "dfvfs"), str(testdata / "exif-samples" / "jpg")]
    local = Cli(f"sqlite:///{tmp_path / 'local.db'}", tmp_path)
    dask = Cli(f"sqlite:///{tmp_path / 'dask.db'}", tmp_path)
    for c in (local, dask):
        c("case", "create", "D", "--agency", "A")
    local("ingest", *sources, "--case", "D", "--workers", "2")
    summary = dask("ingest", *sources, "--case", "D", "--cluster", "local", "--workers", "2", "--json").json()
    assert summary["files"] > 70
    a = comparable(local("files", "--case", "D").jsonl())
    b = comparable(dask("files", "--case", "D").jsonl())
    assert a == b
