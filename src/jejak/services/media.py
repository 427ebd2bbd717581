"""The video and audio stages of matching: vPDQ and Chromaprint against list entries built from media,
stills against the frames of known videos, and links between the videos and recordings of a case.

Every stage reads descriptors stored at ingest (``content_descriptor``) and at ``jejak lists build`` or
``jejak lists import --format vpdq`` (``entry_descriptor``), so matching never needs the evidence again.

- **Video against lists** (algorithm ``vpdq``): the frames of every known video are stacked in one bank; a
  seized video's unique frame hashes are compared with the whole bank at once (``within``: XOR and popcount
  on 64-bit words), and only the known videos some of whose frames were hit are compared in full with
  ``compare_videos`` (Meta's vPDQ rule: shares of both sides' unique frames, thresholds from Settings). A hit
  carries both shares, the matched time ranges on both sides and the offset.
- **Stills against video frames** (``vpdq.frame``): each image's PDQ against the same bank: a still that is
  a frame of a known video is a hit, with the frame's time.
- **Audio against lists** (``chromaprint``): an ``AudioIndex`` of the entries' fingerprints, searched with
  each seized fingerprint; a hit carries the shared segments with their times on both sides.
- **Links inside the case** (``media_link``): videos that share a clip (either side's share at the
  reference threshold) and recordings that share an audio segment, whatever their pictures.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from jejak.config import Settings
from jejak.errors import ConfigError, NotFound
from jejak.hashing.audio import NAME as AUDIO_NAME
from jejak.hashing.audio import AudioFingerprint
from jejak.hashing.keyframes import NAME as KEYFRAMES_NAME
from jejak.hashing.keyframes import KeyframeSet
from jejak.hashing.preview import gentle
from jejak.hashing.robust import ENLARGED_NAME, query_pair
from jejak.hashing.robust import NAME as ROBUST_NAME
from jejak.hashing.video import NAME as VPDQ_NAME
from jejak.lists.vpdq import parse_vpdq
from jejak.match.audio import MatchParams, Segment
from jejak.match.audio_index import AudioIndex
from jejak.match.keyframes import STILL_NAME, KeyframeRefs, accepted, search, search_video, still_evidence
from jejak.match.keyframes import evidence as keyframe_evidence
from jejak.match.video import Verdict, VideoMatch, compare_videos, hash_words, within
from jejak.model.lists import Category, Hit
from jejak.model.video import FrameHash
from jejak.store.media import MediaLink
from jejak.store.sql import Store

FRAME_NAME = "vpdq.frame"
"""Algorithm of a still image that is a frame of a known video."""

MIN_CANDIDATE_FRAMES = 2
"""Frames of a known video that must be hit before it is compared in full."""


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class _Bank:
    """Frame hashes of many videos stacked: (n, 4) words, each row's owner and frame."""

    words: NDArray[np.uint64]
    row_owner: NDArray[np.int64]
    row_frame: list[FrameHash]

    @staticmethod
    def of(videos: dict[int, list[FrameHash]], quality: int) -> _Bank:
        rows: list[FrameHash] = []
        owner: list[int] = []
        for key, frames in videos.items():
            kept = [f for f in frames if f.quality >= quality]
            rows += kept
            owner += [key] * len(kept)
        return _Bank(hash_words([f.pdq for f in rows]), np.asarray(owner, np.int64), rows)

    def hit_owners(self, frames: Sequence[FrameHash], settings: Settings) -> list[int]:
        """Videos of the bank with at least MIN_CANDIDATE_FRAMES frames within distance of ``frames``."""
        kept = sorted({f.pdq for f in frames if f.quality >= settings.vpdq_quality})
        if not kept or not len(self.words):
            return []
        _q, r_hit, _n = within(hash_words(kept), self.words, settings.vpdq_distance)
        owners, counts = np.unique(self.row_owner[r_hit], return_counts=True)
        return [int(o) for o, c in zip(owners, counts, strict=True) if c >= MIN_CANDIDATE_FRAMES]


