"""Provenance chains: where a file instance lives, from the evidence root down.

A PathSpec is a tuple of segments, outermost first, e.g.::

    os:/mnt/exhibits/phone1.E01 > ewf > vol p1 (FAT16) > fs:/DCIM/100CAM/IMG_0003.JPG

Each segment names the layer type (``os``, ``ewf``, ``raw``, ``vol``, ``fs``, ``zip``, ``tar``, ``7z``,
``gzip``, ``bzip2``, ``xz``), the location inside that layer, and a few typed extras (inode, partition
offset, file-system type) needed to reopen it. The JSON form is the stored contract; ``key()`` is the
stable identity used to deduplicate re-ingests.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

ExtraValue = str | int


@dataclass(frozen=True)
class Segment:
    type: str
    location: str = ""
    extra: tuple[tuple[str, ExtraValue], ...] = field(default=())

    @staticmethod
    def make(type: str, location: str = "", **extra: ExtraValue | None) -> Segment:
        items = tuple(sorted((k, v) for k, v in extra.items() if v is not None))
        return Segment(type, location, items)

    def get(self, key: str, default: ExtraValue | None = None) -> ExtraValue | None:
        for k, v in self.extra:
            if k == key:
                return v
        return default

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.location:
            out["location"] = self.location
        out.update(dict(self.extra))
        return out

    @staticmethod
    def from_json(obj: dict[str, Any]) -> Segment:
        extra = {k: v for k, v in obj.items() if k not in ("type", "location")}
        return Segment.make(str(obj["type"]), str(obj.get("location", "")), **extra)

    def readable(self, first: bool) -> str | None:
        """One step of the human-readable chain, or None when the step adds nothing to read."""
        if self.type == "os":
            root = self.get("root")
            if first and isinstance(root, str):
                # Relative to the folder that holds the evidence root: usb-dump/photos/a.jpg
                return os.path.relpath(self.location, os.path.dirname(root.rstrip("/")) or "/")
            return self.location
        if self.type in ("ewf", "raw"):
            return None
        if self.type == "vol":
            fs = self.get("fs")
            if not self.location:
                return str(fs) if fs else None
            return f"{self.location} ({fs})" if fs else self.location
        return self.location


@dataclass(frozen=True)
class PathSpec:
    segments: tuple[Segment, ...]

    @staticmethod
    def os_path(path: str, root: str | None = None) -> PathSpec:
        """A file on the host; ``root`` is the evidence root it was found under (for readable paths)."""
        return PathSpec(
            (Segment.make("os", os.path.abspath(path), root=os.path.abspath(root) if root else None),)
        )

    def child(self, segment: Segment) -> PathSpec:
        return PathSpec((*self.segments, segment))

    @property
    def last(self) -> Segment:
        return self.segments[-1]

    @property
    def depth(self) -> int:
        """How many containers deep this is (an os file is 0)."""
        return sum(1 for s in self.segments if s.type not in ("os", "vol", "ewf", "raw"))

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.segments]

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @staticmethod
    def from_json(obj: list[dict[str, Any]]) -> PathSpec:
        return PathSpec(tuple(Segment.from_json(o) for o in obj))

    @staticmethod
    def loads(text: str) -> PathSpec:
        return PathSpec.from_json(json.loads(text))

    def key(self) -> str:
        return hashlib.sha256(self.dumps().encode("utf-8")).hexdigest()

    def readable(self) -> str:
        """``phone1.E01 > p1 (FAT16) > /DCIM/IMG_0003.JPG``; host paths relative to the root's folder."""
        parts: list[str] = []
        last = len(self.segments) - 1
        for i, seg in enumerate(self.segments):
            if seg.type in ("gzip", "bzip2", "xz") and i != last:
                continue  # backup.tar.gz > inner.zip: the decompressed stream is implied
            text = seg.readable(first=i == 0)
            if text is not None:
                parts.append(text)
        return " > ".join(parts)

    def name(self) -> str:
        """The file's own name: the last path component of the innermost named segment."""
        for seg in reversed(self.segments):
            if seg.location:
                loc = seg.location.replace("\\", "/").rstrip("/")
                return loc.rsplit("/", 1)[-1]
        return ""
