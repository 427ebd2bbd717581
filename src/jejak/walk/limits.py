"""Hard limits on what evidence may make us do. Exceeding one is a warning row, never a crash."""

from __future__ import annotations

from dataclasses import dataclass

from jejak.config import Settings
from jejak.errors import LimitExceeded


@dataclass(frozen=True)
class Limits:
    max_depth: int
    max_file_size: int
    max_member_size: int
    max_expansion_ratio: float
    max_total_expanded: int
    max_archive_members: int
    max_image_pixels: int
    max_media_seconds: float
    spool_memory: int

    @staticmethod
    def from_settings(s: Settings) -> Limits:
        return Limits(
            max_depth=s.max_depth,
            max_file_size=s.max_file_size,
            max_member_size=s.max_member_size,
            max_expansion_ratio=s.max_expansion_ratio,
            max_total_expanded=s.max_total_expanded,
            max_archive_members=s.max_archive_members,
            max_image_pixels=s.max_image_pixels,
            max_media_seconds=s.max_media_seconds,
            spool_memory=s.spool_memory,
        )


class ExpansionBudget:
    """Bytes expanded from one top-level container and its nested members, shared down the tree."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.expanded = 0

    def member_cap(self, compressed_size: int | None) -> tuple[int, str]:
        """How many bytes a member may expand to before it is cut off, and the setting that binds."""
        caps = [
            (self.limits.max_member_size, "JEJAK_MAX_MEMBER_SIZE"),
            (self.limits.max_total_expanded - self.expanded, "JEJAK_MAX_TOTAL_EXPANDED"),
        ]
        if compressed_size is not None and compressed_size > 0:
            ratio_cap = int(max(compressed_size, 64 * 1024) * self.limits.max_expansion_ratio)
            caps.append((ratio_cap, "JEJAK_MAX_EXPANSION_RATIO"))
        cap, setting = min(caps)
        return max(cap, 0), setting

    def spend(self, n: int) -> None:
        self.expanded += n
        if self.expanded > self.limits.max_total_expanded:
            raise LimitExceeded(
                "max_total_expanded",
                f"container expanded more than {self.limits.max_total_expanded} bytes "
                "(JEJAK_MAX_TOTAL_EXPANDED)",
            )
