"""MD5, SHA-1 and SHA-256 in one read pass, keeping the bytes for decoding when asked to."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import BinaryIO

from jejak.evidence.spool import Spool

CHUNK = 1024 * 1024


@dataclass
class Digests:
    md5: str
    sha1: str
    sha256: str
    size: int
    complete: bool  # False when reading stopped at a limit or an error


class StreamHasher:
    """The three digests jejak keeps, fed chunk by chunk."""

    NAMES = ("md5", "sha1", "sha256")

    def __init__(self) -> None:
        self._h = [hashlib.md5(), hashlib.sha1(), hashlib.sha256()]
        self.size = 0

    def update(self, chunk: bytes | memoryview) -> None:
        for h in self._h:
            h.update(chunk)
        self.size += len(chunk)

    def digests(self, complete: bool = True) -> Digests:
        md5, sha1, sha256 = (h.hexdigest() for h in self._h)
        return Digests(md5, sha1, sha256, self.size, complete)


@dataclass
class Kept:
    """Digests of a stream read to its end (or to a cap), and a seekable copy of what was read."""

    digests: Digests
    data: BinaryIO
    error: str | None = None  # why reading stopped early, when it did


def hash_and_keep(stream: BinaryIO, cap: int | None, spool_memory: int) -> Kept:
    """Digest a stream while keeping its bytes in a Spool (RAM, then an anonymous temp file).

    Stops after ``cap`` bytes (digests then cover what was read, ``complete`` is False); a read
    error likewise keeps what came before it. Never raises for bad data.
    """
    h = StreamHasher()
    spool = Spool(spool_memory)
    error: str | None = None
    try:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            if cap is not None and h.size + len(chunk) > cap:
                keep = chunk[: max(0, cap - h.size)]
                h.update(keep)
                spool.write(keep)
                error = f"stopped reading at the limit of {cap} bytes"
                break
            h.update(chunk)
            spool.write(chunk)
    except Exception as exc:  # OSError, EOFError, and the decompressors' own (zlib.error, LZMAError...)
        error = f"read failed after {h.size} bytes: {type(exc).__name__}: {exc}"
    return Kept(h.digests(complete=error is None), spool.reader(), error)
