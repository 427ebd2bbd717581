"""Limits are warning rows, never crashes (pixels, decode time, size); a missing extra is a clear error."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jejak.config import Settings
from jejak.errors import MissingDependency
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import process_batch
from jejak.ingest.runners import make_runner
from jejak.model import FileRecord, LeafTask, PathSpec
from jejak.testing.images import jpeg_bytes, procedural_image
from jejak.walk.limits import Limits


def run(path: Path, **overrides: object) -> FileRecord:
    s = Settings(workers=0, **overrides)  # type: ignore[arg-type]
    [res] = process_batch(
        [LeafTask(PathSpec.os_path(str(path)), path.stat().st_size)],
        Limits.from_settings(s),
        HashOptions.from_settings(s),
    )
    return res.records[0]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    p = tmp_path / "big.jpg"
    p.write_bytes(jpeg_bytes(procedural_image(3, 2400, 1800, "texture"), quality=92))
    return p


def test_pixel_limit_is_checked_before_decoding(photo: Path) -> None:
    rec = run(photo, max_image_pixels=1_000_000)
    assert rec.sha256 and not rec.hashes
    assert rec.warnings[0].stage == "limit" and "JEJAK_MAX_IMAGE_PIXELS" in rec.warnings[0].message


def test_decode_time_limit(photo: Path) -> None:
    rec = run(photo, max_media_seconds=0.0005, pdq_min_side=0)
    assert rec.sha256 and not rec.hashes
    assert rec.warnings[0].stage == "timeout"


def test_file_size_limit_keeps_the_row(photo: Path) -> None:
    rec = run(photo, max_file_size=1000)
    assert rec.sha256 is None and rec.size == photo.stat().st_size
    assert "JEJAK_MAX_FILE_SIZE" in rec.warnings[0].message


def test_missing_dask_is_an_actionable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    s = Settings(workers=1)
    with pytest.raises(MissingDependency, match=r"pip install 'jejak\[dask\]'"):
        make_runner(1, "local", Limits.from_settings(s), HashOptions.from_settings(s))
