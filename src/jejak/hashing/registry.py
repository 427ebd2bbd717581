"""The one registry of hash algorithms. Names are storage keys forever: never rename one."""

from __future__ import annotations

from typing import ClassVar, Protocol

from PIL import Image

from jejak.hashing.pdq import Pdq
from jejak.hashing.stream import StreamHasher
from jejak.model import HashValue, Kind


class ImageHasher(Protocol):
    NAME: ClassVar[str]
    KINDS: ClassVar[frozenset[Kind]]

    def hash_image(self, im: Image.Image) -> tuple[HashValue, ...]: ...


DIGEST_NAMES: tuple[str, ...] = StreamHasher.NAMES


def image_hashers() -> tuple[ImageHasher, ...]:
    """Media hashers fed with decoded still images. Video and audio hashers join in later issues."""
    return (Pdq(),)


def check_unique_names() -> None:
    names = list(DIGEST_NAMES) + [h.NAME for h in image_hashers()]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"hash algorithm names registered twice: {sorted(dupes)}")
