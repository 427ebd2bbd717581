"""A deterministic, benign synthetic seizure for demos and end-to-end tests.

``build_seizure(root)`` writes ``root/seizure/`` (a phone dump, a USB stick and a camera SD-card image) and
``root/seizure-manifest.json`` describing every file an ingest should find, nested members included. All
pictures come from ``jejak.testing.images`` (procedural, no people). The same seed gives byte-identical
files: archive timestamps are fixed, gzip headers carry a fixed mtime, and the 7z writer's timestamps and
AES IV are pinned.

Manifest entries: ``path`` (POSIX, relative to ``root``), ``member`` (the chain of names inside containers,
outermost first; empty for the file itself; a ``.tar.gz``/``.tar.bz2`` is one level; a disk image's member
is the absolute path inside its only partition), ``size``, ``sha256``, ``kind`` (a ``jejak.model.Kind``
value), ``deleted`` and ``notes``.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import json
import tarfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import py7zr
import py7zr.compressor
from PIL import Image
from py7zr.helpers import ArchiveTimestamp

from jejak.model import Kind
from jejak.testing.fatimage import FatFile, build_fat_image
from jejak.testing.images import (
    bmp_bytes,
    exif_bytes,
    gif_bytes,
    jpeg_bytes,
    png_bytes,
    procedural_image,
    tiff_bytes,
    webp_bytes,
)

FIXED_TIME = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
PHONE_TZ = timezone(timedelta(hours=7))
PLACES: tuple[tuple[str, float, float, float], ...] = (
    ("Jakarta", -6.1754, 106.8272, 8.0),
    ("Madrid", 40.4168, -3.7038, 657.0),
    ("Lyon", 45.7640, 4.8357, 173.0),
)
MANIFEST_NAME = "seizure-manifest.json"
BOMB_SIZE = 64 * 1024 * 1024
SEVEN_ZIP_PASSWORD = "demo"
CAMERA_DELETED = "/DCIM/100CAM/IMG_0003.JPG"


@dataclass(frozen=True)
class _Entry:
    path: str
    member: tuple[str, ...]
    size: int
    sha256: str
    kind: Kind
    deleted: bool
    notes: str

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "member": list(self.member),
            "size": self.size,
            "sha256": self.sha256,
            "kind": self.kind.value,
            "deleted": self.deleted,
            "notes": self.notes,
        }


class _Builder:
    """Writes files under ``root`` and records manifest entries; hands out procedural pictures in order."""

    def __init__(self, root: Path, seed: int) -> None:
        self.root = root
        self.seed = seed
        self.entries: list[_Entry] = []
        self._pictures = 0

    def picture(self, width: int, height: int, style: str | None = None) -> Image.Image:
        self._pictures += 1
        return procedural_image(self.seed * 1000 + self._pictures, width, height, style)

    def jpeg(self, width: int = 640, height: int = 480, quality: int = 85) -> bytes:
        return jpeg_bytes(self.picture(width, height), quality=quality)

    def noise(self, n: int) -> bytes:
        return np.random.default_rng([self.seed, n]).bytes(n)

    def file(self, rel: str, data: bytes, kind: Kind, notes: str = "") -> bytes:
        target = self.root.joinpath(*rel.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return self.member(rel, (), data, kind, notes)

    def member(
        self,
        rel: str,
        member: Sequence[str],
        data: bytes,
        kind: Kind,
        notes: str = "",
        *,
        deleted: bool = False,
    ) -> bytes:
        digest = hashlib.sha256(data).hexdigest()
        self.entries.append(_Entry(rel, tuple(member), len(data), digest, kind, deleted, notes))
        return data


# --- deterministic containers -----------------------------------------------------------------------------


def _zip(members: Sequence[tuple[str, bytes]]) -> bytes:
    """A deflated ZIP with fixed timestamps; names are used verbatim (``../`` and ``/abs`` included)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, data)
    return out.getvalue()


