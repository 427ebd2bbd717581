"""The one registry of hash algorithms. Names are storage keys forever: never rename one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

from jejak.hashing.image import Picture
from jejak.hashing.pdq import Pdq
from jejak.hashing.stream import StreamHasher
from jejak.model import HashValue, Kind

if TYPE_CHECKING:
    from jejak.config import Settings


class ImageHasher(Protocol):
    NAME: ClassVar[str]
    KINDS: ClassVar[frozenset[Kind]]

    def hash_image(self, im: Picture) -> tuple[HashValue, ...]: ...


DIGEST_NAMES: tuple[str, ...] = StreamHasher.NAMES


@dataclass(frozen=True)
class HashOptions:
    """What the workers compute for a decoded image, from Settings (hashable: workers cache by it)."""

    pdq_min_side: int = 1000
    robust_features: int = 0  # ORB features kept per image for robust matching; 0: none
    robust_max_side: int = 512
    robust_enlarge_below: int = 480  # smaller pictures also get the enlarged descriptor; 0: none
    video_fps: float | None = None  # vPDQ frames per second; None: videos are not hashed; 0: every frame
    audio: bool = False  # Chromaprint fingerprints of audio files and of videos' audio tracks
    contact_sheet_frames: int = 0
    thumbnail_size: int = 0  # longest side of a still's stored thumbnail, pixels; 0: none
    video_keyframes: int = 0  # keyframes described for the robust stage (needs robust_features)
    video_keyframe_seconds: float = 10.0
    identifiers_max_bytes: int = 0  # text read for online identifiers; 0: none are looked for
    identifiers_region: str | None = None
    max_media_duration: float = 6 * 3600.0

    @staticmethod
    def from_settings(s: Settings) -> HashOptions:
        return HashOptions(
            pdq_min_side=s.pdq_min_side,
            robust_features=s.robust_features if s.robust_enabled else 0,
            robust_max_side=s.robust_max_side,
            robust_enlarge_below=s.robust_enlarge_below,
            video_fps=s.video_fps if s.video_enabled else None,
            audio=s.audio_enabled,
            contact_sheet_frames=s.contact_sheet_frames,
            thumbnail_size=s.thumbnail_size,
            video_keyframes=s.video_keyframes if s.robust_enabled else 0,
            video_keyframe_seconds=s.video_keyframe_seconds,
            identifiers_max_bytes=s.identifiers_max_bytes if s.identifiers_enabled else 0,
            identifiers_region=s.identifiers_region.upper() or None,
            max_media_duration=s.max_media_duration,
        )


def image_hashers() -> tuple[ImageHasher, ...]:
    """Media hashers fed with decoded still images. Video and audio hashers join in later issues."""
    return (Pdq(),)


def check_unique_names() -> None:
    names = list(DIGEST_NAMES) + [h.NAME for h in image_hashers()]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise RuntimeError(f"hash algorithm names registered twice: {sorted(dupes)}")