def _step(frames: Sequence[FrameHash]) -> float:
    """The usual time between two frames of a hash list (0 when it cannot be told)."""
    times = np.unique(np.fromiter((f.seconds for f in frames), np.float64, len(frames)))
    return float(np.median(np.diff(times))) if len(times) > 1 else 0.0


def _thin(frames: list[FrameHash], step: float) -> list[FrameHash]:
    """The first frame of each ``step``-second bucket: a list hashed at every frame seen at our rate."""
    out: list[FrameHash] = []
    last = -1
    for f in sorted(frames, key=lambda f: (f.seconds, f.frame)):
        bucket = int(f.seconds / step + 1e-6)
        if bucket != last:
            out.append(f)
            last = bucket
    return out


def _compare(query: list[FrameHash], ref: list[FrameHash], settings: Settings) -> VideoMatch:
    """Meta's vPDQ comparison across frame rates. A known video hashed more densely than the seized one
    (``lists build`` hashes every frame by default, ``video_reference_fps``, as Meta's sample files do) is
    compared whole, and its share counts the stretches of the query's step that hold a matched frame: a
    seized copy sampled once a second at another phase (a clip cut at 12.3 s) still finds a reference
    frame within a fraction of a second of each of its own. A seized video hashed more densely than the
    reference is thinned to the reference's rate first."""
    qs, rs = _step(query), _step(ref)
    coverage = None
    if qs > 0 and rs > 0:
        if qs > 1.5 * rs:
            coverage = qs  # a dense reference: every query frame finds a near one, whatever its phase
        elif rs > 1.5 * qs:
            query = _thin(query, rs)
    return compare_videos(
        query,
        ref,
        distance=settings.vpdq_distance,
        quality=settings.vpdq_quality,
        reference_threshold=settings.vpdq_reference_share,
        query_threshold=settings.vpdq_query_share,
        coverage_step=coverage,
    )


def _video_evidence(m: VideoMatch) -> dict[str, Any]:
    return {
        "verdict": str(m.verdict),
        "query_share": round(m.query_share, 4),
        "reference_share": round(m.reference_share, 4),
        "query_frames": m.query_unique,
        "reference_frames": m.reference_unique,
        "query_ranges": [[round(r.start, 3), round(r.end, 3)] for r in m.query_ranges],
        "reference_ranges": [[round(r.start, 3), round(r.end, 3)] for r in m.reference_ranges],
        "offset": None if m.offset is None else round(m.offset, 3),
    }


def _segments(segs: Sequence[Segment]) -> list[dict[str, float]]:
    return [
        {
            "query_start": round(s.query_start, 2),
            "query_end": round(s.query_end, 2),
            "reference_start": round(s.ref_start, 2),
            "reference_end": round(s.ref_end, 2),
            "offset": round(s.offset, 2),
            "ber": round(s.ber, 4),
            "score": round(s.score, 4),
        }
        for s in segs
    ]


def _parse_videos(items: Sequence[tuple[int, bytes]]) -> tuple[dict[int, list[FrameHash]], int]:
    out: dict[int, list[FrameHash]] = {}
    bad = 0
    for key, blob in items:
        try:
            out[key] = parse_vpdq(blob.decode("ascii"), f"descriptor {key}")
        except (ValueError, UnicodeDecodeError):
            bad += 1
    return out, bad


def _parse_audio(items: Sequence[tuple[int, bytes]]) -> tuple[dict[int, AudioFingerprint], int]:
    out: dict[int, AudioFingerprint] = {}
    bad = 0
    for key, blob in items:
        try:
            out[key] = AudioFingerprint.from_bytes(blob)
        except ValueError:
            bad += 1
    return out, bad


def _audio_params(settings: Settings) -> MatchParams:
    return MatchParams(max_ber=settings.audio_max_ber, min_seconds=settings.audio_min_segment)


