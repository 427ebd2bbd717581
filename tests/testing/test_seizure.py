"""The synthetic seizure (and the procedural pictures and EXIF blocks it is made of)."""

from __future__ import annotations

import gzip
import hashlib
import io
import itertools
import json
import tarfile
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pdqhash
import pytest
from PIL import ExifTags, Image

from jejak.model import Kind
from jejak.testing.images import (
    STYLES,
    bmp_bytes,
    exif_bytes,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    procedural_image,
    tiff_bytes,
    webp_bytes,
)
from jejak.testing.seizure import CAMERA_DELETED, MANIFEST_NAME, SEVEN_ZIP_PASSWORD, build_seizure

py7zr = pytest.importorskip("py7zr")
pytsk3 = pytest.importorskip("pytsk3")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- procedural images and EXIF ---------------------------------------------------------------------------


def _pdq(img: Image.Image) -> np.ndarray[Any, np.dtype[np.uint8]]:
    bits, _quality = pdqhash.compute(np.asarray(img.convert("RGB")))
    packed: np.ndarray[Any, np.dtype[np.uint8]] = np.packbits(np.asarray(bits, dtype=np.uint8))
    return packed


def _hamming(a: np.ndarray[Any, np.dtype[np.uint8]], b: np.ndarray[Any, np.dtype[np.uint8]]) -> int:
    return int(np.unpackbits(a ^ b).sum())


def test_procedural_images_are_deterministic_and_cover_every_style() -> None:
    for seed, style in enumerate(STYLES):
        img = procedural_image(seed, 160, 120)
        assert img.mode == "RGB" and img.size == (160, 120)
        assert img.tobytes() == procedural_image(seed, 160, 120, style).tobytes()
    assert procedural_image(7, 200, 100, "room").tobytes() == procedural_image(7, 200, 100, "room").tobytes()
    with pytest.raises(ValueError, match="unknown style"):
        procedural_image(1, style="portrait")


def test_different_seeds_give_clearly_different_pdq_hashes() -> None:
    hashes = [_pdq(procedural_image(seed)) for seed in range(20)]
    distances = [_hamming(a, b) for a, b in itertools.combinations(hashes, 2)]
    assert sum(distances) / len(distances) > 50
    assert min(distances) >= 32


def test_exif_round_trip_through_a_saved_jpeg(tmp_path: Path) -> None:
    taken = datetime(2026, 1, 1, 12, 0, 5, tzinfo=timezone(timedelta(hours=2)))
    exif = exif_bytes(
        make="DemoPhone",
        model="DP-1",
        serial="DP1-000123",
        datetime_original=taken,
        gps=(-6.1754, -3.7038, 657.5),
        image_unique_id="0123456789abcdef0123456789abcdef",
        software="DemoPhone Camera 1.0",
        orientation=6,
    )
    assert exif.startswith(b"Exif\x00\x00")
    path = tmp_path / "photo.jpg"
    path.write_bytes(jpeg_bytes(procedural_image(3), exif=exif))
    with Image.open(path) as img:
        tags = img.getexif()
    assert tags[ExifTags.Base.Make] == "DemoPhone"
    assert tags[ExifTags.Base.Model] == "DP-1"
    assert tags[ExifTags.Base.Software] == "DemoPhone Camera 1.0"
    assert tags[ExifTags.Base.Orientation] == 6
    sub = tags.get_ifd(ExifTags.IFD.Exif)
    assert sub[ExifTags.Base.DateTimeOriginal] == "2026:01:01 12:00:05"
    assert sub[ExifTags.Base.OffsetTimeOriginal] == "+02:00"
    assert sub[ExifTags.Base.BodySerialNumber] == "DP1-000123"
    assert sub[ExifTags.Base.ImageUniqueID] == "0123456789abcdef0123456789abcdef"
    gps = tags.get_ifd(ExifTags.IFD.GPSInfo)

    def degrees(dms: Any, ref: str) -> float:
        value = float(dms[0]) + float(dms[1]) / 60 + float(dms[2]) / 3600
        return -value if ref in ("S", "W") else value

    assert gps[ExifTags.GPS.GPSLatitudeRef] == "S" and gps[ExifTags.GPS.GPSLongitudeRef] == "W"
    lat = degrees(gps[ExifTags.GPS.GPSLatitude], gps[ExifTags.GPS.GPSLatitudeRef])
    lon = degrees(gps[ExifTags.GPS.GPSLongitude], gps[ExifTags.GPS.GPSLongitudeRef])
    assert abs(lat - -6.1754) < 1e-5 and abs(lon - -3.7038) < 1e-5
    assert abs(float(gps[ExifTags.GPS.GPSAltitude]) - 657.5) < 1e-6
    assert gps[ExifTags.GPS.GPSAltitudeRef] in (0, b"\x00")


