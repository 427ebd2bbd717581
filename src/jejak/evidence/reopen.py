"""Read a file instance again from its provenance chain (``PathSpec``), long after the ingest: the host file,
then each layer down (disk image, partition and file system, archive members, compressed streams), through
the same backends the ingest used, so that a member is found exactly as it was recorded.

``read_pathspec(ps, consume, limits)`` hands the innermost stream to ``consume`` (valid only during the
call, as a backend's visitor gets it) and returns what it returns. Evidence that moved, changed or went
away is an ``EvidenceError`` saying which layer is missing. ``copy_verified`` is the usual ``consume``: a
private temporary copy, refused unless its SHA-256 is the content's.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Callable
from typing import IO, BinaryIO, TypeVar

from jejak.errors import EvidenceError
from jejak.evidence.archives import expand_7z, expand_single_stream, expand_tar, expand_zip
from jejak.evidence.base import Member
from jejak.evidence.disk import DiskImage, open_disk_stream
from jejak.hashing.stream import CHUNK
from jejak.model import PathSpec
from jejak.walk.limits import ExpansionBudget, Limits

T = TypeVar("T")

DISK_LAYERS = ("ewf", "raw")
STREAM_LAYERS = ("gzip", "bzip2", "xz")
ARCHIVE_LAYERS = ("zip", "tar", "7z", *STREAM_LAYERS)
SPOOL_MEMORY = 8 * 1024 * 1024
"""A copy stays in memory up to this size, then goes to a private temporary file."""


def _ignore(stage: str, message: str, where: PathSpec | None) -> None:
    return None  # the ingest recorded the container's warnings; reading one member again adds none


def read_pathspec(ps: PathSpec, consume: Callable[[BinaryIO], T], limits: Limits) -> T:
    """``consume`` the bytes of the file instance ``ps`` names, read from the evidence again."""
    if not ps.segments or ps.segments[0].type != "os":
        raise EvidenceError(f"{ps.readable()}: a provenance chain starts with a host file")
    path = ps.segments[0].location
    try:
        f = open(path, "rb")
    except OSError as exc:
        why = exc.strerror or exc
        raise EvidenceError(f"the evidence file {path} cannot be opened any more: {why}") from exc
    with f:
        return _descend(f, ps, 1, consume, limits, host_path=path)


def _descend(
    stream: BinaryIO,
    ps: PathSpec,
    i: int,
    consume: Callable[[BinaryIO], T],
    limits: Limits,
    host_path: str | None = None,
) -> T:
    segs = ps.segments
    if i == len(segs):
        return consume(stream)
    seg = segs[i]
    if seg.type in DISK_LAYERS:
        return _disk(stream, ps, i, consume, limits, host_path)
    if seg.type not in ARCHIVE_LAYERS:
        raise EvidenceError(f"{ps.readable()}: a {seg.type!r} layer cannot be reopened")
    if seg.type in ("zip", "7z") and not _seekable(stream):
        with tempfile.TemporaryFile() as spool:  # a ZIP inside a TAR or a compressed stream
            shutil.copyfileobj(stream, spool, CHUNK)
            spool.seek(0)
            return _archive(spool, ps, i, consume, limits)
    return _archive(stream, ps, i, consume, limits)


def _seekable(stream: BinaryIO) -> bool:
    try:
        return bool(stream.seekable())
    except AttributeError:  # a member of a TAR read as a stream cannot even say
        return False


def _archive(stream: BinaryIO, ps: PathSpec, i: int, consume: Callable[[BinaryIO], T], limits: Limits) -> T:
    seg = ps.segments[i]
    parent = PathSpec(ps.segments[:i])
    found: list[T] = []
    problems: list[str] = []

    def visit(member: Member, inner: BinaryIO | None, problem: str | None) -> None:
        if found or (seg.type not in STREAM_LAYERS and member.pathspec.last != seg):
            return  # another member (a compressed stream has one, whatever name it was given)
        if inner is None:
            problems.append(problem or "not readable")
            return
        found.append(_descend(inner, ps, i + 1, consume, limits))

    if seg.type == "zip":
        expand_zip(stream, parent, visit, _ignore, limits.max_archive_members)
    elif seg.type == "tar":
        expand_tar(stream, parent, visit, _ignore, limits.max_archive_members)
    elif seg.type == "7z":
        expand_7z(stream, parent, visit, _ignore, ExpansionBudget(limits), limits.spool_memory)
    else:
        expand_single_stream(seg.type, stream, parent, visit)
    if not found:
        why = problems[0] if problems else "it is no longer there"
        raise EvidenceError(f"{seg.location or seg.type} in {parent.readable()} cannot be read: {why}")
    return found[0]


def _disk(
    stream: BinaryIO,
    ps: PathSpec,
    i: int,
    consume: Callable[[BinaryIO], T],
    limits: Limits,
    host_path: str | None,
) -> T:
    segs = ps.segments
    layer = segs[i].type
    if len(segs) < i + 3 or segs[i + 1].type != "vol" or segs[i + 2].type != "fs":
        raise EvidenceError(f"{ps.readable()}: a disk image layer without a partition and a file")
    offset, inode = segs[i + 1].get("offset"), segs[i + 2].get("inode")
    if not isinstance(offset, int) or not isinstance(inode, int):
        raise EvidenceError(f"{ps.readable()}: no volume offset or inode recorded")
    # a disk image on the host is opened by name (split raw sets and E01 segments are found beside it)
    media = open_disk_stream(layer, host_path if i == 1 else None, None if i == 1 else stream)
    try:
        disk = DiskImage(media, PathSpec(segs[:i]), layer, _ignore)
        with disk.open_file(offset, inode) as f:
            return _descend(f, ps, i + 3, consume, limits)
    except OSError as exc:
        raise EvidenceError(f"{ps.readable()}: the disk image cannot be read: {exc}") from exc
    finally:
        if media is not stream:
            media.close()


def copy_verified(sha256: str) -> Callable[[BinaryIO], IO[bytes]]:
    """A ``consume`` that copies the stream to a private temporary file (in memory when small) and answers
    it rewound, or raises EvidenceError when its SHA-256 is not ``sha256`` (the evidence changed)."""

    def consume(stream: BinaryIO) -> IO[bytes]:
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY)
        h = hashlib.sha256()
        try:
            while chunk := stream.read(CHUNK):
                h.update(chunk)
                out.write(chunk)
        except BaseException:
            out.close()
            raise
        if h.hexdigest() != sha256.lower():
            out.close()
            raise EvidenceError("the evidence no longer holds these bytes (its SHA-256 differs)")
        out.seek(0)
        return out

    return consume