@dataclass(frozen=True)
class CaseMedia:
    """The case's video frame hashes and audio fingerprints by content id, read and parsed once for
    both the list stages and the links, with the number of descriptors of each that do not parse."""

    videos: dict[int, list[FrameHash]]
    recordings: dict[int, AudioFingerprint]
    keyframes: dict[int, KeyframeSet] = field(default_factory=dict)
    bad_videos: int = 0
    bad_recordings: int = 0
    bad_keyframes: int = 0

    @staticmethod
    def load(store: Store, case_id: int) -> CaseMedia:
        videos, bad_v = _parse_videos(list(store.matches.case_descriptors(case_id, VPDQ_NAME)))
        recordings, bad_a = _parse_audio(list(store.matches.case_descriptors(case_id, AUDIO_NAME)))
        keyframes: dict[int, KeyframeSet] = {}
        bad_k = 0
        for cid, blob in store.matches.case_descriptors(case_id, KEYFRAMES_NAME):
            try:
                keyframes[cid] = KeyframeSet.from_bytes(blob)
            except ValueError:
                bad_k += 1  # another version: re-ingest to use it
        return CaseMedia(videos, recordings, keyframes, bad_v, bad_a, bad_k)


def media_hits(
    store: Store,
    settings: Settings,
    media: CaseMedia,
    stills: Sequence[tuple[int, str]],
    skip: set[tuple[int, int]],
) -> tuple[list[Hit], dict[str, Any]]:
    """Video, frame and audio hits of the case's media (``stills``: (content id, PDQ) of its images that
    pass the quality gate) against list entries built from media (pairs in ``skip`` already hit by an
    earlier stage), and a report of what was compared."""
    hits: list[tuple[int, int, str, int, dict[str, Any]]] = []
    report: dict[str, Any] = {}
    ref_videos, bad_refs = _parse_videos(list(store.lists.entry_descriptors(VPDQ_NAME)))
    case_videos = media.videos
    if ref_videos:
        bank = _Bank.of(ref_videos, settings.vpdq_quality)
        compared = 0
        for cid, frames in case_videos.items():
            for entry in bank.hit_owners(frames, settings):
                if (cid, entry) in skip:
                    continue
                compared += 1
                m = _compare(frames, ref_videos[entry], settings)
                if m.verdict in (Verdict.MATCH, Verdict.EXCERPT):
                    distance = round(100 * (1 - max(m.reference_share, m.query_share)))
                    hits.append((cid, entry, VPDQ_NAME, distance, _video_evidence(m)))
        frame_hits = _frame_hits(settings, stills, bank, skip)
        hits += frame_hits
        report["video"] = {
            "references": len(ref_videos),
            "videos": len(case_videos),
            "compared": compared,
            "unreadable": bad_refs + media.bad_videos,
            "frame_hits": len(frame_hits),
        }
    ref_audio, bad_ra = _parse_audio(list(store.lists.entry_descriptors(AUDIO_NAME)))
    case_audio = media.recordings
    if ref_audio:
        index = AudioIndex(_audio_params(settings))
        for entry, fp in ref_audio.items():
            index.add(str(entry), fp)
        for cid, fp in case_audio.items():
            for ah in index.search(fp):
                entry = int(ah.key)
                if (cid, entry) not in skip:
                    best = max(s.score for s in ah.segments)
                    evidence = {"seconds": round(ah.seconds, 2), "segments": _segments(ah.segments)}
                    hits.append((cid, entry, AUDIO_NAME, round(100 * (1 - best)), evidence))
        report["audio"] = {
            "references": len(ref_audio),
            "recordings": len(case_audio),
            "unreadable": bad_ra + media.bad_recordings,
        }
    owner = store.lists.active_entry_lists([entry for _c, entry, *_ in hits])
    out = [
        Hit(cid, entry, owner[entry], alg, dist, None, ev)
        for cid, entry, alg, dist, ev in hits
        if entry in owner
    ]
    return out, report


