"""What every evidence backend hands on: members with their metadata and a way to read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import BinaryIO

from jejak.model import PathSpec


@dataclass
class Member:
    """A file inside a container (folder, archive, file system), not yet read."""

    pathspec: PathSpec
    size: int | None
    deleted: bool = False
    mtime: datetime | None = None
    atime: datetime | None = None
    ctime: datetime | None = None
    crtime: datetime | None = None
    compressed_size: int | None = None
    encrypted: bool = False


# A visitor receives each member with a readable stream (valid only during the call), or None when
# the member cannot be read (encrypted, unsupported compression): the reason is then in ``problem``.
Visit = Callable[[Member, BinaryIO | None, str | None], None]
Warn = Callable[[str, str, PathSpec | None], None]


def from_timestamp(ts: float | int | None) -> datetime | None:
    """A POSIX timestamp as an aware UTC datetime; None for missing or absurd values."""
    if ts is None or ts <= 0:
        return None
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None
