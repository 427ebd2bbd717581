"""Review aids: a video's contact sheet, made while it is hashed, and the gentle form previews are shown in.

A contact sheet is a grid of up to ``frames`` thumbnails (``TILE`` px on the longer side) picked evenly over
the video's duration from the frames the hasher samples anyway, so it costs no extra decoding. It is stored
as a JPEG at ingest (``content_preview``) and never shown as stored: ``gentle`` turns it greyscale and
blurs it, which is what the CLI writes unless the examiner asks to reveal it.
"""

from __future__ import annotations

import io
import math

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

TILE = 160
"""Longer side of one thumbnail, pixels."""
QUALITY = 70
"""JPEG quality of the stored sheet."""
BLUR = 0.012
"""Gaussian blur radius of ``gentle``, as a fraction of the picture's longer side."""


class FrameSpread:
    """Which of the frames offered in time order to keep: at most ``count``, spread evenly over
    ``duration`` seconds, or one per ``step`` seconds when the duration is unknown."""

    def __init__(self, count: int, duration: float | None, step: float = 1.0) -> None:
        self.count = max(0, count)
        self.step = duration / self.count if duration and duration > 0 and self.count else step
        self.kept = 0
        self._next = 0.0

    def wants(self, seconds: float) -> bool:
        """Whether a frame at ``seconds`` would be kept (so the caller converts only those)."""
        return self.kept < self.count and seconds >= self._next

    def took(self, seconds: float) -> None:
        """The frame at ``seconds`` was kept: the next is wanted one step further."""
        self.kept += 1
        self._next = max(seconds + 1e-6, self.kept * self.step)


class ContactSheet:
    """Collects thumbnails of sampled frames (``add``), evenly spread over ``duration`` seconds when it is
    known (else one per second of video at most), and lays them out (``jpeg``)."""

    def __init__(self, frames: int, duration: float | None) -> None:
        self.spread = FrameSpread(frames, duration)
        self.tiles: list[Image.Image] = []

    def wants(self, seconds: float) -> bool:
        return self.spread.wants(seconds)

    def add(self, pixels: NDArray[np.uint8], seconds: float) -> None:
        """Offer one frame (rows x columns x RGB, as displayed) shown at ``seconds``."""
        if not self.spread.wants(seconds):
            return
        img = Image.fromarray(np.ascontiguousarray(pixels))
        img.thumbnail((TILE, TILE), Image.Resampling.BILINEAR)
        self.tiles.append(img.convert("RGB"))
        self.spread.took(seconds)

    def jpeg(self) -> bytes | None:
        """The sheet as JPEG bytes, or None when no frame was kept."""
        if not self.tiles:
            return None
        cols = math.ceil(math.sqrt(len(self.tiles)))
        rows = math.ceil(len(self.tiles) / cols)
        w = max(t.width for t in self.tiles)
        h = max(t.height for t in self.tiles)
        sheet = Image.new("RGB", (cols * w, rows * h), (24, 24, 24))
        for i, tile in enumerate(self.tiles):
            r, c = divmod(i, cols)
            sheet.paste(tile, (c * w + (w - tile.width) // 2, r * h + (h - tile.height) // 2))
        out = io.BytesIO()
        sheet.save(out, "JPEG", quality=QUALITY)
        return out.getvalue()


def gentle(data: bytes) -> Image.Image:
    """A stored preview as reviewers see it by default: greyscale and blurred."""
    img = Image.open(io.BytesIO(data))
    img.load()
    grey = img.convert("L")
    return grey.filter(ImageFilter.GaussianBlur(max(2.0, BLUR * max(grey.size))))