def _tar(members: Sequence[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tf:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(data), int(FIXED_TIME.timestamp()), 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _gzip(data: bytes, name: str) -> bytes:
    """One gzip member with ``name`` in its FNAME field and a fixed mtime."""
    out = io.BytesIO()
    with gzip.GzipFile(filename=name, mode="wb", fileobj=out, mtime=int(FIXED_TIME.timestamp())) as gz:
        gz.write(data)
    return out.getvalue()


def _seven_zip(members: Sequence[tuple[str, bytes]], password: str | None = None) -> bytes:
    """A 7z archive (LZMA2; AES-256 with visible names when ``password`` is set), made reproducible.

    py7zr stamps members with the current time and draws a random AES IV; both are pinned here: the
    timestamps by rewriting the pending file records before close, the IV by patching the module's
    random source for the duration of the write (not thread-safe against concurrent py7zr writers).
    """
    out = io.BytesIO()
    pinned_iv = mock.patch.object(py7zr.compressor, "get_random_bytes", lambda n: bytes(range(n)))
    with pinned_iv, py7zr.SevenZipFile(out, "w", password=password, header_encryption=False) as archive:
        for name, data in members:
            archive.writestr(data, name)
        for info in archive.header.files_info.files:
            info["lastwritetime"] = ArchiveTimestamp.from_datetime(FIXED_TIME.timestamp())
    return out.getvalue()


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _pdf(lines: Sequence[str]) -> bytes:
    """A minimal, valid one-page PDF (Helvetica text) with a correct xref table."""
    text = "".join(f"({_pdf_escape(line)}) Tj 0 -18 Td " for line in lines)
    stream = f"BT /F1 12 Tf 72 770 Td {text}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> "
        b"/Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Title (Demo report) /Producer (jejak.testing) /CreationDate (D:20260101120000Z) >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


# --- the exhibits -----------------------------------------------------------------------------------------


def _phone_camera(b: _Builder) -> None:
    base = "seizure/phone1"
    photos: list[tuple[str, Image.Image, bytes]] = []
    for n in range(12):
        place, lat, lon, alt = PLACES[n // 4]
        lat, lon = lat + (n % 4) * 0.0004, lon + (n % 4) * 0.0006
        taken = datetime(2026, 1, 1, 12, 0, n, tzinfo=PHONE_TZ)
        exif = exif_bytes(
            make="DemoPhone",
            model="DP-1",
            serial="DP1-000123",
            datetime_original=taken,
            gps=(lat, lon, alt),
            software="DemoPhone Camera 1.0",
            orientation=1,
        )
        img = b.picture(1024, 768)
        name = f"IMG_20260101_1200{n:02d}.jpg"
        data = jpeg_bytes(img, quality=90, exif=exif)
        notes = (
            f"DemoPhone DP-1 serial DP1-000123, taken {taken.isoformat()}, GPS {place} ({lat:.4f}, {lon:.4f})"
        )
        b.file(f"{base}/DCIM/Camera/{name}", data, Kind.IMAGE, notes)
        photos.append((name, img, data))
    b.file(
        f"{base}/Pictures/copy.jpg",
        photos[0][2],
        Kind.IMAGE,
        f"exact duplicate of DCIM/Camera/{photos[0][0]}",
    )
    with Image.open(io.BytesIO(photos[1][2])) as decoded:
        resent = decoded.convert("RGB").resize((800, 600), Image.Resampling.LANCZOS)
    b.file(
        f"{base}/Pictures/resent.jpg",
        jpeg_bytes(resent, quality=60),
        Kind.IMAGE,
        f"near duplicate of DCIM/Camera/{photos[1][0]}: resized to 800x600, quality 60, EXIF stripped",
    )
    b.file(f"{base}/Pictures/Screenshot_2026.png", png_bytes(b.picture(540, 960, "text")), Kind.IMAGE, "PNG")
    frames = [b.picture(320, 240, "shapes"), b.picture(320, 240, "shapes")]
    b.file(f"{base}/Pictures/animation.gif", gif_bytes(frames), Kind.IMAGE, "GIF, 2 frames")
    b.file(f"{base}/Pictures/sticker.webp", webp_bytes(b.picture(512, 512)), Kind.IMAGE, "WebP (lossy)")
    b.file(f"{base}/Pictures/scan.bmp", bmp_bytes(b.picture(320, 240, "checker")), Kind.IMAGE, "BMP, 24-bit")
    b.file(f"{base}/Pictures/scan.tiff", tiff_bytes(b.picture(320, 240, "texture")), Kind.IMAGE, "TIFF, raw")


def _phone_files(b: _Builder) -> None:
    base = "seizure/phone1"
    b.file(f"{base}/Documents/invoice.txt", b.jpeg(800, 600), Kind.IMAGE, "JPEG renamed to .txt")
    notes = (
        "Meeting notes (synthetic demo text)\n"
        "Call the office on +62 555 0100 before Friday.\n"
        "Send the draft to demo.contact@example.org.\n"
        "Shared folder: https://example.org/demo/shared/2026-01\n"
    )
    b.file(
        f"{base}/Documents/notes.txt", notes.encode("utf-8"), Kind.DOCUMENT, "text: URL, phone number, e-mail"
    )
    report = _pdf(
        ["Demo report", "Synthetic fixture written by jejak.testing.seizure.", "Nothing to see here."]
    )
    b.file(f"{base}/Documents/report.pdf", report, Kind.DOCUMENT, "minimal hand-written PDF 1.4")

    rel = f"{base}/WhatsApp/Media/export.zip"
    deep = b.member(rel, ["backup.tar.gz", "inner.zip", "deep/a.jpg"], b.jpeg(), Kind.IMAGE, "level 3")
    c_png = png_bytes(b.picture(320, 240))
    b.member(rel, ["backup.tar.gz", "inner.zip", "c.png"], c_png, Kind.IMAGE, "level 3")
    inner = b.member(
        rel,
        ["backup.tar.gz", "inner.zip"],
        _zip([("deep/a.jpg", deep), ("c.png", c_png)]),
        Kind.ARCHIVE,
        "ZIP inside the tarball",
    )
    wa2 = b.member(rel, ["backup.tar.gz", "media/IMG-20260101-WA0002.jpg"], b.jpeg(), Kind.IMAGE, "level 2")
    backup = _gzip(_tar([("inner.zip", inner), ("media/IMG-20260101-WA0002.jpg", wa2)]), "backup.tar")
    b.member(rel, ["backup.tar.gz"], backup, Kind.ARCHIVE, "gzip-compressed tar inside the ZIP")
    wa1 = b.member(rel, ["IMG-20260101-WA0001.jpg"], b.jpeg(), Kind.IMAGE, "level 1")
    export = _zip([("IMG-20260101-WA0001.jpg", wa1), ("backup.tar.gz", backup)])
    b.file(rel, export, Kind.ARCHIVE, "zip > tar.gz > zip nesting, one image at each level")

    whole = b.jpeg()
    b.file(f"{base}/Download/broken.jpg", whole[: len(whole) // 2], Kind.IMAGE, "JPEG truncated to half")
    b.file(f"{base}/Download/empty.jpg", b"", Kind.OTHER, "0 bytes")
    b.file(
        f"{base}/Download/corrupt.png",
        b"\x89PNG\r\n\x1a\n" + b.noise(4096),
        Kind.IMAGE,
        "PNG signature followed by random bytes; does not decode",
    )


def _usb_stick(b: _Builder) -> None:
    base = "seizure/usb-stick"
    rel = f"{base}/traversal.zip"
    evil = b.member(rel, ["../../etc/evil.jpg"], b.jpeg(), Kind.IMAGE, "path traversal member name")
    absolute = b.member(rel, ["/abs/photo.jpg"], b.jpeg(), Kind.IMAGE, "absolute member name")
    b.file(
        rel,
        _zip([("../../etc/evil.jpg", evil), ("/abs/photo.jpg", absolute)]),
        Kind.ARCHIVE,
        "member names escape the extraction root",
    )

    rel = f"{base}/bomb.zip"
    zeros = b.member(rel, ["zeros.bin"], bytes(BOMB_SIZE), Kind.OTHER, "64 MiB of zeros (decompression bomb)")
    small = b.member(rel, ["small.jpg"], b.jpeg(320, 240), Kind.IMAGE, "ordinary image next to the bomb")
    b.file(rel, _zip([("zeros.bin", zeros), ("small.jpg", small)]), Kind.ARCHIVE, "~1000:1 compression ratio")

    rel = f"{base}/photos.7z"
    trip = [(f"trip/IMG_10{n:02d}.jpg", b.jpeg()) for n in range(1, 4)]
    for name, data in trip:
        b.member(rel, [name], data, Kind.IMAGE)
    b.file(rel, _seven_zip(trip), Kind.ARCHIVE, "7z, LZMA2")

    rel = f"{base}/secret.7z"
    secret = b.member(rel, ["secret/IMG_2001.jpg"], b.jpeg(), Kind.IMAGE, "needs the password to read")
    b.file(
        rel,
        _seven_zip([("secret/IMG_2001.jpg", secret)], SEVEN_ZIP_PASSWORD),
        Kind.ARCHIVE,
        f"7z, AES-256 encrypted, password {SEVEN_ZIP_PASSWORD!r}, names visible (header not encrypted)",
    )

    rel = f"{base}/single.jpg.gz"
    single = b.member(rel, ["single.jpg"], b.jpeg(), Kind.IMAGE, "the gzip FNAME field says single.jpg")
    b.file(rel, _gzip(single, "single.jpg"), Kind.ARCHIVE, "single gzip stream around a JPEG")

    rel = f"{base}/album.tar.bz2"
    album = [(f"album/IMG_30{n:02d}.jpg", b.jpeg()) for n in range(1, 4)]
    for name, data in album:
        b.member(rel, [name], data, Kind.IMAGE)
    b.file(rel, bz2.compress(_tar(album)), Kind.ARCHIVE, "bzip2-compressed tar")

    b.file(f"{base}/renamed/holiday.doc", b.jpeg(), Kind.IMAGE, "JPEG renamed to .doc")


def _camera_sd(b: _Builder) -> None:
    rel = "seizure/camera-sd.img"
    files: list[FatFile] = []
    for n in range(1, 6):
        taken = datetime(2026, 1, 2, 10, 10 + n, 0)
        uid = hashlib.sha256(f"DC100-77/{b.seed}/{n}".encode()).hexdigest()[:32]
        gps = (45.7640 + n * 0.001, 4.8357 + n * 0.0015, 170.0 + n)
        exif = exif_bytes(
            make="DemoCam",
            model="DC-100",
            serial="DC100-77",
            datetime_original=taken,
            gps=gps,
            image_unique_id=uid,
            orientation=1,
        )
        path = f"/DCIM/100CAM/IMG_{n:04d}.JPG"
        data = jpeg_bytes(b.picture(800, 600), quality=90, exif=exif)
        deleted = path == CAMERA_DELETED
        notes = f"DemoCam DC-100 serial DC100-77, ImageUniqueID {uid}, GPS near Lyon"
        if deleted:
            notes += "; deleted (0xE5 entry, FAT chain freed, data intact); TSK names it _MG_0003.JPG"
        b.member(rel, [path], data, Kind.IMAGE, notes, deleted=deleted)
        files.append(FatFile(path, data, deleted=deleted, mtime=taken))
    readme = b"Demo camera card.\r\nSynthetic fixture generated by jejak.testing.seizure.\r\n"
    b.member(rel, ["/MISC/README.TXT"], readme, Kind.DOCUMENT, "plain text")
    files.append(FatFile("/MISC/README.TXT", readme, mtime=datetime(2026, 1, 2, 10, 0, 0)))
    image = build_fat_image(files, size_mb=8, label="DEMOCAM", mbr=True)
    b.file(rel, image, Kind.DISK_IMAGE, "8 MiB raw image: MBR, one FAT16 partition at sector 2048")


def build_seizure(root: Path, seed: int = 2026) -> dict[str, Any]:
    """Write the demo seizure under ``root/seizure`` and its manifest to ``root/seizure-manifest.json``.

    Existing files at the same paths are overwritten; nothing else under ``root`` is touched or removed.
    Returns the manifest: ``{"generator", "seed", "files": [entry, ...]}`` with entries sorted by
    (path, member).
    """
    if seed < 0:
        raise ValueError("seed must be >= 0")
    builder = _Builder(Path(root), seed)
    _phone_camera(builder)
    _phone_files(builder)
    _usb_stick(builder)
    _camera_sd(builder)
    entries = sorted(builder.entries, key=lambda e: (e.path, e.member))
    manifest: dict[str, Any] = {
        "generator": "jejak.testing.seizure",
        "seed": seed,
        "files": [e.to_json() for e in entries],
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (Path(root) / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest
