"""Thumbnails of stills at ingest: made from the picture decoded for PDQ, RGB, longest side thumbnail_size,
upright as the EXIF orientation says, never enlarged, none at thumbnail_size=0; stored and previewed."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from jejak.config import Settings
from jejak.hashing.preview import thumbnail
from jejak.hashing.registry import HashOptions
from jejak.ingest.process import process_batch
from jejak.model import FileRecord, LeafTask, PathSpec
from jejak.store.sql import Store
from jejak.testing.images import (
    camera_photo,
    exif_bytes,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    procedural_image,
)
from jejak.walk.limits import Limits
from tests.conftest import Cli


def run(path: Path, **overrides: object) -> FileRecord:
    s = Settings(workers=0, **overrides)  # type: ignore[arg-type]
    [res] = process_batch(
        [LeafTask(PathSpec.os_path(str(path)), path.stat().st_size)],
        Limits.from_settings(s),
        HashOptions.from_settings(s),
    )
    return res.records[0]


def thumb_of(rec: FileRecord) -> Image.Image:
    img = Image.open(io.BytesIO(rec.previews["thumbnail"]))
    img.load()
    assert img.format == "JPEG"
    return img


def diff(a: Image.Image, b: Image.Image) -> float:
    return float(np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).mean())


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_a_rotated_photo_is_shown_as_the_camera_meant(tmp_path: Path, orientation: int) -> None:
    path = write(
        tmp_path,
        "rotated.jpg",
        jpeg_bytes(procedural_image(2, 640, 480, "shapes"), exif=exif_bytes(orientation=orientation)),
    )
    rec = run(path)
    assert (rec.width, rec.height) == (640, 480)  # the stored picture's own size
    thumb = thumb_of(rec)
    upright = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    assert thumb.mode == "RGB" and thumb.size == (upright.width // 2, upright.height // 2)
    expected = upright.resize(thumb.size, Image.Resampling.BOX)
    assert diff(thumb, expected) < 4.0
    if orientation != 1:  # and not merely as stored
        assert diff(thumb, Image.open(path).convert("RGB").resize(thumb.size)) > 3 * diff(thumb, expected)


@pytest.mark.parametrize("robust", [True, False])
def test_a_reduced_decode_gives_a_colour_thumbnail_and_the_same_pdq(tmp_path: Path, robust: bool) -> None:
    """pdq_min_side=300 makes libjpeg decode this photo at half size (in colour with the robust stage,
    luma and chroma without it): the thumbnail comes from that decode, and PDQ is what it is without one."""
    photo = camera_photo(11, 2400, 1800)
    path = write(tmp_path, "photo.jpg", jpeg_bytes(photo))
    rec = run(path, pdq_min_side=300, robust_enabled=robust)
    without = run(path, pdq_min_side=300, robust_enabled=robust, thumbnail_size=0)
    assert "thumbnail" not in without.previews
    assert [(h.algorithm, h.value, h.quality) for h in rec.hashes] == [
        (h.algorithm, h.value, h.quality) for h in without.hashes
    ]
    assert rec.descriptors == without.descriptors
    thumb = thumb_of(rec)
    assert thumb.size == (320, 240) and thumb.mode == "RGB" and not rec.warnings
    expected = photo.resize((320, 240), Image.Resampling.BOX)
    assert diff(thumb, expected) < 7.0  # ~5: JPEG at quality 80 of a grainy photo costs ~4.8 by itself
    assert diff(thumb, expected.convert("L").convert("RGB")) > 40.0  # in colour


def test_the_thumbnail_is_sharp(tmp_path: Path) -> None:
    """Fast, but not blurred: about as sharp as a careful resize of the same picture."""
    photo = procedural_image(5, 1600, 1200, "checker")
    path = write(tmp_path, "checker.jpg", jpeg_bytes(photo, quality=95))
    thumb = thumb_of(run(path))

    def sharpness(img: Image.Image) -> float:
        return float(cv2.Laplacian(np.asarray(img.convert("L"), np.float32), cv2.CV_32F).var())

    careful = photo.resize(thumb.size, Image.Resampling.LANCZOS)
    assert sharpness(thumb) > 0.5 * sharpness(careful)


@pytest.mark.parametrize(
    ("name", "data", "size"),
    [
        ("tiny.png", png_bytes(procedural_image(3, 100, 60)), (100, 60)),  # never enlarged
        ("alpha.png", png_bytes(procedural_image(4, 800, 600).convert("RGBA")), (320, 240)),
        ("anim.gif", gif_bytes([procedural_image(5, 400, 300), procedural_image(6, 400, 300)]), (320, 240)),
        ("grey.jpg", jpeg_bytes(procedural_image(7, 900, 700).convert("L")), (320, 249)),
        ("tall.png", png_bytes(procedural_image(8, 300, 1000)), (96, 320)),
    ],
)
def test_every_decodable_image_gets_an_rgb_thumbnail(
    tmp_path: Path, name: str, data: bytes, size: tuple[int, int]
) -> None:
    rec = run(write(tmp_path, name, data))
    thumb = thumb_of(rec)
    assert thumb.mode == "RGB" and thumb.size == size and not rec.warnings


def test_thumbnail_size_sets_the_longest_side_and_zero_stores_none(tmp_path: Path) -> None:
    path = write(tmp_path, "p.jpg", jpeg_bytes(procedural_image(9, 1024, 768)))
    assert thumb_of(run(path, thumbnail_size=128)).size == (128, 96)
    assert run(path, thumbnail_size=0).previews == {}


def test_the_thumbnail_carries_no_metadata(tmp_path: Path) -> None:
    exif = exif_bytes(make="Demophone", model="DP-7", gps=(52.37, 4.9, None), orientation=6)
    rec = run(write(tmp_path, "gps.jpg", jpeg_bytes(procedural_image(10, 640, 480), exif=exif)))
    assert rec.exif is not None and rec.exif.gps is not None
    thumb = thumb_of(rec)
    assert not thumb.getexif() and b"Demophone" not in rec.previews["thumbnail"]


def test_thumbnail_rejects_a_size_of_zero() -> None:
    with pytest.raises(ValueError):
        thumbnail(procedural_image(1, 64, 48), 0)


def test_ingest_stores_the_thumbnail_and_previews_show_it(tmp_path: Path, cli: Cli, db_url: str) -> None:
    """Through worker processes into the store; ``jejak preview`` shows a still as it shows a video."""
    folder = tmp_path / "ev"
    folder.mkdir()
    write(folder, "a.jpg", jpeg_bytes(procedural_image(12, 800, 600, "text"), exif=exif_bytes(orientation=8)))
    write(folder, "notes.txt", b"nothing to see\n")
    cli("case", "create", "T-1", "--agency", "Unit")
    cli("ingest", str(folder), "--case", "T-1", "--json")
    files = {r["name"]: r["sha256"] for r in cli("files", "--case", "T-1", "--format", "jsonl").jsonl()}
    sha = files["a.jpg"]
    store = Store.open(db_url)
    try:
        stored = Image.open(io.BytesIO(store.media.preview(sha, "thumbnail")))
        assert stored.size == (240, 320)  # turned upright
    finally:
        store.close()

    gentle, sharp = tmp_path / "gentle.png", tmp_path / "sharp.png"
    cli("preview", "a.jpg", "--case", "T-1", "--output", str(gentle))
    cli("preview", sha, "--output", str(sharp), "--reveal")
    g, r = Image.open(gentle), Image.open(sharp)
    assert g.mode == "L" and r.mode == "RGB" and g.size == r.size == (240, 320)
    revealed = cli("audit", "show", "--action", "media_reveal", "--format", "jsonl").jsonl()
    assert [(e["target"], e["actor"].startswith("local:")) for e in revealed] == [(sha, True)]
    missing = cli("preview", "notes.txt", "--case", "T-1", "--output", str(tmp_path / "x.png"), check=False)
    assert missing.code != 0 and "no preview" in missing.err
