"""A pure-Python FAT12/FAT16 disk-image writer for test fixtures (no root, no mount, no mkfs).

``build_fat_image`` lays files out the way a camera or a fresh ``mkfs.fat`` + copy would: one BPB boot
sector, two FAT copies, a 512-entry root directory, then the data area with every file in contiguous
clusters, in the order given. Sub-directories get ``.`` and ``..`` entries. Names that are not valid
upper-case 8.3 names get VFAT long-file-name entries and a ``BASIS~N.EXT`` alias.

Deleted files are left exactly as a camera deletion leaves them: the first byte of the directory entry
(and of any LFN entries) becomes 0xE5, the FAT chain is zeroed, and the data clusters stay in place. Their
clusters are allocated like any other file's and freed only at the end, so no later file overwrites them
and the content is recoverable by assuming contiguity (what The Sleuth Kit does).

FAT timestamps are local wall-clock time: a tz-aware ``mtime`` is stored by its wall-clock fields.
"""

from __future__ import annotations

import math
import string
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

SECTOR = 512
PARTITION_START = 2048  # sectors: the usual 1 MiB alignment
ROOT_ENTRIES = 512
RESERVED_SECTORS = 1
NUM_FATS = 2
MEDIA = 0xF8
DEFAULT_MTIME = datetime(2026, 1, 1, 12, 0, 0)

_ATTR_VOLUME = 0x08
_ATTR_DIR = 0x10
_ATTR_ARCHIVE = 0x20
_ATTR_LFN = 0x0F
_DELETED = 0xE5
_MAX_FAT16_CLUSTERS = 65524
_MIN_FAT16_CLUSTERS = 4085
_SHORT_CHARS = frozenset(string.ascii_uppercase + string.digits + "!#$%&'()-@^_`{}~")
_DIRENT = struct.Struct("<11sBBBHHHHHHHI")
_BOOT = struct.Struct("<3s8sHBHBHHBHHHIIBBBI11s8s")


@dataclass
class FatFile:
    """One file to place in the image; ``path`` is ``/``-separated, e.g. ``DCIM/100CAM/IMG_0001.JPG``."""

    path: str
    data: bytes
    deleted: bool = False
    mtime: datetime | None = None


@dataclass(frozen=True)
class _Geometry:
    total_sectors: int
    sectors_per_cluster: int
    fat_sectors: int
    clusters: int

    @property
    def fat_bits(self) -> int:
        return 12 if self.clusters < _MIN_FAT16_CLUSTERS else 16

    @property
    def root_start(self) -> int:
        return RESERVED_SECTORS + NUM_FATS * self.fat_sectors

    @property
    def data_start(self) -> int:
        return self.root_start + ROOT_ENTRIES * 32 // SECTOR

    @property
    def cluster_bytes(self) -> int:
        return self.sectors_per_cluster * SECTOR


@dataclass
class _Node:
    name: str
    is_dir: bool
    data: bytes = b""
    deleted: bool = False
    mtime: datetime = DEFAULT_MTIME
    children: list[_Node] = field(default_factory=list)
    short: bytes = b""
    lfn: bool = False
    first_cluster: int = 0
    cluster_count: int = 0

    def child(self, name: str) -> _Node | None:
        for c in self.children:
            if c.name.upper() == name.upper():
                return c
        return None

    def walk(self) -> Iterator[_Node]:
        """Pre-order: this node, then each child (directories recursively)."""
        yield self
        for c in self.children:
            yield from c.walk()


def build_fat_image(
    files: Sequence[FatFile], size_mb: int = 16, label: str = "JEJAKDEMO", mbr: bool = True
) -> bytes:
    """A disk image of ``size_mb`` MiB: an MBR with one FAT partition at sector 2048, or the bare file system.

    The FAT type follows from the cluster count (FAT12 below 4085 clusters, as the specification says).
    Raises ValueError when the files do not fit, a path is invalid or repeated, or the label is not 8.3-safe.
    """
    total = size_mb * 1024 * 1024 // SECTOR
    fs_sectors = total - PARTITION_START if mbr else total
    if fs_sectors < 128:
        raise ValueError(f"{size_mb} MiB is too small for a FAT file system{' behind an MBR' if mbr else ''}")
    geo = _geometry(fs_sectors)
    fs = _build_fs(files, geo, _label_bytes(label), hidden=PARTITION_START if mbr else 0)
    if not mbr:
        return fs
    part_type = 0x06 if geo.fat_bits == 16 else 0x01
    return (
        _mbr(part_type, fs_sectors, zlib.crc32(label.encode("ascii")))
        + bytes((PARTITION_START - 1) * SECTOR)
        + fs
    )


