"""The benign synthetic seizure of 'make demo', ingested end to end: every capability shows up."""

from __future__ import annotations

from typing import Any

import pytest

from jejak.testing.seizure import build_seizure
from tests.conftest import Cli


@pytest.fixture(scope="module")
def ingested(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], list[dict[str, Any]], list[Any]]:
    root = tmp_path_factory.mktemp("demo")
    manifest = build_seizure(root)
    cli = Cli(f"sqlite:///{root / 'demo.db'}", root)
    cli("case", "create", "DEMO", "--agency", "Demo Unit")
    s = root / "seizure"
    cli("ingest", str(s / "phone1"), str(s / "camera-sd.img"), str(s / "usb-stick"), "--case", "DEMO")
    rows = cli("files", "--case", "DEMO").jsonl()
    warnings = cli("warnings", "--case", "DEMO", "--format", "jsonl").jsonl()
    return manifest, rows, warnings


def row(rows: list[dict[str, Any]], path: str) -> dict[str, Any]:
    matches = [r for r in rows if r["path"] == path]
    assert len(matches) == 1, (path, [r["path"] for r in rows])
    return matches[0]


def test_every_manifest_digest_is_found(
    ingested: tuple[dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    manifest, rows, _ = ingested
    found = {r["sha256"] for r in rows}
    # Left out: the member of the encrypted 7z (unreadable by design) and the zip bomb's cut-off member.
    missing = [
        f
        for f in manifest["files"]
        if f["sha256"] not in found and not (f["path"].endswith(("secret.7z", "bomb.zip")) and f["member"])
    ]
    assert not missing, missing


def test_deleted_photo_on_the_fat_card(
    ingested: tuple[dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    manifest, rows, _ = ingested
    deleted = [r for r in rows if r["deleted"]]
    assert len(deleted) == 1
    d = deleted[0]
    assert d["path"].startswith("camera-sd.img > p1 (FAT16) > /DCIM/100CAM/") and d["kind"] == "image"
    want = next(f for f in manifest["files"] if f["deleted"])
    assert d["sha256"] == want["sha256"] and d["pdq"] is not None
    assert d["exif"]["serial"] == "DC100-77" and d["exif"]["gps"]["lat"] > 45


def test_renamed_nested_and_hostile(ingested: tuple[dict[str, Any], list[dict[str, Any]], list[Any]]) -> None:
    _, rows, warnings = ingested
    assert row(rows, "phone1/Documents/invoice.txt")["kind"] == "image"
    assert row(rows, "usb-stick/renamed/holiday.doc")["mime"] == "image/jpeg"
    deep = row(rows, "phone1/WhatsApp/Media/export.zip > backup.tar.gz > inner.zip > deep/a.jpg")
    assert deep["pdq"] and [s["type"] for s in deep["pathspec"]] == ["os", "zip", "gzip", "tar", "zip"]
    assert row(rows, "usb-stick/traversal.zip > ../../etc/evil.jpg")["kind"] == "image"
    phone = row(rows, "phone1/DCIM/Camera/IMG_20260101_120000.jpg")
    assert phone["exif"]["serial"] == "DP1-000123" and phone["exif"]["datetime_original"].endswith("+07:00")
    stages = {(w["path"], w["stage"]) for w in warnings}
    assert ("usb-stick/bomb.zip > zeros.bin", "limit") in stages
    assert ("phone1/Download/broken.jpg", "decode") in stages
    assert ("phone1/Download/corrupt.png", "decode") in stages
    assert ("phone1/Download/empty.jpg", "read") in stages
    assert any(p.startswith("usb-stick/secret.7z > ") and s == "archive" for p, s in stages)
    # Broken files are kept with their digests.
    assert (
        row(rows, "phone1/Download/broken.jpg")["sha256"] and row(rows, "phone1/Download/empty.jpg")["sha256"]
    )


def test_every_still_format_gets_a_pdq(
    ingested: tuple[dict[str, Any], list[dict[str, Any]], list[Any]],
) -> None:
    _, rows, _ = ingested
    for name in ("Screenshot_2026.png", "animation.gif", "sticker.webp", "scan.bmp", "scan.tiff", "copy.jpg"):
        r = row(rows, f"phone1/Pictures/{name}")
        assert r["pdq"] and r["pdq_quality"] is not None and r["width"], name
    original = row(rows, "phone1/DCIM/Camera/IMG_20260101_120000.jpg")
    assert row(rows, "phone1/Pictures/copy.jpg")["sha256"] == original["sha256"]