def test_naive_datetime_writes_no_offset() -> None:
    exif = exif_bytes(datetime_original=datetime(2026, 1, 2, 10, 11, 0))
    tags = Image.Exif()
    tags.load(exif)
    sub = tags.get_ifd(ExifTags.IFD.Exif)
    assert sub[ExifTags.Base.DateTimeOriginal] == "2026:01:02 10:11:00"
    assert ExifTags.Base.OffsetTimeOriginal not in sub


def test_encoders_produce_decodable_files() -> None:
    img = procedural_image(5, 96, 64)
    for data, fmt in [
        (jpeg_bytes(img), "JPEG"),
        (png_bytes(img), "PNG"),
        (webp_bytes(img), "WEBP"),
        (bmp_bytes(img), "BMP"),
        (tiff_bytes(img), "TIFF"),
    ]:
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.format == fmt and decoded.size == (96, 64)
    with Image.open(io.BytesIO(gif_bytes([img, procedural_image(6, 96, 64)]))) as gif:
        assert gif.format == "GIF" and getattr(gif, "n_frames", 1) == 2


# --- the seizure ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    root = tmp_path_factory.mktemp("seizure-a")
    return root, build_seizure(root)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.slow
def test_same_seed_gives_byte_identical_seizure(built: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    root, manifest = built
    again = build_seizure(tmp_path)
    assert again == manifest
    assert (tmp_path / MANIFEST_NAME).read_bytes() == (root / MANIFEST_NAME).read_bytes()
    assert _files(tmp_path) == _files(root)


def test_manifest_describes_every_file_on_disk(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    assert json.loads((root / MANIFEST_NAME).read_text(encoding="utf-8")) == manifest
    top = {e["path"]: e for e in manifest["files"] if not e["member"]}
    on_disk = {k: v for k, v in _files(root).items() if k != MANIFEST_NAME}
    assert set(top) == set(on_disk)
    for path, entry in top.items():
        assert entry["size"] == len(on_disk[path])
        assert entry["sha256"] == _sha(on_disk[path])
        assert entry["kind"] in {k.value for k in Kind}
    assert sum(len(v) for v in on_disk.values()) < 25 * 1024 * 1024


def _open_member(container: str, data: bytes, member: str) -> bytes:
    """One member out of a container's bytes; ``container`` is its name, which says its format."""
    name = container.lower()
    if name.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return zf.read(member)
    if name.endswith((".tar.gz", ".tar.bz2")):
        with tarfile.open(fileobj=io.BytesIO(data)) as tf:
            extracted = tf.extractfile(member)
            assert extracted is not None
            return extracted.read()
    if name.endswith(".7z"):
        with py7zr.SevenZipFile(io.BytesIO(data), password=SEVEN_ZIP_PASSWORD) as archive:
            factory = py7zr.io.BytesIOFactory(1 << 26)
            archive.extract(targets=[member], factory=factory)
            product = factory.get(member)
            product.seek(0)
            return bytes(product.read())
    if name.endswith(".gz"):
        return gzip.decompress(data)
    raise AssertionError(f"no opener for {container}")


def test_manifest_members_match_archive_contents(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    nested = [e for e in manifest["files"] if e["member"] and not e["path"].endswith(".img")]
    assert len(nested) == 18
    for entry in nested:
        container, data = entry["path"], (root / entry["path"]).read_bytes()
        for member in entry["member"]:
            data = _open_member(container, data, member)
            container = member
        assert len(data) == entry["size"], entry
        assert _sha(data) == entry["sha256"], entry


def test_traversal_names_and_encryption_are_as_described(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    with zipfile.ZipFile(root / "seizure/usb-stick/traversal.zip") as zf:
        assert zf.namelist() == ["../../etc/evil.jpg", "/abs/photo.jpg"]
    with py7zr.SevenZipFile(root / "seizure/usb-stick/secret.7z") as archive:
        assert archive.needs_password()
        assert archive.getnames() == ["secret/IMG_2001.jpg"]
    with zipfile.ZipFile(root / "seizure/usb-stick/bomb.zip") as zf:
        info = zf.getinfo("zeros.bin")
        assert info.file_size == 64 * 1024 * 1024 and info.compress_size < 100_000


def test_phone_photos_carry_exif_and_duplicates(built: tuple[Path, dict[str, Any]]) -> None:
    root, _ = built
    camera = root / "seizure/phone1/DCIM/Camera"
    names = sorted(p.name for p in camera.iterdir())
    assert names == [f"IMG_20260101_1200{n:02d}.jpg" for n in range(12)]
    with Image.open(camera / "IMG_20260101_120005.jpg") as img:
        assert img.size == (1024, 768)
        tags = img.getexif()
    sub = tags.get_ifd(ExifTags.IFD.Exif)
    assert (tags[ExifTags.Base.Make], tags[ExifTags.Base.Model]) == ("DemoPhone", "DP-1")
    assert sub[ExifTags.Base.BodySerialNumber] == "DP1-000123"
    assert sub[ExifTags.Base.DateTimeOriginal] == "2026:01:01 12:00:05"
    assert sub[ExifTags.Base.OffsetTimeOriginal] == "+07:00"
    assert tags.get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"  # Madrid
    pictures = root / "seizure/phone1/Pictures"
    assert (pictures / "copy.jpg").read_bytes() == (camera / "IMG_20260101_120000.jpg").read_bytes()
    with (
        Image.open(pictures / "resent.jpg") as resent,
        Image.open(camera / "IMG_20260101_120001.jpg") as orig,
    ):
        assert resent.size == (800, 600)
        assert _hamming(_pdq(resent), _pdq(orig)) <= 31
    with Image.open(root / "seizure/phone1/Documents/invoice.txt") as renamed:
        assert renamed.format == "JPEG"


def test_camera_card_holds_the_deleted_photo(built: tuple[Path, dict[str, Any]]) -> None:
    root, manifest = built
    card = [e for e in manifest["files"] if e["path"] == "seizure/camera-sd.img" and e["member"]]
    expected = {e["member"][0]: e for e in card}
    assert expected[CAMERA_DELETED]["deleted"] is True
    img = pytsk3.Img_Info(str(root / "seizure/camera-sd.img"))
    part = next(p for p in pytsk3.Volume_Info(img) if b"FAT16" in p.desc)
    fs = pytsk3.FS_Info(img, offset=part.start * 512)
    assert fs.info.ftype == pytsk3.TSK_FS_TYPE_FAT16
    seen: dict[str, tuple[bool, str]] = {}
    for directory in ("/DCIM/100CAM", "/MISC"):
        for entry in fs.open_dir(directory):
            name = entry.info.name.name.decode("utf-8")
            meta = entry.info.meta
            if name in (".", "..") or meta is None:
                continue
            unalloc = bool(int(entry.info.name.flags) & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
            seen[f"{directory}/{name}"] = (unalloc, _sha(entry.read_random(0, meta.size)))
    deleted = [p for p in seen if p.startswith("/DCIM/100CAM/") and p.endswith("MG_0003.JPG")]
    assert len(deleted) == 1
    assert seen[deleted[0]] == (True, expected[CAMERA_DELETED]["sha256"])
    for path, entry in expected.items():
        if path != CAMERA_DELETED:
            assert seen[path] == (False, entry["sha256"])
