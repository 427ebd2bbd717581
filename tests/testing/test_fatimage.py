"""The pure-Python FAT writer, checked against The Sleuth Kit (pytsk3) and by parsing its own structures."""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from jejak.testing.fatimage import FatFile, build_fat_image

pytsk3 = pytest.importorskip("pytsk3")


def _blob(n: int, size: int) -> bytes:
    """Distinct, non-repeating content per ``n`` (so a misplaced cluster changes the hash)."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{n}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


FILES = [
    FatFile("DCIM/100CAM/IMG_0001.JPG", _blob(1, 5_000)),
    FatFile("DCIM/100CAM/IMG_0002.JPG", _blob(2, 300_000)),  # spans many clusters
    FatFile("DCIM/100CAM/IMG_0003.JPG", _blob(3, 70_000), deleted=True),
    FatFile("DCIM/100CAM/IMG_0004.JPG", _blob(4, 12_345)),  # allocated after the deleted file
    FatFile("MISC/README.TXT", b"hello from a synthetic card\r\n"),
    FatFile("A/B/C/DEEP.BIN", _blob(5, 2_049)),
    FatFile("EMPTY.DAT", b""),
]
LONG_FILES = [
    FatFile("Long File Name.jpeg", _blob(6, 3_000)),
    FatFile("holiday photos/beach day (1).jpg", _blob(7, 9_000)),
    FatFile("holiday photos/deleted long name.jpg", _blob(8, 5_000), deleted=True),
    FatFile("lower.txt", b"lower-case 8.3 names get a long-name entry too\n"),
    FatFile("Ünïcode naïve.txt", b"utf-16 long name\n"),
]


@dataclass
class Found:
    name: str
    short: str
    allocated: bool
    meta_allocated: bool
    size: int
    data: bytes


def _open(path: Path, mbr: bool) -> tuple[Any, list[Any]]:
    img = pytsk3.Img_Info(str(path))
    parts: list[Any] = []
    offset = 0
    if mbr:
        parts = list(pytsk3.Volume_Info(img))
        fat = [p for p in parts if b"FAT" in p.desc]
        assert len(fat) == 1
        offset = fat[0].start * 512
    return pytsk3.FS_Info(img, offset=offset), parts


def _walk(fs: Any) -> dict[str, Found]:
    """Every regular file under /, keyed by path; TSK's virtual $ files and the label entry skipped."""
    out: dict[str, Found] = {}

    def visit(directory: Any, prefix: str) -> None:
        for entry in directory:
            name = entry.info.name.name.decode("utf-8")
            meta = entry.info.meta
            if name in (".", "..") or meta is None or name.startswith("$") or "Volume Label" in name:
                continue
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                visit(entry.as_directory(), f"{prefix}{name}/")
                continue
            short = entry.info.name.shrt_name
            out[prefix + name] = Found(
                name=name,
                short=short.decode("ascii") if short else "",
                allocated=bool(int(entry.info.name.flags) & pytsk3.TSK_FS_NAME_FLAG_ALLOC),
                meta_allocated=bool(int(meta.flags) & pytsk3.TSK_FS_META_FLAG_ALLOC),
                size=meta.size,
                data=entry.read_random(0, meta.size) if meta.size else b"",
            )

    visit(fs.open_dir("/"), "/")
    return out


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _boot(image: bytes, mbr: bool) -> bytes:
    start = 2048 * 512 if mbr else 0
    return image[start : start + 512]


@pytest.mark.parametrize("mbr", [True, False])
def test_fat16_round_trip_through_tsk(tmp_path: Path, mbr: bool) -> None:
    image = build_fat_image(FILES, size_mb=16, mbr=mbr)
    assert len(image) == 16 * 1024 * 1024
    path = tmp_path / "card.img"
    path.write_bytes(image)
    fs, parts = _open(path, mbr)
    assert fs.info.ftype == pytsk3.TSK_FS_TYPE_FAT16
    if mbr:
        fat = next(p for p in parts if b"FAT" in p.desc)
        assert fat.start == 2048
        assert fat.len == 16 * 2048 - 2048
        assert b"FAT16" in fat.desc
        assert image[450] == 0x06 and image[510:512] == b"\x55\xaa"

    found = _walk(fs)
    for f in FILES:
        if f.deleted:
            continue
        got = found[f"/{f.path}"]
        assert got.allocated and got.meta_allocated
        assert got.size == len(f.data)
        assert _sha(got.data) == _sha(f.data)

    # The deleted entry: TSK shows the 0xE5 first character as '_' (or keeps the original); match the rest.
    deleted = [p for p, g in found.items() if p.startswith("/DCIM/100CAM/") and p.endswith("MG_0003.JPG")]
    assert len(deleted) == 1
    got = found[deleted[0]]
    assert got.name[1:] == "MG_0003.JPG" and got.name[0] in "_I"
    assert not got.allocated and not got.meta_allocated
    assert got.size == 70_000
    assert _sha(got.data) == _sha(FILES[2].data)
    assert len(found) == len(FILES)