def _frame_hits(
    settings: Settings, stills: Sequence[tuple[int, str]], bank: _Bank, skip: set[tuple[int, int]]
) -> list[tuple[int, int, str, int, dict[str, Any]]]:
    """Stills of the case whose PDQ is within distance of a frame of a known video: the closest frame."""
    if not stills or not len(bank.words):
        return []
    words = hash_words([v for _c, v in stills])
    out: list[tuple[int, int, str, int, dict[str, Any]]] = []
    for i, (cid, _v) in enumerate(stills):
        dist = np.zeros(len(bank.words), np.uint16)
        for w in range(4):
            dist += np.bitwise_count(bank.words[:, w] ^ words[i, w]).astype(np.uint16)
        close = np.flatnonzero(dist <= settings.vpdq_distance)
        best: dict[int, int] = {}
        for row in close[np.argsort(dist[close], kind="stable")]:
            best.setdefault(int(bank.row_owner[row]), int(row))
        for entry, row in best.items():
            if (cid, entry) in skip:
                continue
            f = bank.row_frame[row]
            out.append(
                (cid, entry, FRAME_NAME, int(dist[row]), {"frame": f.frame, "seconds": round(f.seconds, 3)})
            )
    return out


def link_case_media(
    store: Store, settings: Settings, case_id: int, media: CaseMedia | None = None
) -> dict[str, int]:
    """Find the case's videos that share a clip and recordings that share audio (``media``: already
    loaded, else read here); replace the case's media links with them. Returns counts by algorithm."""
    links: list[MediaLink] = []
    media = media or CaseMedia.load(store, case_id)
    videos = media.videos
    if len(videos) > 1:
        bank = _Bank.of(videos, settings.vpdq_quality)
        seen: set[tuple[int, int]] = set()
        for a, frames in videos.items():
            for b in bank.hit_owners(frames, settings):
                pair = (min(a, b), max(a, b))
                if a == b or pair in seen:
                    continue
                seen.add(pair)
                m = _compare(videos[pair[0]], videos[pair[1]], settings)
                share = max(m.query_share, m.reference_share)
                if share >= settings.vpdq_reference_share:
                    links.append(MediaLink(pair[0], pair[1], VPDQ_NAME, round(share, 4), _video_evidence(m)))
    recordings = media.recordings
    if len(recordings) > 1:
        index = AudioIndex(_audio_params(settings))
        for cid, fp in recordings.items():
            index.add(str(cid), fp)
        best: dict[tuple[int, int], tuple[float, list[Segment]]] = {}
        for a, fp in recordings.items():
            for ah in index.search(fp):
                b = int(ah.key)
                if a == b:
                    continue
                pair, segs = _oriented(a, b, ah.segments)
                if pair not in best or ah.seconds > best[pair][0]:
                    best[pair] = (ah.seconds, segs)
        links += _audio_links(best)
    links += _links_elsewhere(store, settings, case_id, media)
    if settings.robust_enabled and media.keyframes:
        links += _keyframe_links(
            store, settings, case_id, media.keyframes, {(x.content_a, x.content_b) for x in links}
        )
    algorithms = (VPDQ_NAME, AUDIO_NAME, KEYFRAMES_NAME, STILL_NAME)
    store.media.replace_links(case_id, algorithms, links, _now(), outside=(VPDQ_NAME, AUDIO_NAME))
    return {alg: sum(x.algorithm == alg for x in links) for alg in algorithms}


def _oriented(a: int, b: int, segments: Sequence[Segment]) -> tuple[tuple[int, int], list[Segment]]:
    """The pair (smaller id first) and the segments with their times as (content_a, content_b)."""
    segs = list(segments)
    if a > b:
        segs = [
            Segment(
                s.ref_start, s.ref_end, s.query_start, s.query_end, -s.offset, s.ber, s.information, s.bits
            )
            for s in segs
        ]
    return (min(a, b), max(a, b)), segs


