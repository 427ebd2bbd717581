"""Still-image decoding for media hashers: reduced-size JPEG decode, bomb checks, odd modes."""

from __future__ import annotations

import functools
import warnings
from typing import BinaryIO, TypeAlias

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from jejak.errors import LimitExceeded


@functools.lru_cache(maxsize=1)
def register_heif() -> bool:
    """Teach Pillow HEIC/HEIF/AVIF, once per process (no import-time side effects)."""
    try:
        import pillow_heif
    except ImportError:  # pragma: no cover - pillow-heif is a core dependency
        return False
    pillow_heif.register_heif_opener()
    return True


def open_image(data: BinaryIO, max_pixels: int) -> Image.Image:
    """Open (not decode) an image, refusing decompression bombs before any pixel is decoded."""
    register_heif()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            im = Image.open(data)
        except Image.DecompressionBombError as exc:
            raise LimitExceeded("max_image_pixels", str(exc)) from exc
    w, h = im.size
    if w * h > max_pixels:
        raise LimitExceeded(
            "max_image_pixels",
            f"image of {w}x{h} pixels is over the limit of {max_pixels} (JEJAK_MAX_IMAGE_PIXELS)",
        )
    return im


def reduce_for_hashing(im: Image.Image, min_side: int, mode: str = "L") -> None:
    """Ask libjpeg for a DCT-domain reduced decode that keeps the short side >= ``min_side``, in ``mode``
    ("L": luma only, all PDQ needs; "RGB" when the robust stage needs colour for its value channel).

    PDQ samples 64x64 points anyway. libjpeg scales by 1/2, 1/4 or 1/8 in the DCT domain; with the default
    short side of 1000 a 12 MP photo decodes at half size, which keeps PDQ within Meta's 10-bit tolerance of
    a full decode on generated camera-size photos (quarter size did not: benchmarks/ingest.py, table (e)).
    """
    if im.format != "JPEG" or min_side <= 0:
        return
    w, h = im.size
    short = min(w, h)
    if short // 2 < min_side:
        return  # no reduction possible: decode as the reference does, so the hash is bit for bit its own
    scale = min_side / short
    # Mode L: libjpeg hands over the Y channel, which is the luma PDQ needs, and skips colour conversion.
    im.draft(mode, (max(1, round(w * scale)), max(1, round(h * scale))))


Picture: TypeAlias = "Image.Image | NDArray[np.uint8]"
"""What media hashers take: a decoded Pillow image, or its pixels from ``as_pixels`` (decode once, convert
to an array once, feed every hasher)."""


def as_pixels(im: Picture) -> NDArray[np.uint8]:
    """The picture's 8-bit pixels: (h, w) for greyscale (mode L), (h, w, 3) RGB for every other mode."""
    if isinstance(im, np.ndarray):
        return im
    if im.mode not in ("L", "RGB"):
        im = to_rgb(im)
    return np.asarray(im, np.uint8)


def to_rgb(im: Image.Image) -> Image.Image:
    """RGB pixels of the first frame, for any mode Pillow opens (16-bit, float, CMYK, palette, alpha)."""
    if getattr(im, "n_frames", 1) > 1:
        im.seek(0)
    mode = im.mode
    if mode == "RGB":
        return im
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # Wide grey: stretch to 8 bits instead of clipping everything above 255 to white.
        extrema = im.getextrema()
        lo, hi = float(extrema[0]), float(extrema[1])  # type: ignore[arg-type]
        span = hi - lo or 1.0
        im = im.convert("F").point(lambda v: (v - lo) * 255.0 / span).convert("L")
    if im.mode in ("P", "PA"):
        im = im.convert("RGBA")
    return im.convert("RGB")
