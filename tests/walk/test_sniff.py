from __future__ import annotations

import gzip
import io
import tarfile
import zipfile
from pathlib import Path

from jejak.model import Kind
from jejak.walk.sniff import HEADER_BYTES, sniff


def head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEADER_BYTES)


def test_disk_images_by_signature(testdata: Path) -> None:
    dfvfs = testdata / "dfvfs"
    e01 = sniff(head(dfvfs / "ext2.E01"))
    assert (e01.kind, e01.container) == (Kind.DISK_IMAGE, "ewf")
    dd = sniff(head(dfvfs / "ímynd.dd"))
    assert (dd.kind, dd.container, dd.description) == (Kind.DISK_IMAGE, "raw", "ext")
    iso = sniff(head(dfvfs / "iso9660.raw"))
    assert (iso.kind, iso.container) == (Kind.DISK_IMAGE, "raw")


def test_later_ewf_segments_are_not_opened_alone(testdata: Path) -> None:
    data = bytearray(head(testdata / "dfvfs" / "ext2.E01"))
    data[9:11] = (2).to_bytes(2, "little")  # segment number 2: an .E02
    s = sniff(bytes(data))
    assert s.kind == Kind.DISK_IMAGE and s.container is None


def test_archives_and_streams() -> None:
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("a.txt", "hello")
    assert sniff(z.getvalue()).container == "zip"
    t = io.BytesIO()
    with tarfile.open(fileobj=t, mode="w") as tf:
        info = tarfile.TarInfo("a.txt")
        info.size = 5
        tf.addfile(info, io.BytesIO(b"hello"))
    assert sniff(t.getvalue()).container == "tar"
    assert sniff(gzip.compress(b"hello")).container == "gzip"


def test_empty_and_text() -> None:
    assert sniff(b"").mime == "application/x-empty"
    assert sniff(b"just some notes\n").kind == Kind.DOCUMENT