def _audio_links(best: dict[tuple[int, int], tuple[float, list[Segment]]]) -> list[MediaLink]:
    out = []
    for (a, b), (seconds, segs) in sorted(best.items()):
        score = max(s.score for s in segs)
        evidence = {"seconds": round(seconds, 2), "segments": _segments(segs)}
        out.append(MediaLink(a, b, AUDIO_NAME, round(score, 4), evidence))
    return out


def _links_elsewhere(store: Store, settings: Settings, case_id: int, media: CaseMedia) -> list[MediaLink]:
    """Links from the case's videos and recordings to those of every other case of the store (a clip or
    a soundtrack shared across seizures): the same comparisons as inside the case."""
    links: list[MediaLink] = []
    if media.videos:
        others, _bad = _parse_videos(list(store.matches.case_descriptors(case_id, VPDQ_NAME, others=True)))
        if others:
            bank = _Bank.of(others, settings.vpdq_quality)
            for a, frames in media.videos.items():
                for b in bank.hit_owners(frames, settings):
                    lo, hi = (frames, others[b]) if a < b else (others[b], frames)
                    m = _compare(lo, hi, settings)
                    share = max(m.query_share, m.reference_share)
                    if share >= settings.vpdq_reference_share:
                        links.append(
                            MediaLink(min(a, b), max(a, b), VPDQ_NAME, round(share, 4), _video_evidence(m))
                        )
    if media.recordings:
        elsewhere, _bad = _parse_audio(list(store.matches.case_descriptors(case_id, AUDIO_NAME, others=True)))
        if elsewhere:
            index = AudioIndex(_audio_params(settings))
            for cid, fp in elsewhere.items():
                index.add(str(cid), fp)
            best: dict[tuple[int, int], tuple[float, list[Segment]]] = {}
            for a, fp in media.recordings.items():
                for ah in index.search(fp):
                    pair, segs = _oriented(a, int(ah.key), ah.segments)
                    if pair not in best or ah.seconds > best[pair][0]:
                        best[pair] = (ah.seconds, segs)
            links += _audio_links(best)
    return links


def _keyframe_links(
    store: Store,
    settings: Settings,
    case_id: int,
    videos: dict[int, KeyframeSet],
    linked: set[tuple[int, int]],
) -> list[MediaLink]:
    """Links through the robust stage: videos whose keyframes verify against each other's (edits vPDQ
    misses: a large logo, bars), and stills that are edited frames of one of the case's videos. Pairs in
    ``linked`` (already linked by vPDQ or audio) are not linked twice."""
    refs = KeyframeRefs()
    for cid, keys in videos.items():
        refs.add(cid, keys)
    matcher = refs.matcher(settings.robust_shortlist)
    min_score = settings.robust_min_score
    best: dict[tuple[int, int], MediaLink] = {}

    def keep(link: MediaLink) -> None:
        pair = (link.content_a, link.content_b)
        if pair not in linked and (pair not in best or link.score > best[pair].score):
            best[pair] = link

    for a, keys in videos.items():
        for b, pairs in search_video(keys, matcher, refs, min_score, exclude=a).items():
            n_b = refs.counts.get(b, 0)
            if accepted(pairs, len(keys), n_b):
                ev = keyframe_evidence(pairs, len(keys), n_b)
                ev["query"] = "a" if a < b else "b"
                keep(MediaLink(min(a, b), max(a, b), KEYFRAMES_NAME, _score(ev["score"]), ev))
    for cid, blob, extra in store.matches.case_descriptor_pairs(case_id, ROBUST_NAME, ENLARGED_NAME):
        try:
            desc, big = query_pair(blob, extra)
        except ValueError:
            continue
        for video, fh in search(desc, None, matcher, refs, min_score, exclude=cid, enlarged=big).items():
            ev = still_evidence(fh)
            ev["video"] = "a" if video < cid else "b"
            keep(MediaLink(min(cid, video), max(cid, video), STILL_NAME, _score(ev["score"]), ev))
    return sorted(best.values(), key=lambda x: (x.content_a, x.content_b, x.algorithm))