@pytest.mark.parametrize("mbr", [True, False])
def test_boot_sector_fields(mbr: bool) -> None:
    image = build_fat_image(FILES, size_mb=16, mbr=mbr)
    boot = _boot(image, mbr)
    bytes_per_sector, spc, reserved, fats, root_entries, tot16, media = struct.unpack_from(
        "<HBHBHHB", boot, 11
    )
    hidden, tot32 = struct.unpack_from("<II", boot, 28)
    assert (bytes_per_sector, reserved, fats, root_entries, media) == (512, 1, 2, 512, 0xF8)
    assert spc in (1, 2, 4, 8, 16, 32, 64)
    assert hidden == (2048 if mbr else 0)
    assert (tot16 or tot32) == (16 * 2048 - (2048 if mbr else 0))
    assert boot[38] == 0x29
    assert boot[43:54] == b"JEJAKDEMO  "
    assert boot[54:62] == b"FAT16   "
    assert boot[510:512] == b"\x55\xaa"


def test_deleted_chain_is_freed_and_fat_copies_match() -> None:
    image = build_fat_image(FILES, size_mb=16, mbr=False)
    boot = _boot(image, False)
    spc, reserved, fats = boot[13], struct.unpack_from("<H", boot, 14)[0], boot[16]
    fat_sectors = struct.unpack_from("<H", boot, 22)[0]
    fat1 = image[reserved * 512 : (reserved + fat_sectors) * 512]
    fat2 = image[(reserved + fat_sectors) * 512 : (reserved + 2 * fat_sectors) * 512]
    assert fats == 2 and fat1 == fat2
    entries = struct.unpack(f"<{len(fat1) // 2}H", fat1)
    assert entries[0] == 0xFFF8 and entries[1] == 0xFFFF
    cluster = spc * 512
    live = sum(math.ceil(len(f.data) / cluster) for f in FILES if not f.deleted)
    directories = 6  # DCIM, 100CAM, MISC, A, B, C: one cluster each
    assert sum(1 for e in entries[2:] if e) == live + directories
    # The deleted file's data is still on disk, in one contiguous run.
    assert image.count(FILES[2].data) == 1


def test_long_file_names(tmp_path: Path) -> None:
    path = tmp_path / "lfn.img"
    path.write_bytes(build_fat_image(FILES + LONG_FILES, size_mb=16, mbr=True))
    fs, _ = _open(path, True)
    found = _walk(fs)
    for f in LONG_FILES:
        got = found[f"/{f.path}"]
        assert got.allocated is not f.deleted
        assert _sha(got.data) == _sha(f.data)
    assert found["/Long File Name.jpeg"].short == "LONGFI~1.JPE"
    assert found["/holiday photos/beach day (1).jpg"].short == "BEACHD~1.JPG"


def test_fat12_for_tiny_volumes(tmp_path: Path) -> None:
    files = [FatFile("DCIM/100CAM/IMG_0001.JPG", _blob(9, 300_000)), FatFile("X.TXT", b"x", deleted=True)]
    for mbr in (True, False):
        image = build_fat_image(files, size_mb=2, mbr=mbr)
        assert _boot(image, mbr)[54:62] == b"FAT12   "
        if mbr:
            assert image[450] == 0x01
        path = tmp_path / f"tiny-{mbr}.img"
        path.write_bytes(image)
        fs, _ = _open(path, mbr)
        assert fs.info.ftype == pytsk3.TSK_FS_TYPE_FAT12
        found = _walk(fs)
        assert _sha(found["/DCIM/100CAM/IMG_0001.JPG"].data) == _sha(files[0].data)
        assert found["/_.TXT"].data == b"x"


def test_deterministic_and_validated() -> None:
    assert build_fat_image(FILES, size_mb=4) == build_fat_image(FILES, size_mb=4)
    with pytest.raises(ValueError, match="duplicate"):
        build_fat_image([FatFile("A.TXT", b"1"), FatFile("a.txt", b"2")])
    with pytest.raises(ValueError, match="clusters"):
        build_fat_image([FatFile("BIG.BIN", bytes(3 * 1024 * 1024))], size_mb=2, mbr=True)
    with pytest.raises(ValueError, match="invalid path"):
        build_fat_image([FatFile("A/../B.TXT", b"")])
    with pytest.raises(ValueError, match="label"):
        build_fat_image([], label="far too long a label")
