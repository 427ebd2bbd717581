"""Disk images through The Sleuth Kit: raw/dd (also split .001...), EnCase E01 (also split), any
seekable stream; MBR/GPT volume systems and every file system TSK reads, deleted files included.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from jejak.errors import EvidenceError, MissingDependency
from jejak.evidence.base import Member, Warn, from_timestamp
from jejak.model import PathSpec, Segment


def _tsk() -> Any:
    try:
        import pytsk3
    except ImportError as exc:
        raise MissingDependency("pytsk3", "disk") from exc
    return pytsk3


def _ewf() -> Any:
    try:
        import pyewf
    except ImportError as exc:
        raise MissingDependency("pyewf", "disk") from exc
    return pyewf


class PositionalStream(io.RawIOBase):
    """A read-only, seekable stream over something read by offset: subclasses give ``_size`` and
    ``_read_at(offset, n)``; buffering and seeking are the same for every one of them."""

    _size = 0
    _pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def _read_at(self, offset: int, n: int) -> bytes:
        raise NotImplementedError

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._read_at(self._pos, n)
        b[: len(data)] = data
        self._pos += len(data)
        return len(data)


class SplitRaw(PositionalStream):
    """Several raw segment files (image.001, image.002...) read as one seekable stream."""

    def __init__(self, paths: list[str]) -> None:
        self._files = [open(p, "rb") for p in paths]
        self._sizes = [os.fstat(f.fileno()).st_size for f in self._files]
        self._size = sum(self._sizes)
        self._pos = 0

    def _read_at(self, offset: int, n: int) -> bytes:
        out = bytearray()
        start = 0
        for f, size in zip(self._files, self._sizes, strict=True):
            pos = offset + len(out)
            if pos < start + size and len(out) < n:
                f.seek(pos - start)
                out += f.read(min(n - len(out), start + size - pos))
            start += size
        return bytes(out)

    def close(self) -> None:
        for f in self._files:
            f.close()
        super().close()


def split_raw_segments(path: str) -> list[str]:
    """``image.001`` -> [image.001, image.002, ...] while they exist; any other name -> [path]."""
    m = re.match(r"^(.*\.)(0*1)$", path)
    if not m:
        return [path]
    prefix, first = m.groups()
    width = len(first)
    out: list[str] = []
    n = 1
    while os.path.exists(f"{prefix}{n:0{width}d}"):
        out.append(f"{prefix}{n:0{width}d}")
        n += 1
    return out or [path]


class EwfStream(PositionalStream):
    """An E01 set (E01, E02... found by libewf's glob) as a seekable stream of the media data."""

    def __init__(self, first_segment: str | None = None, fileobj: BinaryIO | None = None) -> None:
        pyewf = _ewf()
        self._handle = pyewf.handle()
        if first_segment is not None:
            self._handle.open(pyewf.glob(first_segment))
        elif fileobj is not None:
            self._handle.open_file_objects([fileobj])
        self._size = int(self._handle.get_media_size())
        self._pos = 0

    def _read_at(self, offset: int, n: int) -> bytes:
        self._handle.seek(offset)
        return bytes(self._handle.read(n))

    def close(self) -> None:
        self._handle.close()
        super().close()


def _img_info_for(stream: BinaryIO) -> Any:
    pytsk3 = _tsk()

    class StreamImgInfo(pytsk3.Img_Info):  # type: ignore[misc, name-defined]
        def __init__(self, s: BinaryIO) -> None:
            self._s = s
            self._size = s.seek(0, 2)
            super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

        def read(self, offset: int, size: int) -> bytes:
            self._s.seek(offset)
            return self._s.read(size)

        def get_size(self) -> int:
            return int(self._size)

        def close(self) -> None:
            return None

    return StreamImgInfo(stream)


@dataclass
class Volume:
    segment: Segment  # the "vol" segment (label, offset, fs type)
    fs: Any  # pytsk3.FS_Info


_FS_NAMES = {
    "TSK_FS_TYPE_FAT12": "FAT12",
    "TSK_FS_TYPE_FAT16": "FAT16",
    "TSK_FS_TYPE_FAT32": "FAT32",
    "TSK_FS_TYPE_EXFAT": "exFAT",
    "TSK_FS_TYPE_NTFS": "NTFS",
    "TSK_FS_TYPE_EXT2": "ext2",
    "TSK_FS_TYPE_EXT3": "ext3",
    "TSK_FS_TYPE_EXT4": "ext4",
    "TSK_FS_TYPE_HFS": "HFS+",
    "TSK_FS_TYPE_ISO9660": "ISO9660",
    "TSK_FS_TYPE_APFS": "APFS",
    "TSK_FS_TYPE_UFS1": "UFS1",
    "TSK_FS_TYPE_UFS2": "UFS2",
    "TSK_FS_TYPE_YAFFS2": "YAFFS2",
}


def _fs_name(fs: Any) -> str:
    pytsk3 = _tsk()
    ftype = int(fs.info.ftype)
    for key, value in _FS_NAMES.items():
        if int(getattr(pytsk3, key, -1)) == ftype:
            return value
    return f"fs-type-{ftype}"


class DiskImage:
    """An opened disk image: its volumes and their file systems."""

    def __init__(self, stream: BinaryIO, pathspec: PathSpec, layer: str, warn: Warn) -> None:
        self.stream = stream
        self.pathspec = pathspec.child(Segment.make(layer))
        self.img = _img_info_for(stream)
        self.volumes = self._open_volumes(warn)

    def _open_volumes(self, warn: Warn) -> list[Volume]:
        pytsk3 = _tsk()
        volumes: list[Volume] = []
        try:
            vs = pytsk3.Volume_Info(self.img)
        except OSError:
            vs = None
        if vs is not None:
            block = vs.info.block_size
            number = 0
            for part in vs:
                if not int(part.flags) & int(pytsk3.TSK_VS_PART_FLAG_ALLOC):
                    continue
                number += 1
                offset = int(part.start) * block
                desc = (
                    part.desc.decode("utf-8", "replace") if isinstance(part.desc, bytes) else str(part.desc)
                )
                try:
                    fs = pytsk3.FS_Info(self.img, offset=offset)
                except OSError:
                    warn(
                        "disk",
                        f"partition p{number} ({desc.strip()}) at byte {offset}: no file system "
                        "The Sleuth Kit can read",
                        self.pathspec,
                    )
                    continue
                seg = Segment.make("vol", f"p{number}", offset=offset, fs=_fs_name(fs))
                volumes.append(Volume(seg, fs))
        if not volumes:
            try:
                fs = pytsk3.FS_Info(self.img, offset=0)
            except OSError as exc:
                if vs is None:
                    raise EvidenceError(f"no volume system or file system found: {exc}") from exc
            else:
                volumes.append(Volume(Segment.make("vol", "", offset=0, fs=_fs_name(fs)), fs))
        return volumes

    def volume(self, offset: int) -> Volume:
        for v in self.volumes:
            if v.segment.get("offset") == offset:
                return v
        raise EvidenceError(f"no file system at offset {offset}")

    def iter_files(self, warn: Warn) -> Iterator[Member]:
        """Every regular file, allocated or deleted with readable metadata, in every volume."""
        for vol in self.volumes:
            base = self.pathspec.child(vol.segment)
            yield from self._walk_dir(vol.fs, vol.fs.open_dir(path="/"), "", base, warn, set(), 0)

    def _walk_dir(
        self, fs: Any, directory: Any, path: str, base: PathSpec, warn: Warn, seen: set[int], depth: int
    ) -> Iterator[Member]:
        pytsk3 = _tsk()
        if depth > 256:
            warn("disk", f"directory nesting deeper than 256 at {path}: not followed", base)
            return
        for entry in directory:
            name_info = entry.info.name
            raw = name_info.name
            name = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
            if name in (".", ".."):
                continue
            full = f"{path}/{name}"
            meta = entry.info.meta
            name_deleted = bool(int(name_info.flags) & int(pytsk3.TSK_FS_NAME_FLAG_UNALLOC))
            if meta is None:
                if name_deleted:
                    warn(
                        "disk",
                        f"deleted entry {full}: no metadata left, content not recoverable",
                        base.child(Segment.make("fs", full)),
                    )
                continue
            deleted = name_deleted or bool(int(meta.flags) & int(pytsk3.TSK_FS_META_FLAG_UNALLOC))
            if meta.type == pytsk3.TSK_FS_META_TYPE_DIR:
                key = int(meta.addr)
                if key in seen:
                    continue
                seen.add(key)
                try:
                    sub = entry.as_directory()
                except OSError as exc:
                    warn(
                        "disk",
                        f"directory {full} cannot be read: {exc}",
                        base.child(Segment.make("fs", full)),
                    )
                    continue
                yield from self._walk_dir(fs, sub, full, base, warn, seen, depth + 1)
                continue
            if meta.type != pytsk3.TSK_FS_META_TYPE_REG or name.endswith("(Volume Label Entry)"):
                continue  # TSK shows a FAT volume label as an empty file: it is not one
            ps = base.child(Segment.make("fs", full, inode=int(meta.addr)))
            yield Member(
                ps,
                int(meta.size),
                deleted=deleted,
                mtime=from_timestamp(meta.mtime),
                atime=from_timestamp(meta.atime),
                ctime=from_timestamp(meta.ctime),
                crtime=from_timestamp(meta.crtime),
            )

    def open_file(self, vol_offset: int, inode: int) -> BinaryIO:
        fs = self.volume(vol_offset).fs
        return TskFileStream(fs.open_meta(inode=inode))  # type: ignore[return-value]


class TskFileStream(PositionalStream):
    """A TSK file's content as a seekable stream (deleted files read as TSK recovers them)."""

    def __init__(self, tsk_file: Any) -> None:
        self._f = tsk_file
        self._size = int(tsk_file.info.meta.size)
        self._pos = 0

    def _read_at(self, offset: int, n: int) -> bytes:
        data = bytes(self._f.read_random(offset, n))
        if not data:
            raise OSError(f"The Sleuth Kit returned no data at offset {offset}")
        return data


def open_disk_stream(layer: str, os_path: str | None, fileobj: BinaryIO | None) -> BinaryIO:
    """The media stream of a disk image: ``ewf`` via libewf, ``raw`` directly (split sets joined)."""
    if layer == "ewf":
        if os_path is not None:
            return io.BufferedReader(EwfStream(first_segment=os_path), buffer_size=1 << 16)
        return io.BufferedReader(EwfStream(fileobj=fileobj), buffer_size=1 << 16)
    if os_path is not None:
        segments = split_raw_segments(os_path)
        if len(segments) > 1:
            return io.BufferedReader(SplitRaw(segments), buffer_size=1 << 16)
        return open(os_path, "rb")
    assert fileobj is not None
    return fileobj
