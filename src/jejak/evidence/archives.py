"""Archive backends: ZIP (incl. ZIP64), TAR, 7z and single-stream gzip/bzip2/xz, read without extraction.

Each ``expand_*`` calls ``visit(member, stream, problem)`` once per regular file, in archive order.
Member names are only names: ``../../etc/x`` or ``/abs/y`` become PathSpec locations, never paths.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import struct
import tarfile
import zipfile
from datetime import datetime
from typing import BinaryIO

from jejak.errors import LimitExceeded
from jejak.evidence.base import Member, Visit, Warn, from_timestamp
from jejak.model import PathSpec, Segment
from jejak.walk.limits import ExpansionBudget


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    try:
        return datetime(*info.date_time)
    except ValueError:
        return None


def expand_zip(fileobj: BinaryIO, parent: PathSpec, visit: Visit, warn: Warn, max_members: int) -> None:
    with zipfile.ZipFile(fileobj) as zf:
        infos = zf.infolist()
        if len(infos) > max_members:
            warn(
                "limit",
                f"ZIP has {len(infos)} members; only the first {max_members} are read "
                "(JEJAK_MAX_ARCHIVE_MEMBERS)",
                parent,
            )
        for index, info in enumerate(infos[:max_members]):
            if info.is_dir():
                continue
            ps = parent.child(Segment.make("zip", info.filename, index=index))
            member = Member(
                ps,
                info.file_size,
                mtime=_zip_time(info),
                compressed_size=info.compress_size,
                encrypted=bool(info.flag_bits & 0x1),
            )
            if member.encrypted:
                visit(member, None, "encrypted ZIP member: content not readable without the password")
                continue
            try:
                stream = zf.open(info)
            except NotImplementedError as exc:
                visit(member, None, f"unsupported ZIP compression method {info.compress_type}: {exc}")
                continue
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                visit(member, None, f"ZIP member cannot be opened: {exc}")
                continue
            with stream:
                visit(member, stream, None)  # type: ignore[arg-type]


def expand_tar(fileobj: BinaryIO, parent: PathSpec, visit: Visit, warn: Warn, max_members: int) -> None:
    # Compression is a layer of its own (gzip > tar), so the tar itself is read uncompressed, in order.
    with tarfile.open(fileobj=fileobj, mode="r|") as tf:
        for count, info in enumerate(tf):
            if count >= max_members:
                warn(
                    "limit",
                    f"TAR has more than {max_members} members; the rest are not read "
                    "(JEJAK_MAX_ARCHIVE_MEMBERS)",
                    parent,
                )
                break
            if not info.isfile():
                continue
            ps = parent.child(Segment.make("tar", info.name))
            member = Member(ps, info.size, mtime=from_timestamp(info.mtime), compressed_size=info.size)
            stream = tf.extractfile(info)
            if stream is None:
                visit(member, None, "TAR member has no data")
                continue
            visit(member, stream, None)  # type: ignore[arg-type]


def _gzip_original_name(fileobj: BinaryIO) -> str | None:
    """The FNAME field of a gzip header, when the writer stored one."""
    pos = fileobj.tell()
    try:
        head = fileobj.read(10)
        if len(head) < 10 or head[:2] != b"\x1f\x8b":
            return None
        flags = head[3]
        if flags & 0x04:  # FEXTRA
            (xlen,) = struct.unpack("<H", fileobj.read(2))
            fileobj.read(xlen)
        if not flags & 0x08:  # FNAME
            return None
        raw = bytearray()
        while len(raw) < 4096:
            c = fileobj.read(1)
            if not c or c == b"\x00":
                break
            raw += c
        return raw.decode("latin-1") or None
    finally:
        fileobj.seek(pos)


_STRIP = {"gzip": (".gz", ".tgz", ".gzip"), "bzip2": (".bz2", ".tbz2", ".tbz"), "xz": (".xz", ".txz")}


def _decompressor(kind: str, f: BinaryIO) -> BinaryIO:
    if kind == "gzip":
        return gzip.GzipFile(fileobj=f, mode="rb")  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.BZ2File(f, mode="rb")  # type: ignore[return-value]
    return lzma.LZMAFile(f, mode="rb")  # type: ignore[return-value]


def expand_single_stream(kind: str, fileobj: BinaryIO, parent: PathSpec, visit: Visit) -> None:
    """gzip, bzip2 and xz hold one stream: the member is named after the stored or the outer name."""
    name = _gzip_original_name(fileobj) if kind == "gzip" else None
    if not name:
        outer = parent.name()
        base, ext = os.path.splitext(outer)
        if ext.lower() in (".tgz", ".tbz2", ".tbz", ".txz"):
            name = base + ".tar"
        elif ext.lower() in _STRIP[kind]:
            name = base
        else:
            name = outer
    ps = parent.child(Segment.make(kind, name))
    with _decompressor(kind, fileobj) as stream:
        visit(Member(ps, None), stream, None)


def expand_7z(
    fileobj: BinaryIO, parent: PathSpec, visit: Visit, warn: Warn, budget: ExpansionBudget, spool_memory: int
) -> None:
    """7z is solid and push-driven in py7zr: each member is spooled, then visited as it completes."""
    import py7zr
    import py7zr.io

    from jejak.evidence.spool import Spool

    with py7zr.SevenZipFile(fileobj, mode="r") as archive:
        infos = {i.filename: i for i in archive.list()}
        if archive.needs_password():
            for name, info in infos.items():
                if info.is_directory:
                    continue
                member = Member(
                    parent.child(Segment.make("7z", name)),
                    info.uncompressed,
                    mtime=info.creationtime,
                    encrypted=True,
                )
                visit(member, None, "encrypted 7z archive: content not readable without the password")
            return

        class _Writer(py7zr.io.Py7zIO):
            def __init__(self, name: str) -> None:
                self.name = name
                info = infos.get(name)
                self.info = info
                compressed = getattr(info, "compressed", None) if info else None
                self.cap, self.setting = budget.member_cap(compressed)
                self.spool = Spool(spool_memory)
                self.cut = False

            def write(self, s: bytes | bytearray) -> int:
                if self.cut:
                    return len(s)
                if self.spool.size + len(s) > self.cap:
                    self.cut = True
                    return len(s)
                self.spool.write(bytes(s))
                return len(s)

            def read(self, size: int | None = None) -> bytes:
                return b""

            def seek(self, offset: int, whence: int = 0) -> int:
                return 0

            def flush(self) -> None:
                return None

            def size(self) -> int:
                return self.spool.size

            def close(self) -> None:
                info = self.info
                if info is None or info.is_directory:
                    self.spool.close()
                    return
                member = Member(
                    parent.child(Segment.make("7z", self.name)),
                    info.uncompressed,
                    mtime=info.creationtime,
                    compressed_size=getattr(info, "compressed", None),
                )
                try:
                    if self.cut:
                        visit(
                            member,
                            None,
                            f"7z member expands past the limit of {self.cap} bytes ({self.setting})",
                        )
                    else:
                        budget.spend(self.spool.size)
                        visit(member, self.spool.reader(), None)
                finally:
                    self.spool.close()

        class _Factory(py7zr.io.WriterFactory):
            def create(self, filename: str) -> py7zr.io.Py7zIO:
                return _Writer(filename)

        try:
            archive.extractall(factory=_Factory())
        except LimitExceeded:
            raise
        except Exception as exc:  # py7zr raises many types for corrupt data
            warn("archive", f"7z archive could not be fully read: {type(exc).__name__}: {exc}", parent)
