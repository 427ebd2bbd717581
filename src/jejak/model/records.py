"""What ingest produces: a file instance with its digests, media hashes, metadata and warnings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from jejak.model.pathspec import PathSpec


class Kind(StrEnum):
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    ARCHIVE = "archive"
    DISK_IMAGE = "disk_image"
    DOCUMENT = "document"
    OTHER = "other"


_HEX = re.compile(r"^[0-9a-f]+$")

# Length in hex characters of each algorithm whose values are fixed-length hex.
HEX_LENGTHS: dict[str, int] = {"md5": 32, "sha1": 40, "sha256": 64, "pdq": 64}


@dataclass(frozen=True)
class HashValue:
    """A validated hash: canonical lowercase hex of the algorithm's length, with an optional quality."""

    algorithm: str
    value: str
    quality: int | None = None

    def __post_init__(self) -> None:
        want = HEX_LENGTHS.get(self.algorithm.partition(".")[0])  # pdq.rot90: a variant of pdq
        if want is not None and (len(self.value) != want or not _HEX.match(self.value)):
            raise ValueError(
                f"{self.algorithm} value must be {want} lowercase hex characters: {self.value!r}"
            )

    @staticmethod
    def parse(algorithm: str, text: str, quality: int | None = None) -> HashValue:
        """Parse at the edge: strips blanks, lower-cases."""
        return HashValue(algorithm, text.strip().lower(), quality)


@dataclass(frozen=True)
class GpsPoint:
    lat: float
    lon: float
    alt: float | None = None


@dataclass(frozen=True)
class ExifInfo:
    make: str | None = None
    model: str | None = None
    serial: str | None = None
    image_unique_id: str | None = None
    software: str | None = None
    datetime_original: str | None = None  # ISO 8601, with offset when the file says it
    orientation: int | None = None
    gps: GpsPoint | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def is_empty(self) -> bool:
        return (
            all(
                v is None
                for v in (
                    self.make,
                    self.model,
                    self.serial,
                    self.image_unique_id,
                    self.software,
                    self.datetime_original,
                    self.orientation,
                    self.gps,
                )
            )
            and not self.extra
        )


@dataclass(frozen=True)
class WarningRecord:
    stage: str  # walk, read, sniff, archive, disk, decode, pdq, exif, limit, timeout
    message: str
    pathspec: PathSpec | None = None


@dataclass(frozen=True)
class FoundIdentifier:
    """An online identifier found in a content (jejak.graph.identifiers): its kind, normalised value,
    where it was read (``source``: text, chat, exif), how often, and its first spelling and offset."""

    kind: str
    value: str
    source: str
    count: int = 1
    first_offset: int | None = None
    raw: str | None = None


@dataclass
class FileRecord:
    """One file instance as found in the evidence, with everything computed from its bytes."""

    pathspec: PathSpec
    name: str
    size: int | None
    deleted: bool = False
    mtime: datetime | None = None
    atime: datetime | None = None
    ctime: datetime | None = None
    crtime: datetime | None = None
    md5: str | None = None
    sha1: str | None = None
    sha256: str | None = None
    mime: str | None = None
    kind: Kind = Kind.OTHER
    width: int | None = None
    height: int | None = None
    hashes: list[HashValue] = field(default_factory=list)
    # Descriptors by algorithm name -> versioned blob (never pickle): "orb" (robust matching of images),
    # "vpdq" (a video's frame hashes, vPDQ text), "chromaprint" (an audio track's fingerprint).
    descriptors: dict[str, bytes] = field(default_factory=dict)
    # Review aids by kind -> JPEG bytes: "contact_sheet" (a video's sampled frames), "thumbnail" (a still),
    # blurred at display.
    previews: dict[str, bytes] = field(default_factory=dict)
    exif: ExifInfo | None = None
    identifiers: list[FoundIdentifier] = field(default_factory=list)
    warnings: list[WarningRecord] = field(default_factory=list)

    def warn(self, stage: str, message: str) -> None:
        self.warnings.append(WarningRecord(stage, message, self.pathspec))