# --- geometry ---------------------------------------------------------------------------------------------


def _geometry(total_sectors: int) -> _Geometry:
    # Microsoft's FAT16 table (sectors -> sectors per cluster); small volumes fall back to 1 and FAT12.
    table = ((32680, 2), (262144, 4), (524288, 8), (1048576, 16), (2097152, 32), (4194304, 64))
    spc = next((s for limit, s in table if total_sectors <= limit), 0)
    if spc == 0:
        raise ValueError("volume too large for FAT16")
    geo = _fit(total_sectors, spc)
    if geo.clusters < _MIN_FAT16_CLUSTERS and spc > 1:
        geo = _fit(total_sectors, 1)
    while geo.clusters > _MAX_FAT16_CLUSTERS:
        if geo.sectors_per_cluster >= 64:
            raise ValueError("volume too large for FAT16")
        geo = _fit(total_sectors, geo.sectors_per_cluster * 2)
    return geo


def _fit(total_sectors: int, spc: int) -> _Geometry:
    """Smallest FAT size (16-bit entries; harmless over-allocation for FAT12) that covers every cluster."""
    root_sectors = ROOT_ENTRIES * 32 // SECTOR
    fat_sectors = 1
    while True:
        data = total_sectors - RESERVED_SECTORS - NUM_FATS * fat_sectors - root_sectors
        if data < spc:
            raise ValueError("volume too small")
        clusters = data // spc
        need = math.ceil((clusters + 2) * 2 / SECTOR)
        if need <= fat_sectors:
            return _Geometry(total_sectors, spc, fat_sectors, clusters)
        fat_sectors = need


# --- names and entries ------------------------------------------------------------------------------------


def _label_bytes(label: str) -> bytes:
    if not 1 <= len(label) <= 11 or any(c not in _SHORT_CHARS and c != " " for c in label):
        raise ValueError(f"invalid volume label {label!r}: up to 11 upper-case 8.3 characters")
    return label.ljust(11).encode("ascii")


def _valid_short(name: str) -> bytes | None:
    """The 11-byte directory form of ``name`` when it already is a valid upper-case 8.3 name."""
    base, dot, ext = name.partition(".")
    if not base or len(base) > 8 or len(ext) > 3 or (dot and not ext):
        return None
    if any(c not in _SHORT_CHARS for c in base + ext):
        return None
    return (base.ljust(8) + ext.ljust(3)).encode("ascii")


def _alias(name: str, taken: set[bytes]) -> bytes:
    """A Windows-style ``BASIS~N.EXT`` short alias for a long name, unique within ``taken``."""
    stripped = name.lstrip(".").replace(" ", "")
    base, ext = stripped.rsplit(".", 1) if "." in stripped else (stripped, "")

    def clean(s: str) -> str:
        return "".join(c if c in _SHORT_CHARS else "_" for c in s.replace(".", "").upper())

    base, ext = clean(base) or "_", clean(ext)[:3]
    for n in range(1, 1_000_000):
        tail = f"~{n}"
        cand = (base[: 8 - len(tail)] + tail).ljust(8).encode("ascii") + ext.ljust(3).encode("ascii")
        if cand not in taken:
            return cand
    raise ValueError(f"no free short alias for {name!r}")


def _checksum(short: bytes) -> int:
    s = 0
    for b in short:
        s = (((s & 1) << 7) + (s >> 1) + b) & 0xFF
    return s


def _lfn_entries(name: str, short: bytes, deleted: bool) -> list[bytes]:
    """VFAT long-name entries in on-disk order (highest ordinal, flagged 0x40, first)."""
    raw = name.encode("utf-16-le")
    units = [raw[i : i + 2] for i in range(0, len(raw), 2)]
    if len(units) > 255:
        raise ValueError(f"name longer than 255 UTF-16 units: {name!r}")
    if len(units) % 13:
        units.append(b"\x00\x00")
        units += [b"\xff\xff"] * (-len(units) % 13)
    count, checksum = len(units) // 13, _checksum(short)
    out = []
    for seq in range(count, 0, -1):
        part = units[(seq - 1) * 13 : seq * 13]
        ordinal = _DELETED if deleted else seq | (0x40 if seq == count else 0)
        out.append(
            bytes([ordinal])
            + b"".join(part[0:5])
            + bytes([_ATTR_LFN, 0, checksum])
            + b"".join(part[5:11])
            + b"\x00\x00"
            + b"".join(part[11:13])
        )
    return out


