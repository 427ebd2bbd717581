"""PDQ: Meta's 256-bit perceptual hash for still images, via pdqhash (the reference C++ core)."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from PIL import Image

from jejak.hashing.image import to_rgb
from jejak.model import HashValue, Kind


def bits_to_hex(bits: np.ndarray) -> str:
    """pdqhash's 256 0/1 values (most significant first) as 64 lowercase hex characters."""
    return np.packbits(bits.astype(np.uint8)).tobytes().hex()


class Pdq:
    NAME: ClassVar[str] = "pdq"
    KINDS: ClassVar[frozenset[Kind]] = frozenset({Kind.IMAGE})

    def hash_image(self, im: Image.Image) -> HashValue:
        import pdqhash

        rgb = np.asarray(to_rgb(im))
        bits, quality = pdqhash.compute(rgb)
        return HashValue(self.NAME, bits_to_hex(bits), int(quality))
