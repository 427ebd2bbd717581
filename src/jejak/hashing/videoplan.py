"""Which packets to decode for a vPDQ frame sample, and the two loops that decode them.

vPDQ numbers frames in the order the decoder returns them (presentation order) and keeps frame ``n`` when
``n % every == 0``. The *sequential* loop does exactly that: every packet decoded, frames counted.

The *indexed* loop decodes only what the sampled frames need. A demux-only pass over the video stream
(packets are read, not decoded: about 10 ms for 20 s of 1080p H.264 here) gives every packet's pts and
keyframe flag, in decode order. A frame's number is then the rank of its pts among the stream's
(non-discarded) packets, which is what counting decoded frames gives, and each sampled frame's packet has a
keyframe at or before it from which it decodes. For each sample in decode order the planner either keeps
decoding forward from where it is, or seeks to that keyframe when it is ahead and ``distance from the
keyframe + SEEK_COST`` is less than the distance from here. With 1-s GOPs and 1 frame/s a sample costs
one keyframe decode instead of a GOP; with 10-s GOPs it seeks only to skip the end of a GOP. Packets
that are not sampled are sent with ``skip_frame = NONREF``: the decoder drops frames nothing refers to
(non-reference B-frames; with the seeks past GOP ends, 45% of the frames of a 60-s x264 veryfast clip
with 10-s GOPs are never decoded) without touching the others, so the sampled frames come out with the
same pixels as in a full decode (tests/hashing/test_video.py checks every container against the
sequential loop).

The indexed loop needs an index it can trust: every packet with a pts, unique pts, a keyframe first; a
stream without (AVI with MPEG-4 packed B-frames, raw streams) is decoded sequentially.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import av
from av.container import InputContainer
from av.packet import Packet
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

SEEK_COST = 4  # a seek, counted in packets decoded: the demuxer's seek plus the decoder's restart
_MAX_ERRORS = 50  # decode errors before a loop gives up on the rest of the stream

OnFrame = Callable[[VideoFrame, int], None]


@dataclass
class DecodeStats:
    frames_decoded: int = 0
    packets_sent: int = 0
    seeks: int = 0
    errors: int = 0
    last_error: str = ""
    cut_at_limit: bool = False  # the sequential loop stopped at the frame limit with frames left
    warnings: list[str] = field(default_factory=list)

    def error(self, exc: Exception) -> bool:
        """Count a decode error; False when there have been too many to go on."""
        self.errors += 1
        self.last_error = str(exc)
        return self.errors < _MAX_ERRORS


@dataclass
class PacketIndex:
    """The video packets of a stream in decode order (pts, dts, keyframe), from a demux-only pass."""

    pts: list[int]
    dts: list[int | None]
    keyframe: list[bool]
    discard: list[bool]
    complete: bool  # False when demuxing stopped on an error
    error: str = ""

    @property
    def usable(self) -> bool:
        if not self.pts or not self.keyframe[0]:
            return False
        shown = [p for p, d in zip(self.pts, self.discard, strict=True) if not d]
        return len(set(shown)) == len(shown)

    def frame_positions(self) -> list[int]:
        """Decode position of each frame, by frame number (presentation order)."""
        shown = sorted((p, i) for i, (p, d) in enumerate(zip(self.pts, self.discard, strict=True)) if not d)
        return [i for _, i in shown]

    def keyframe_before(self, positions: list[int]) -> dict[int, int]:
        """For each decode position, the keyframe to start decoding from: the last one at or before it in
        decode order whose pts is not after the frame's (an open GOP's leading frames need the GOP before)."""
        keys = [i for i, k in enumerate(self.keyframe) if k]
        out: dict[int, int] = {}
        for pos in positions:
            j = bisect.bisect_right(keys, pos) - 1
            while j > 0 and self.pts[keys[j]] > self.pts[pos]:
                j -= 1
            out[pos] = keys[max(j, 0)]
        return out


def scan(container: InputContainer, stream: VideoStream) -> PacketIndex:
    pts: list[int] = []
    dts: list[int | None] = []
    keyframe: list[bool] = []
    discard: list[bool] = []
    complete, error, usable = True, "", True
    try:
        for packet in container.demux(stream):
            if packet.size == 0:  # the flush packet demux() ends with
                continue
            if packet.pts is None:
                usable = False
                break
            pts.append(packet.pts)
            dts.append(packet.dts)
            keyframe.append(packet.is_keyframe)
            discard.append(packet.is_discard)
    except av.error.FFmpegError as exc:
        complete, error = False, str(exc)
    if not usable:
        pts.clear()
    return PacketIndex(pts, dts, keyframe, discard, complete, error)


def decode_sequential(
    container: InputContainer, stream: VideoStream, every: int, limit: int | None, on_frame: OnFrame
) -> DecodeStats:
    """Decode every packet; frame n (counted as returned) goes to ``on_frame`` when n % every == 0."""
    stats = DecodeStats()
    codec = stream.codec_context
    n = 0
    try:
        for packet in container.demux(stream):
            stats.packets_sent += 1
            try:
                frames = codec.decode(packet if packet.size else None)
            except av.error.FFmpegError as exc:
                if not stats.error(exc):
                    break
                continue
            for frame in frames:
                if limit is not None and n >= limit:
                    stats.cut_at_limit = True
                    return stats
                stats.frames_decoded += 1
                if n % every == 0:
                    on_frame(frame, n)
                n += 1
    except av.error.FFmpegError as exc:
        stats.warnings.append(f"demuxing stopped after {n} frames: {exc}")
    return stats


class _IndexedDecoder:
    """Decodes the packets that given frames need, seeking to keyframes when that is cheaper."""

    def __init__(self, container: InputContainer, stream: VideoStream, index: PacketIndex) -> None:
        self.container = container
        self.stream = stream
        self.codec = stream.codec_context
        self.index = index
        self.position_of = {p: i for i, p in enumerate(index.pts)}
        self.stats = DecodeStats()
        self.packets: Iterator[Packet[Any]] = iter(())  # the demux generator, restarted by each seek
        self.pending: tuple[Packet[Any], int] | None = None  # a packet read ahead (the first after a seek)
        self.next_pos: int | None = None  # decode position after the last packet fed
        self.fed_since_seek = False

    def seek(self, key: int) -> None:
        """Position the demuxer on packet ``key`` (a keyframe), or earlier when the format's index cannot
        land there exactly; decoding forward from an earlier packet is only slower."""
        candidates = [self.index.pts[key]]
        dts = self.index.dts[key]
        if dts is not None and dts < candidates[0]:
            candidates.append(dts)
        for ts in candidates:
            self.container.seek(ts, stream=self.stream, backward=True, any_frame=False)
            self.codec.flush_buffers()
            self.packets = self.container.demux(self.stream)
            self.stats.seeks += 1
            first = self._next_packet()
            if first is not None and first[1] <= key:
                self.pending = first
                self.fed_since_seek = False
                return
        # The index would not land at or before the keyframe: start again from the beginning.
        self.container.seek(self.index.pts[0], stream=self.stream, backward=True)
        self.codec.flush_buffers()
        self.packets = self.container.demux(self.stream)
        self.pending = self._next_packet()
        self.fed_since_seek = False

    def _next_packet(self) -> tuple[Packet[Any], int] | None:
        """The next demuxed packet with its decode position (None at the end of the stream)."""
        while True:
            try:
                packet = next(self.packets)
            except StopIteration:
                return None
            except av.error.FFmpegError as exc:
                self.stats.warnings.append(f"demuxing stopped: {exc}")
                return None
            if packet.size == 0:
                return None
            pos = self.position_of.get(packet.pts) if packet.pts is not None else None
            if pos is None:
                continue  # not in the index (cannot happen with a consistent demuxer): ignore it
            return packet, pos

    def feed_until(self, last: int, wanted: set[int], on_frame: Callable[[VideoFrame], None]) -> None:
        """Decode packets up to and including decode position ``last``; frames whose packet is in
        ``wanted`` are decoded in full, the others may be skipped when nothing refers to them."""
        while True:
            item = self.pending or self._next_packet()
            self.pending = None
            if item is None:
                return
            packet, pos = item
            self.codec.skip_frame = "DEFAULT" if pos in wanted else "NONREF"
            self.stats.packets_sent += 1
            self.fed_since_seek = True
            try:
                frames = self.codec.decode(packet)
            except av.error.FFmpegError as exc:
                if not self.stats.error(exc):
                    return
                frames = []
            for frame in frames:
                self.stats.frames_decoded += 1
                on_frame(frame)
            if pos >= last:
                self.next_pos = pos + 1
                return

    def drain(self, on_frame: Callable[[VideoFrame], None]) -> None:
        """Take the frames the decoder still holds (its reorder delay) before a seek or at the end."""
        if not self.fed_since_seek:
            return
        try:
            for frame in self.codec.decode(None):
                self.stats.frames_decoded += 1
                on_frame(frame)
        except av.error.FFmpegError as exc:
            self.stats.error(exc)
        self.fed_since_seek = False


def decode_indexed(
    container: InputContainer, stream: VideoStream, index: PacketIndex, frames: list[int], on_frame: OnFrame
) -> DecodeStats:
    """Decode the frames numbered ``frames`` (presentation order) and nothing the plan can avoid."""
    positions = index.frame_positions()
    wanted = {positions[n]: n for n in frames}
    by_pts = {index.pts[pos]: n for pos, n in wanted.items()}
    keyframe = index.keyframe_before(list(wanted))
    decoder = _IndexedDecoder(container, stream, index)
    done: set[int] = set()

    def take(frame: VideoFrame) -> None:
        n = by_pts.get(frame.pts) if frame.pts is not None else None
        if n is not None and n not in done:
            done.add(n)
            on_frame(frame, n)

    wanted_positions = set(wanted)
    for target in sorted(wanted):
        if wanted[target] in done:
            continue
        key = keyframe[target]
        here = decoder.next_pos
        if here is None or here > target or (key > here and (target - key) + SEEK_COST < target - here):
            decoder.drain(take)
            decoder.seek(key)
        decoder.feed_until(target, wanted_positions, take)
    decoder.drain(take)
    decoder.codec.skip_frame = "DEFAULT"
    missing = len(wanted) - len(done)
    if missing:
        decoder.stats.warnings.append(f"{missing} of the {len(wanted)} sampled frames did not decode")
    # The first seek (to the stream's first keyframe, where the demuxer already was) is not a real one.
    decoder.stats.seeks = max(0, decoder.stats.seeks - 1)
    return decoder.stats