def _dos_datetime(when: datetime) -> tuple[int, int, int]:
    """(date, time, tenths) in FAT encoding; wall-clock fields, 2-second resolution plus tenths."""
    if not 1980 <= when.year <= 2107:
        raise ValueError(f"FAT cannot store year {when.year}")
    date = ((when.year - 1980) << 9) | (when.month << 5) | when.day
    time = (when.hour << 11) | (when.minute << 5) | (when.second // 2)
    tenths = (when.second % 2) * 100 + when.microsecond // 10_000
    return date, time, tenths


def _dirent(short: bytes, attr: int, when: datetime, cluster: int, size: int) -> bytes:
    date, time, tenths = _dos_datetime(when)
    return _DIRENT.pack(short, attr, 0, tenths, time, date, date, 0, time, date, cluster, size)


def _entries(node: _Node) -> list[bytes]:
    """The directory entries naming ``node`` in its parent (LFN entries first)."""
    out = _lfn_entries(node.name, node.short, node.deleted) if node.lfn else []
    attr = _ATTR_DIR if node.is_dir else _ATTR_ARCHIVE
    size = 0 if node.is_dir else len(node.data)
    entry = _dirent(node.short, attr, node.mtime, node.first_cluster, size)
    if node.deleted:
        entry = bytes([_DELETED]) + entry[1:]
    out.append(entry)
    return out


# --- tree, allocation, layout -----------------------------------------------------------------------------


def _tree(files: Sequence[FatFile]) -> _Node:
    root = _Node("", is_dir=True)
    for f in files:
        parts = f.path.replace("\\", "/").strip("/").split("/")
        if any(p in ("", ".", "..") for p in parts):
            raise ValueError(f"invalid path {f.path!r}")
        node = root
        for part in parts[:-1]:
            sub = node.child(part)
            if sub is None:
                sub = _Node(part, is_dir=True)
                node.children.append(sub)
            elif not sub.is_dir:
                raise ValueError(f"{f.path!r}: {part!r} is a file")
            node = sub
        if node.child(parts[-1]) is not None:
            raise ValueError(f"duplicate path {f.path!r}")
        node.children.append(_Node(parts[-1], False, f.data, f.deleted, f.mtime or DEFAULT_MTIME))
    for d in root.walk():
        taken: set[bytes] = set()
        for c in d.children:
            short = _valid_short(c.name)
            c.lfn = short is None or short in taken
            c.short = _alias(c.name, taken) if c.lfn else short or b""
            taken.add(c.short)
    return root


def _dir_bytes(node: _Node, parent_cluster: int, is_root: bool, label: bytes) -> bytes:
    if is_root:
        out = [_dirent(label, _ATTR_VOLUME, DEFAULT_MTIME, 0, 0)]
    else:
        out = [
            _dirent(b".          ", _ATTR_DIR, node.mtime, node.first_cluster, 0),
            _dirent(b"..         ", _ATTR_DIR, node.mtime, parent_cluster, 0),
        ]
    for c in node.children:
        out += _entries(c)
    return b"".join(out)


def _allocate(root: _Node, geo: _Geometry) -> int:
    """Give every directory and non-empty file contiguous clusters, pre-order; returns the next free one."""
    nxt = 2
    for node in root.walk():
        if node is root:
            continue
        if node.is_dir:
            count = 2 + sum(len(_entries(c)) for c in node.children)
            size = count * 32
        else:
            size = len(node.data)
        node.cluster_count = math.ceil(size / geo.cluster_bytes)
        if node.cluster_count:
            node.first_cluster = nxt
            nxt += node.cluster_count
    if nxt - 2 > geo.clusters:
        raise ValueError(f"files need {nxt - 2} clusters, the volume has {geo.clusters}")
    return nxt


def _fat_bytes(root: _Node, geo: _Geometry) -> bytes:
    entries = [0] * (geo.clusters + 2)
    eoc = 0xFFFF if geo.fat_bits == 16 else 0xFFF
    entries[0], entries[1] = eoc & ~0xFF | MEDIA, eoc
    for node in root.walk():
        if node.deleted or not node.cluster_count:
            continue  # a deleted file's chain is freed (zeroed); its data stays in place
        start, end = node.first_cluster, node.first_cluster + node.cluster_count - 1
        for c in range(start, end):
            entries[c] = c + 1
        entries[end] = eoc
    out = bytearray(geo.fat_sectors * SECTOR)
    if geo.fat_bits == 16:
        struct.pack_into(f"<{len(entries)}H", out, 0, *entries)
    else:
        for n, value in enumerate(entries):
            off = n + n // 2
            if n % 2 == 0:
                out[off] = value & 0xFF
                out[off + 1] = (out[off + 1] & 0xF0) | (value >> 8)
            else:
                out[off] = (out[off] & 0x0F) | ((value & 0x0F) << 4)
                out[off + 1] = value >> 4
    return bytes(out)


def _boot_sector(geo: _Geometry, label: bytes, hidden: int) -> bytes:
    small = geo.total_sectors < 0x10000
    head = _BOOT.pack(
        b"\xeb\x3c\x90",  # jump over the BPB
        b"JEJAK1.0",  # OEM name
        SECTOR,  # bytes per sector
        geo.sectors_per_cluster,
        RESERVED_SECTORS,
        NUM_FATS,
        ROOT_ENTRIES,
        geo.total_sectors if small else 0,  # total sectors (16-bit)
        MEDIA,
        geo.fat_sectors,  # sectors per FAT
        63,  # sectors per track
        255,  # heads
        hidden,  # hidden sectors: the partition's start LBA
        0 if small else geo.total_sectors,  # total sectors (32-bit)
        0x80,  # drive number
        0,  # reserved
        0x29,  # extended boot signature: the next three fields are present
        zlib.crc32(label) ^ geo.total_sectors,  # volume serial number, deterministic
        label,
        b"FAT12   " if geo.fat_bits == 12 else b"FAT16   ",
    )
    return head + bytes(SECTOR - 2 - len(head)) + b"\x55\xaa"


def _build_fs(files: Sequence[FatFile], geo: _Geometry, label: bytes, hidden: int) -> bytes:
    root = _tree(files)
    _allocate(root, geo)
    img = bytearray(geo.total_sectors * SECTOR)
    img[0:SECTOR] = _boot_sector(geo, label, hidden)
    fat = _fat_bytes(root, geo)
    for i in range(NUM_FATS):
        off = (RESERVED_SECTORS + i * geo.fat_sectors) * SECTOR
        img[off : off + len(fat)] = fat
    root_bytes = _dir_bytes(root, 0, True, label)
    if len(root_bytes) > ROOT_ENTRIES * 32:
        raise ValueError(f"root directory needs {len(root_bytes) // 32} entries, it has {ROOT_ENTRIES}")
    img[geo.root_start * SECTOR : geo.root_start * SECTOR + len(root_bytes)] = root_bytes
    parents: dict[int, int] = {}
    for d in root.walk():
        for c in d.children:
            parents[id(c)] = 0 if d is root else d.first_cluster
    for node in root.walk():
        if node is root or not node.cluster_count:
            continue
        data = _dir_bytes(node, parents[id(node)], False, label) if node.is_dir else node.data
        off = (geo.data_start + (node.first_cluster - 2) * geo.sectors_per_cluster) * SECTOR
        img[off : off + len(data)] = data
    return bytes(img)


def _chs(lba: int) -> bytes:
    cyl, rest = divmod(lba, 255 * 63)
    head, sector = divmod(rest, 63)
    if cyl > 1023:
        cyl, head, sector = 1023, 254, 62
    return bytes([head, ((cyl >> 2) & 0xC0) | (sector + 1), cyl & 0xFF])


def _mbr(part_type: int, sectors: int, disk_id: int) -> bytes:
    entry = (
        b"\x00"
        + _chs(PARTITION_START)
        + bytes([part_type])
        + _chs(PARTITION_START + sectors - 1)
        + struct.pack("<II", PARTITION_START, sectors)
    )
    return bytes(440) + struct.pack("<I", disk_id) + b"\x00\x00" + entry + bytes(48) + b"\x55\xaa"
