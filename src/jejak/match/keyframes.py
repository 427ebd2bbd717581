"""Keyframes in the robust stage: stills against the keyframes of videos, videos against stills and videos.

A video's keyframes (``hashing.keyframes``) go into the same ``RobustMatcher`` machinery as stills, under
ids ``owner * SLOTS + k`` (``frame_id``), so one index holds every keyframe of every video and a hit names
the video (``owner``) and the keyframe's time. Three kinds of match come out of it:

- a **still** verified against one keyframe of a video: the still is an edited frame of it (algorithm
  ``orb.frame``, with the keyframe's time);
- a **video** with at least one keyframe verified against a still: the video shows that picture;
- a **video** against another video: at least ``frames_needed`` of its keyframes at distinct times
  verified against the other's keyframes (two, or every keyframe when one side has a single one). One
  keyframe is not enough between videos: two unrelated clips may share a title card or an intro.

Each match keeps every verified keyframe pair (``FrameHit``) as its evidence: times on both sides and
the geometric evidence of the pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from jejak.hashing.keyframes import KeyframeSet
from jejak.hashing.robust import RobustDescriptor
from jejak.match.robust import RobustHit, RobustMatcher

STILL_NAME = "orb.frame"
"""Algorithm of a still verified against a keyframe of a video (the robust stage's ``vpdq.frame``); a
video matched through its keyframes is ``orb.frames`` (``hashing.keyframes.NAME``)."""
SLOTS = 64
"""Keyframe ids are ``owner * SLOTS + k``: at most SLOTS keyframes per video (setting ``video_keyframes``)."""
MIN_FRAMES = 2
"""Keyframes at distinct times that must verify for two videos to match."""


def frame_id(owner: int, k: int) -> int:
    if not 0 <= k < SLOTS:
        raise ValueError(f"keyframe index {k} outside 0..{SLOTS - 1}")
    return owner * SLOTS + k


def split_id(fid: int) -> tuple[int, int]:
    """(owner, keyframe index) of a keyframe id."""
    owner, k = divmod(fid, SLOTS)
    return owner, k


@dataclass
class KeyframeRefs:
    """The keyframes of many videos, as a matcher's references: descriptors by keyframe id, each one's
    time, and each video's keyframe count."""

    descriptors: dict[int, RobustDescriptor] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    counts: dict[int, int] = field(default_factory=dict)

    def add(self, owner: int, keys: KeyframeSet) -> list[tuple[int, RobustDescriptor]]:
        """Add a video's keyframes (at most SLOTS); returns the (id, descriptor) items added."""
        items = []
        for k, (s, d) in enumerate(list(keys)[:SLOTS]):
            fid = frame_id(owner, k)
            self.descriptors[fid] = d
            self.seconds[fid] = s
            items.append((fid, d))
        self.counts[owner] = len(items)
        return items

    def matcher(self, shortlist: int) -> RobustMatcher:
        return RobustMatcher.build(sorted(self.descriptors.items()), shortlist=shortlist)


@dataclass(frozen=True)
class FrameHit:
    """One verified pair: a query picture (a still: ``seconds`` None; else a keyframe's time) and a
    reference picture (a still: ``reference_seconds`` None; else a keyframe's time)."""

    seconds: float | None
    reference_seconds: float | None
    hit: RobustHit


def search(
    desc: RobustDescriptor,
    seconds: float | None,
    matcher: RobustMatcher,
    refs: KeyframeRefs | None,
    min_score: int,
    exclude: int | None = None,
    enlarged: RobustDescriptor | None = None,
) -> dict[int, FrameHit]:
    """Verified hits of one picture, the best per reference owner: a video (``refs`` given: the matcher
    holds keyframe ids) or a still (``refs`` None: the ids are owners). ``exclude``: an owner to leave
    out (the query's own video); ``enlarged``: a small still's enlarged descriptor, searched too."""
    best: dict[int, FrameHit] = {}
    for hit in matcher.search(desc, min_score, enlarged):  # best first
        if refs is None:
            owner, ref_seconds = hit.ref_id, None
        else:
            owner, ref_seconds = split_id(hit.ref_id)[0], refs.seconds.get(hit.ref_id)
        if owner != exclude and owner not in best:
            best[owner] = FrameHit(seconds, ref_seconds, hit)
    return best


def search_video(
    keys: KeyframeSet,
    matcher: RobustMatcher,
    refs: KeyframeRefs | None,
    min_score: int,
    exclude: int | None = None,
) -> dict[int, list[FrameHit]]:
    """Every reference owner some keyframe of ``keys`` verified against, with those pairs."""
    found: dict[int, list[FrameHit]] = defaultdict(list)
    for s, d in keys:
        for owner, fh in search(d, s, matcher, refs, min_score, exclude).items():
            found[owner].append(fh)
    return dict(found)


def frames_needed(query_frames: int, reference_frames: int | None) -> int:
    """Distinct query keyframes that must verify: one against a still (``reference_frames`` None), else
    MIN_FRAMES or every keyframe of the side that has fewer."""
    if reference_frames is None:
        return 1
    return max(1, min(MIN_FRAMES, query_frames, reference_frames))


def accepted(found: Iterable[FrameHit], query_frames: int, reference_frames: int | None) -> bool:
    times = {fh.seconds for fh in found}
    return len(times) >= frames_needed(query_frames, reference_frames)


def evidence(found: list[FrameHit], query_frames: int, reference_frames: int | None) -> dict[str, Any]:
    """A video match's evidence: the best pair's geometry, and every verified pair by time."""
    best = max(found, key=lambda fh: (fh.hit.score, -(fh.seconds or 0.0)))
    out: dict[str, Any] = asdict(best.hit.evidence)
    out.update(
        query_keyframes=query_frames,
        reference_keyframes=reference_frames,
        matched_keyframes=len({fh.seconds for fh in found}),
        frames=[
            {
                "seconds": fh.seconds,
                "reference_seconds": fh.reference_seconds,
                "score": fh.hit.score,
                "rotation_deg": round(fh.hit.evidence.rotation_deg, 2),
                "scale": round(fh.hit.evidence.scale, 4),
                "mirrored": fh.hit.evidence.mirrored,
            }
            for fh in sorted(found, key=lambda fh: (fh.seconds or 0.0, fh.reference_seconds or 0.0))
        ],
    )
    return out


def still_evidence(fh: FrameHit) -> dict[str, Any]:
    """A still's match against a keyframe: the pair's geometry and the keyframe's time."""
    out: dict[str, Any] = asdict(fh.hit.evidence)
    out["reference_seconds"] = fh.reference_seconds
    return out
