"""Container metadata of a video (or audio) file, read with PyAV: stream facts, camera, time, place.

What phones and cameras write, and where:

- make and model: QuickTime ``mdta`` keys ``com.apple.quicktime.make`` / ``com.apple.quicktime.model``
  (iPhone), ``com.android.manufacturer`` / ``com.android.model`` (Android's MediaRecorder), plain ``make``
  / ``model`` (cameras, Matroska tags); the first present wins in that order, container tags before
  stream tags. Matroska keeps tag names upper-case: keys are compared case-insensitively.
- creation time: ``com.apple.quicktime.creationdate`` (local time with its UTC offset) before the
  container's ``creation_time`` (UTC), then the video stream's; returned as ISO 8601, with the offset
  when the file gives one.
- place: ISO 6709 strings in ``com.apple.quicktime.location.ISO6709``, ``location`` or ``location-eng``
  (QuickTime ``©xyz``, which Android and Samsung write), e.g. ``+52.3700+004.8900+001.000/``; degrees,
  degrees-minutes and degrees-minutes-seconds forms are read, into a GpsPoint.
- rotation: the display matrix, read from the first decoded frame (PyAV exposes it on frames only):
  counter-clockwise degrees 0/90/180/270 as ``jejak.hashing.video`` applies them, and the displayed size.

``read_container`` never raises: a file PyAV cannot open gives a result whose ``error`` says why, and
a part that cannot be read (a frame that does not decode) is left None.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, BinaryIO

import av
import numpy as np
from av.container import InputContainer
from av.sidedata.sidedata import Type as SideDataType
from av.video.frame import VideoFrame
from av.video.stream import VideoStream

from jejak.model.records import ExifInfo, GpsPoint

__all__ = [
    "TEXT_FORMATS",
    "ContainerInfo",
    "display_transform",
    "media_metadata",
    "parse_iso6709",
    "read_container",
]

_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_TIME_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")
_PLACE_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng")
_SOFTWARE_KEYS = ("com.apple.quicktime.software", "software")
# FFmpeg demuxers that show any text (or a .bin file) as a video of rendered characters
TEXT_FORMATS = frozenset({"tty", "bin", "xbin", "adf", "idf"})


@dataclass(frozen=True)
class ContainerInfo:
    format: str | None = None  # PyAV/FFmpeg demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    duration: float | None = None  # seconds
    video_codec: str | None = None
    fps: float | None = None  # average frame rate
    width: int | None = None  # as displayed (rotation applied)
    height: int | None = None
    rotation: int | None = None  # counter-clockwise degrees the display matrix turns the picture
    creation_time: str | None = None  # ISO 8601
    make: str | None = None
    model: str | None = None
    gps: GpsPoint | None = None
    audio_codec: str | None = None
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    software: str | None = None  # the recording software (iOS version, camera firmware), when stated
    tags: dict[str, str] = field(default_factory=dict)  # every container-level tag, as the file has it
    error: str | None = None


# EXIF orientation of a picture that must be turned counter-clockwise by this many degrees to be shown
_ORIENTATION = {0: 1, 90: 8, 180: 3, 270: 6}


def media_metadata(info: ContainerInfo) -> ExifInfo:
    """The camera, time and place of a container in the record shape images use (``ExifInfo``):
    ``datetime_original`` is the creation time, ``orientation`` the EXIF code of the display rotation,
    and ``extra`` holds the stream facts (duration, codecs, frame rate, audio) that are known."""
    facts = {
        "container": info.format,
        "duration": info.duration,
        "video_codec": info.video_codec,
        "fps": info.fps,
        "rotation": info.rotation,
        "audio_codec": info.audio_codec,
        "audio_sample_rate": info.audio_sample_rate,
        "audio_channels": info.audio_channels,
    }
    return ExifInfo(
        make=info.make,
        model=info.model,
        software=info.software,
        datetime_original=info.creation_time,
        orientation=_ORIENTATION.get(info.rotation) if info.rotation else None,
        gps=info.gps,
        extra={k: v for k, v in facts.items() if v is not None},
    )


def read_container(source: str | os.PathLike[str] | BinaryIO) -> ContainerInfo:
    """Container metadata of a media file (a path or a seekable binary stream); never raises."""
    try:
        container = av.open(os.fspath(source) if isinstance(source, os.PathLike) else source, "r")
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        return ContainerInfo(error=f"cannot open as a media file: {exc}")
    if container.format.name in TEXT_FORMATS:
        container.close()
        return ContainerInfo(
            error=f"not a media file (FFmpeg would render it as {container.format.name} text)"
        )
    try:
        return _read(container)
    except (av.error.FFmpegError, ValueError, ArithmeticError) as exc:
        return ContainerInfo(error=f"cannot read the container: {exc}")
    finally:
        container.close()


def _read(container: InputContainer) -> ContainerInfo:
    tags = {str(k): str(v) for k, v in container.metadata.items()}
    lookup = _Tags(tags)
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    for stream in (video, audio):
        if stream is not None:
            lookup.add(stream.metadata)
    info: dict[str, Any] = {
        "format": container.format.name,
        "duration": container.duration / 1_000_000 if container.duration is not None else None,
        "tags": tags,
        "make": lookup.first(_MAKE_KEYS),
        "model": lookup.first(_MODEL_KEYS),
        "software": lookup.first(_SOFTWARE_KEYS),
        "creation_time": _iso_time(lookup.first(_TIME_KEYS)),
        "gps": next((g for g in map(parse_iso6709, lookup.all(_PLACE_KEYS)) if g is not None), None),
    }
    if video is not None:
        codec = video.codec_context
        rate = video.average_rate or video.base_rate
        info.update(video_codec=codec.codec.canonical_name, fps=float(rate) if rate else None)
        rotation, width, height = _displayed(container, video)
        info.update(
            rotation=rotation, width=width or codec.width or None, height=height or codec.height or None
        )
        if info["duration"] is None and video.duration is not None and video.time_base is not None:
            info["duration"] = float(video.duration * video.time_base)
    if audio is not None:
        acodec = audio.codec_context
        info.update(
            audio_codec=acodec.codec.canonical_name,
            audio_sample_rate=acodec.sample_rate or None,
            audio_channels=acodec.channels or None,
        )
    return ContainerInfo(**info)


def _displayed(container: InputContainer, video: VideoStream) -> tuple[int | None, int, int]:
    """(rotation, displayed width, displayed height) from the first frame that decodes."""
    video.codec_context.thread_count = 1
    try:
        for frame in container.decode(video):
            turns, _mirror = display_transform(frame)
            w, h = frame.width, frame.height
            return turns * 90, (h if turns % 2 else w), (w if turns % 2 else h)
    except av.error.FFmpegError:
        pass
    return None, 0, 0


def display_transform(frame: VideoFrame) -> tuple[int, bool]:
    """(counter-clockwise quarter turns, mirror after turning) that the frame's display matrix asks for.

    The matrix's rotation/scale part is matched against the eight that ``VideoStream.set_display_rotation``
    (FFmpeg's av_display_rotation_set then av_display_matrix_flip) writes; PyAV documents the flip as
    applied after the counter-clockwise rotation. Anything else (a free angle) counts as no turn."""
    side_data: Any = frame.side_data  # PyAV's stub types it as a TypedDict; it is a Mapping keyed by Type
    try:
        data = side_data[SideDataType.DISPLAYMATRIX]
    except KeyError:
        return 0, False
    m = np.frombuffer(bytes(data), dtype="<i4")
    if m.size < 9:
        return 0, False
    signs = tuple(int(np.sign(v)) for v in (m[0], m[1], m[3], m[4]))
    for turns in range(4):
        c, s = ((1, 0), (0, 1), (-1, 0), (0, -1))[turns]
        for mirror in (False, True):
            h = -1 if mirror else 1
            if signs == (c * h, -s, s * h, c):
                return turns, mirror
    return 0, False


class _Tags:
    """Tag lookup, case-insensitive, container tags before stream tags."""

    def __init__(self, first: dict[str, str]) -> None:
        self.layers: list[dict[str, str]] = [{k.lower(): v for k, v in first.items()}]

    def add(self, tags: Any) -> None:
        self.layers.append({str(k).lower(): str(v) for k, v in dict(tags).items()})

    def all(self, keys: tuple[str, ...]) -> list[str]:
        return [v.strip() for layer in self.layers for k in keys if (v := layer.get(k)) and v.strip()]

    def first(self, keys: tuple[str, ...]) -> str | None:
        found = self.all(keys)
        return found[0] if found else None


def _iso_time(text: str | None) -> str | None:
    """ISO 8601 of a container time (``2024-05-06T07:08:09.000000Z``, Apple's ``2024-05-06T09:08:09+0200``,
    Matroska's ``2024-05-06 07:08:09``); the text itself when it cannot be parsed."""
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    return moment.isoformat()


_ISO6709 = re.compile(
    r"^(?P<lat>[+-]\d{2,6}(?:\.\d+)?)(?P<lon>[+-]\d{3,7}(?:\.\d+)?)(?P<alt>[+-]\d+(?:\.\d+)?)?(?:CRS[^/]*)?/?$"
)


def _degrees(text: str, degree_digits: int) -> float | None:
    """±DD[D].D, ±DD[D]MM.M or ±DD[D]MMSS.S (ISO 6709 Annex H) as decimal degrees."""
    sign = -1.0 if text[0] == "-" else 1.0
    whole, _, frac = text[1:].partition(".")
    fraction = float("0." + frac) if frac else 0.0
    extra = len(whole) - degree_digits
    if extra == 0:
        value = int(whole) + fraction
    elif extra == 2:
        value = int(whole[:degree_digits]) + (int(whole[degree_digits:]) + fraction) / 60
    elif extra == 4:
        minutes, seconds = int(whole[degree_digits : degree_digits + 2]), int(whole[degree_digits + 2 :])
        value = int(whole[:degree_digits]) + minutes / 60 + (seconds + fraction) / 3600
    else:
        return None
    return sign * value


def parse_iso6709(text: str) -> GpsPoint | None:
    """A GpsPoint from an ISO 6709 point (``+52.3700+004.8900+001.000/``); None when it is not one or is
    out of range."""
    match = _ISO6709.match(text.strip())
    if match is None:
        return None
    lat = _degrees(match["lat"], 2)
    lon = _degrees(match["lon"], 3)
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    alt = float(match["alt"]) if match["alt"] else None
    return GpsPoint(lat=lat, lon=lon, alt=alt)
