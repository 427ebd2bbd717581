"""Type by signature, never by extension: libmagic plus a few forensic signatures it lacks."""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass

from jejak.errors import MissingDependency
from jejak.model import Kind

HEADER_BYTES = 64 * 1024

# Containers we open, by the name used in PathSpec segments.
DISK_TYPES = ("ewf", "raw")

# Still images PDQ hashes (Pillow, plus pillow-heif for HEIC/HEIF/AVIF).
DECODABLE_IMAGES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/x-ms-bmp",
        "image/tiff",
        "image/heic",
        "image/heif",
        "image/heic-sequence",
        "image/heif-sequence",
        "image/avif",
    }
)

_DOCUMENT_MIMES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/rtf",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/json",
        "application/xml",
        "application/epub+zip",
        "application/vnd.oasis.opendocument.text",
        "message/rfc822",
        "application/x-sqlite3",
        "application/vnd.sqlite3",
    }
)


@dataclass(frozen=True)
class Sniffed:
    mime: str
    kind: Kind
    container: str | None  # zip, tar, 7z, gzip, bzip2, xz, or one of DISK_TYPES; None
    description: str = ""


@functools.lru_cache(maxsize=1)
def _magic() -> object:
    try:
        import magic
    except ImportError as exc:  # pragma: no cover - python-magic is a core dependency
        raise MissingDependency("python-magic", "core") from exc
    return magic.Magic(mime=True)


def _libmagic_mime(header: bytes) -> str:
    m = _magic()
    try:
        return str(m.from_buffer(header))  # type: ignore[attr-defined]
    except Exception:  # libmagic can fail on odd buffers; the type is then unknown
        return "application/octet-stream"


def _ewf_segment(header: bytes) -> int | None:
    """EWF (E01) segment number, or None when this is not an EWF segment file."""
    if header[:8] == b"EVF\x09\x0d\x0a\xff\x00" and len(header) >= 11:
        return int(struct.unpack_from("<H", header, 9)[0])
    return None


def _filesystem_signature(header: bytes) -> str | None:
    """A raw disk or volume image: partition table or a file system TSK reads."""
    if len(header) >= 512 and header[510:512] == b"\x55\xaa":
        if header[3:11] in (b"NTFS    ", b"EXFAT   "):
            return header[3:11].decode().strip().lower()
        if header[54:59] in (b"FAT12", b"FAT16") or header[82:87] == b"FAT32":
            return "fat"
        # An MBR: at least one partition entry with a type and a non-zero size.
        for i in range(4):
            entry = header[446 + 16 * i : 462 + 16 * i]
            if entry[4] != 0 and struct.unpack_from("<I", entry, 12)[0] > 0 and entry[0] in (0, 0x80):
                return "mbr"
    if len(header) >= 520 and header[512:520] == b"EFI PART":
        return "gpt"
    if len(header) >= 1082 and header[1080:1082] == b"\x53\xef":
        return "ext"
    if len(header) >= 1026 and header[1024:1026] in (b"H+", b"HX"):
        return "hfs"
    if len(header) >= 32774 and header[32769:32774] == b"CD001":
        return "iso9660"
    return None


def kind_of_mime(mime: str) -> Kind:
    major = mime.split("/", 1)[0]
    if mime in DECODABLE_IMAGES or major == "image":
        return Kind.IMAGE
    if major == "video":
        return Kind.VIDEO
    if major == "audio":
        return Kind.AUDIO
    if major == "text" or mime in _DOCUMENT_MIMES or mime.startswith("application/vnd.openxmlformats"):
        return Kind.DOCUMENT
    return Kind.OTHER


_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)

_ARCHIVE_MIMES = {
    "application/zip": "zip",
    "application/x-zip-compressed": "zip",
    "application/x-tar": "tar",
    "application/x-gtar": "tar",
    "application/x-7z-compressed": "7z",
    "application/gzip": "gzip",
    "application/x-gzip": "gzip",
    "application/x-bzip2": "bzip2",
    "application/x-xz": "xz",
}


def sniff(header: bytes) -> Sniffed:
    """Classify a file from its first bytes (pass up to HEADER_BYTES)."""
    if not header:
        return Sniffed("application/x-empty", Kind.OTHER, None, "empty")
    segment = _ewf_segment(header)
    if segment is not None:
        # Only the first segment opens the set; later ones are parts of it.
        return Sniffed(
            "application/x-ewf", Kind.DISK_IMAGE, "ewf" if segment == 1 else None, f"EWF segment {segment}"
        )
    mime = _libmagic_mime(header)
    if mime == "application/octet-stream":
        # A damaged image keeps its signature; typing it as an image gets it a decode warning.
        for magic_bytes, image_mime in _IMAGE_SIGNATURES:
            if header.startswith(magic_bytes):
                mime = image_mime
                break
    container = _ARCHIVE_MIMES.get(mime)
    if container is None and header[:4] == b"PK\x03\x04":
        container = "zip"  # OOXML, ODF, APK, JAR...: zip-based documents are expanded too
    if container is None and len(header) >= 262 and header[257:262] == b"ustar":
        container = "tar"
    if container is not None:
        kind = (
            Kind.ARCHIVE
            if mime in _ARCHIVE_MIMES or mime == "application/octet-stream"
            else kind_of_mime(mime)
        )
        return Sniffed(mime, kind, container)
    fs = _filesystem_signature(header)
    if fs is not None and not mime.startswith(("image/", "video/", "audio/", "text/")):
        return Sniffed(
            mime if mime != "application/octet-stream" else "application/x-raw-disk-image",
            Kind.DISK_IMAGE,
            "raw",
            fs,
        )
    return Sniffed(mime, kind_of_mime(mime), None)