def _score(inliers: int) -> float:
    """A link's score in [0, 1] from a robust verification's consistent inliers: the acceptance
    threshold (14 by default) gives about 0.5, 60 or more give 0.9 and up."""
    return round(min(1.0, inliers / (inliers + 14.0)), 4)


# -- assertions and previews over media (the CLI's segment and preview commands) -------------------------


_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")


def resolve_content(store: Store, case: str | None, ref: str) -> str:
    """A content's SHA-256 from ``ref``: a SHA-256 itself, or (with ``case``) the name or the end of the
    readable path of one of the case's files."""
    if _SHA256.match(ref):
        return ref.lower()
    if case is None:
        raise ConfigError(f"{ref!r} is not a SHA-256: give --case to find it by file name")
    row = store.get_case(case)
    found = {
        str(f["sha256"])
        for f in store.iter_files(row.id)
        if f["sha256"] is not None and (f["name"] == ref or str(f["path"]).endswith(ref))
    }
    if not found:
        raise NotFound(f"no file named {ref!r} in case {case}")
    if len(found) > 1:
        raise ConfigError(f"{len(found)} different files in case {case} are named {ref!r}: give the SHA-256")
    return found.pop()


def add_segment(
    store: Store,
    case: str,
    sha256: str,
    start: float,
    end: float,
    category: Category | None,
    note: str | None,
    by: str,
) -> dict[str, Any]:
    """Categorise a time range of a video of the case (a VICS ``Segment``)."""
    row = store.get_case(case)
    sha256 = resolve_content(store, case, sha256)
    cid = store.media.content_id(sha256, row.id)
    if not 0 <= start < end:
        raise ConfigError(f"a segment needs 0 <= --start < --end, not {start}..{end}")
    key = (category.scheme, category.code) if category else None
    sid = store.media.add_segment(cid, start, end, key, note, by, _now())
    return {"id": sid, "sha256": sha256.lower(), "start": start, "end": end, "category": category, "by": by}


PREVIEW_KINDS = ("thumbnail", "contact_sheet")
"""The kinds of stored preview, in the order one is looked for: a still's thumbnail, a video's contact
sheet (a content is one or the other)."""

GENTLE_QUALITY = 85
"""JPEG quality of a gentle preview sent as bytes (``preview_bytes``)."""


def stored_preview(store: Store, sha256: str) -> tuple[str, bytes]:
    """The kind and the JPEG bytes, as stored (sharp, in colour), of a content's preview: its thumbnail (a
    still) or its contact sheet (a video); NotFound when none is stored."""
    for kind in PREVIEW_KINDS:
        try:
            return kind, store.media.preview(sha256, kind)
        except NotFound:
            continue
    raise NotFound(f"no preview stored for content {sha256.lower()}")


def preview_image(store: Store, ref: str, case: str | None = None, reveal: bool = False) -> Image.Image:
    """A content's stored preview (``ref`` as ``resolve_content`` reads it): a still's thumbnail or a
    video's contact sheet, greyscale and blurred unless ``reveal``."""
    _kind, data = stored_preview(store, resolve_content(store, case, ref))
    if reveal:
        img = Image.open(io.BytesIO(data))
        img.load()
        return img
    return gentle(data)


def preview_bytes(store: Store, sha256: str, reveal: bool = False, soft: bool = False) -> tuple[bytes, str]:
    """A content's preview as (JPEG bytes, media type): greyscale and blurred (less when ``soft``), or as
    stored when ``reveal``. The caller checks that the content is one it may see, and audits a reveal before
    sending it."""
    _kind, data = stored_preview(store, sha256)
    if reveal:
        return data, "image/jpeg"
    out = io.BytesIO()
    gentle(data, soft).save(out, "JPEG", quality=GENTLE_QUALITY)
    return out.getvalue(), "image/jpeg"
