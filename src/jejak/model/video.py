"""One frame of a vPDQ video hash: the value hashing produces, lists read and write, and match compares."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class FrameHash:
    """One line of Meta's vPDQ hash format, ``frame,quality,pdq_hex,seconds``: the frame's number in the
    decoded stream (presentation order, from 0), PDQ quality 0-100, the 256-bit PDQ as 64 lowercase hex,
    and the frame's time in seconds (frame number / average frame rate, as vpdq stamps it)."""

    frame: int
    quality: int
    pdq: str
    seconds: float

    def __post_init__(self) -> None:
        if self.frame < 0:
            raise ValueError(f"frame number must be >= 0: {self.frame}")
        if not 0 <= self.quality <= 100:
            raise ValueError(f"quality must be 0-100: {self.quality}")
        if not _HEX64.match(self.pdq):
            raise ValueError(f"pdq must be 64 lowercase hex characters: {self.pdq!r}")
        if not (math.isfinite(self.seconds) and self.seconds >= 0):
            raise ValueError(f"seconds must be a finite number >= 0: {self.seconds}")
