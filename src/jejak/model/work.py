"""Work items that travel between the walker, the workers (local or Dask) and the single writer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from jejak.model.pathspec import PathSpec
from jejak.model.records import FileRecord, WarningRecord


@dataclass(frozen=True)
class LeafTask:
    """A file that a worker can open on its own: an OS path, or a file inside a top-level disk image."""

    pathspec: PathSpec
    size: int | None
    deleted: bool = False
    mtime: datetime | None = None
    atime: datetime | None = None
    ctime: datetime | None = None
    crtime: datetime | None = None
    enumerate_only: bool = False  # a disk image already hashed: only list its files again

    @property
    def key(self) -> str:
        return self.pathspec.key()


@dataclass
class TaskResult:
    """What one leaf produced: its records (nested archive members included), loose warnings, and
    new leaves to schedule (the files of a disk image)."""

    key: str
    records: list[FileRecord] = field(default_factory=list)
    warnings: list[WarningRecord] = field(default_factory=list)
    children: list[LeafTask] = field(default_factory=list)
    bytes_read: int = 0
