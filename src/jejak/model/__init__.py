"""Frozen value types shared by every layer. Imports nothing else of jejak."""

from jejak.model.pathspec import PathSpec, Segment
from jejak.model.records import (
    ExifInfo,
    FileRecord,
    GpsPoint,
    HashValue,
    Kind,
    WarningRecord,
)
from jejak.model.work import LeafTask, TaskResult

__all__ = [
    "ExifInfo",
    "FileRecord",
    "GpsPoint",
    "HashValue",
    "Kind",
    "LeafTask",
    "PathSpec",
    "Segment",
    "TaskResult",
    "WarningRecord",
]
