"""Review aids: a video's contact sheet, made while it is hashed, a still's thumbnail, made from the picture
decoded for PDQ, and the gentle form previews are shown in.

A contact sheet is a grid of up to ``frames`` thumbnails (``TILE`` px on the longer side) picked evenly over
the video's duration from the frames the hasher samples anyway, so it costs no extra decoding. A still's
``thumbnail`` is made from the (reduced) decode PDQ uses, turned upright as its EXIF orientation says. Both
are stored as JPEG at ingest (``content_preview``, kinds "contact_sheet" and "thumbnail") and never shown
as stored: ``gentle`` turns them greyscale and blurs them, which is what the CLI and the API give unless
the examiner asks to reveal one.
"""

from __future__ import annotations

import io
import math

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from jejak.hashing.image import to_rgb

TILE = 160
"""Longer side of one thumbnail, pixels."""
QUALITY = 70
"""JPEG quality of the stored sheet."""
BLUR = 0.012
MIN_BLUR = 6.0  # pixels: a 320-pixel thumbnail gets 2% of its side (faces and words unrecognisable)
"""Gaussian blur radius of ``gentle``, as a fraction of the picture's longer side."""
SOFT_BLUR = 4.0
"""The radius in pixels of a softened ``gentle`` (a user's choice in the review UI): still greyscale and
blurred, shapes easier to tell apart; never less."""
THUMBNAIL_QUALITY = 80
"""JPEG quality of a still's stored thumbnail."""

# EXIF orientation -> the transpose that shows the picture as the camera meant (as ImageOps.exif_transpose).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


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


def thumbnail(img: Image.Image, size: int, orientation: int | None = None) -> bytes:
    """A still's stored preview: RGB JPEG bytes, longest side ``size`` pixels (a smaller picture is never
    enlarged), turned upright as its EXIF ``orientation`` (1-8) says; no metadata is written.

    ``img`` is the decoded picture, in any mode (YCbCr from a reduced decode included). A box reduction by a
    whole factor does most of the shrinking and a small resize the rest: a filtered resize of the whole
    picture (``Image.thumbnail``) cost 3-5x more."""
    if size <= 0:
        raise ValueError(f"a thumbnail needs a size above 0, not {size}")
    w, h = img.size
    if img.mode not in ("RGB", "L", "YCbCr"):
        img = to_rgb(img)
    factor = max(w, h) // size
    if factor >= 2:
        img = img.reduce(factor)
    img = img.convert("RGB")
    if max(img.size) > size:
        scale = size / max(w, h)
        target = (max(1, round(w * scale)), max(1, round(h * scale)))
        # after a reduction less than 1.5x is left, where bilinear does not alias; up to 2x, area does not
        how = cv2.INTER_LINEAR if factor >= 2 else cv2.INTER_AREA
        img = Image.fromarray(cv2.resize(np.asarray(img), target, interpolation=how))
    method = _UPRIGHT.get(orientation or 1)
    if method is not None:
        img = img.transpose(method)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue()


def gentle(data: bytes, soft: bool = False) -> Image.Image:
    """A stored preview as reviewers see it by default: greyscale and blurred (``soft``: blurred less, never
    below ``SOFT_BLUR`` pixels)."""
    img = Image.open(io.BytesIO(data))
    img.load()
    grey = img.convert("L")
    radius = max(MIN_BLUR, BLUR * max(grey.size))
    if soft:
        radius = max(SOFT_BLUR, radius / 2)
    return grey.filter(ImageFilter.GaussianBlur(radius))
