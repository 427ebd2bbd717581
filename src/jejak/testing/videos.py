"""Procedural, benign test videos written with PyAV: panning pictures, moving shapes, rendered text.

A video is a sequence of *cuts* (``VideoSpec.cut_seconds`` long). Each cut pans across one procedural
picture from ``jejak.testing.images`` (shapes, textures, stripes, checkerboards, words, empty rooms: never a
person), with a bouncing shape drawn over it and a caption rendered by Pillow that shows the seed and the
time. Frame ``i`` of a spec depends only on (seed, i, fps, size), so a clip rendered on its own and the
same clip placed inside a longer video (``write_with_clip``) carry the same pictures, and a re-encoded,
resized or greyscale copy (``write_variant``) is the same content as far as a perceptual hash goes.

Containers and codecs (``CONTAINERS``): mp4, mov, 3gp and mkv hold H.264 (libx264; 4:4:4 when a side is
odd, as 4:2:0 H.264 needs even sides), webm VP9 (or VP8), avi MPEG-4 part 2; audio is AAC, Opus in webm,
MP3 in avi, AMR-NB with H.263 in 3gp when asked for. Rotation is written as a display matrix, metadata
tags as container tags (``movflags=use_metadata_tags`` for the QuickTime family, so Apple's and Android's
keys survive). Keep test videos tiny (64x48 to 320x240, a few seconds): a 160x120, 3 s MP4 takes about
0.2 s to write here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import numpy.typing as npt
from av.audio.stream import AudioStream
from av.video.stream import VideoStream
from PIL import Image, ImageDraw

from jejak.testing.images import STYLES, procedural_image

RGB = npt.NDArray[np.uint8]

# container -> (PyAV format name, default video codec, default audio codec)
CONTAINERS: dict[str, tuple[str, str, str]] = {
    "mp4": ("mp4", "libx264", "aac"),
    "mov": ("mov", "libx264", "aac"),
    "3gp": ("3gp", "libx264", "aac"),
    "mkv": ("matroska", "libx264", "aac"),
    "webm": ("webm", "libvpx-vp9", "libopus"),
    "avi": ("avi", "mpeg4", "libmp3lame"),
}
_AUDIO_FOR_VIDEO = {"h263": "libopencore_amrnb", "libvpx": "libopus"}
_AUDIO_RATE = {"libopus": 48000, "libopencore_amrnb": 8000}
_QUICKTIME = frozenset({"mp4", "mov", "3gp"})
_SCENE_STYLES = tuple(s for s in STYLES if s != "gradient")  # plain gradients are PDQ quality < 50


@dataclass(frozen=True)
class VideoSpec:
    """What to write. ``gop`` is the keyframe interval in frames (None: the encoder's default, 250 for
    x264); ``rotation`` counter-clockwise degrees of the display matrix (phones write 90 or 270, i.e.
    -90); ``tags`` container metadata (``make``, ``com.apple.quicktime.model``, ``location``,
    ``creation_time``...); ``audio`` "sine" or "noise" adds a mono track; ``faststart`` puts an MP4's index
    first (a truncated copy then still opens)."""

    width: int = 160
    height: int = 120
    seconds: float = 3.0
    fps: int | Fraction = 25
    gop: int | None = None
    container: str = "mp4"
    codec: str | None = None
    seed: int = 0
    cut_seconds: float = 2.0
    rotation: int = 0
    hflip: bool = False
    tags: Mapping[str, str] = field(default_factory=dict)
    audio: str | None = None
    bframes: int | None = None
    crf: int | None = None
    preset: str = "medium"
    faststart: bool = False

    @property
    def frame_count(self) -> int:
        return max(1, round(self.seconds * float(self.fps)))

    @property
    def video_codec(self) -> str:
        return self.codec or CONTAINERS[self.container][1]


# --- pictures ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _backdrop(seed: int, cut: int, width: int, height: int) -> RGB:
    """The picture a cut pans across: 25% larger than the frame, drawn at most 640 px wide and scaled up
    (cheap for 1080p benchmark videos, and the scale-up keeps it smooth)."""
    rng = np.random.default_rng([seed, cut])
    style = _SCENE_STYLES[int(rng.integers(len(_SCENE_STYLES)))]
    big_w, big_h = math.ceil(width * 1.25) + 2, math.ceil(height * 1.25) + 2
    scale = min(1.0, 640 / big_w)
    draw_w, draw_h = max(32, round(big_w * scale)), max(32, round(big_h * scale))
    pic = np.asarray(procedural_image(int(rng.integers(1 << 30)), draw_w, draw_h, style), np.uint8)
    return np.asarray(cv2.resize(pic, (big_w, big_h), interpolation=cv2.INTER_CUBIC), np.uint8)


@lru_cache(maxsize=8)
def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def render_frame(seed: int, index: int, fps: float, width: int, height: int, cut_seconds: float = 2.0) -> RGB:
    """Frame ``index`` of the video drawn from ``seed``: RGB, (height, width, 3)."""
    t = index / fps
    cut = int(t // cut_seconds)
    into = (t - cut * cut_seconds) / cut_seconds  # 0..1 through the cut
    back = _backdrop(seed, cut, width, height)
    rng = np.random.default_rng([seed, cut, 7])
    (x0, y0), (x1, y1) = rng.uniform(0, 1, size=(2, 2))
    span_x, span_y = back.shape[1] - width, back.shape[0] - height
    ox = round((x0 + (x1 - x0) * into) * span_x)
    oy = round((y0 + (y1 - y0) * into) * span_y)
    frame = np.ascontiguousarray(back[oy : oy + height, ox : ox + width])
    # A shape bouncing across the frame, one crossing per cut.
    unit = min(width, height)
    radius = max(2, round(unit * rng.uniform(0.08, 0.16)))
    colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
    phase_x, phase_y = rng.uniform(0, 2 * math.pi, size=2)
    cx = round((0.5 + 0.4 * math.sin(phase_x + 2 * math.pi * into)) * width)
    cy = round((0.5 + 0.4 * math.sin(phase_y + 3 * math.pi * into)) * height)
    cv2.circle(frame, (cx, cy), radius, colour, thickness=-1, lineType=cv2.LINE_AA)
    cv2.rectangle(
        frame, (cx - radius // 2, cy - radius // 2), (cx + radius // 2, cy + radius // 2), (0, 0, 0), 1
    )
    _caption(frame, f"{seed}:{t:05.2f}")
    return frame


def _caption(frame: RGB, text: str) -> None:
    """Rendered text (Pillow) in a box at the bottom left, drawn in place."""
    h, w = frame.shape[:2]
    size = max(8, h // 10)
    box_w, box_h = min(w, int(size * 0.62 * len(text)) + 4), min(h, size + 4)
    patch = Image.new("RGB", (box_w, box_h), (250, 250, 240))
    ImageDraw.Draw(patch).text((2, 1), text, fill=(20, 20, 60), font=_font(size))
    frame[h - box_h :, :box_w] = np.asarray(patch, np.uint8)


def spec_frames(spec: VideoSpec) -> Iterator[RGB]:
    """The frames of a spec, in order."""
    fps = float(spec.fps)
    for i in range(spec.frame_count):
        yield render_frame(spec.seed, i, fps, spec.width, spec.height, spec.cut_seconds)


# --- encoding ---------------------------------------------------------------------------------------------


def _video_options(spec: VideoSpec, codec: str) -> dict[str, str]:
    opts: dict[str, str] = {}
    if codec == "libx264":
        opts["preset"] = spec.preset
        opts["crf"] = str(spec.crf if spec.crf is not None else 23)
        params = []
        if spec.gop is not None:
            params += [f"keyint={spec.gop}", f"min-keyint={spec.gop}", "scenecut=0"]
        if spec.bframes is not None:
            params.append(f"bframes={spec.bframes}")
        if params:
            opts["x264-params"] = ":".join(params)
    elif codec in ("libvpx", "libvpx-vp9"):
        opts.update({"crf": str(spec.crf if spec.crf is not None else 32), "b": "0", "deadline": "realtime"})
        opts["cpu-used"] = "8"
        if spec.gop is not None:
            opts["keyint_min"] = str(spec.gop)
    elif codec in ("mpeg4", "h263"):
        opts["qscale"] = "4"
        if spec.gop is not None:
            opts["sc_threshold"] = "1000000000"
    return opts


def _pix_fmt(spec: VideoSpec, codec: str) -> str:
    if codec == "libx264" and (spec.width % 2 or spec.height % 2):
        return "yuv444p"
    return "yuv420p"


def _add_audio(out: av.container.OutputContainer, spec: VideoSpec, codec: str) -> AudioStream:
    audio_codec = _AUDIO_FOR_VIDEO.get(codec) if spec.container == "3gp" or codec == "libvpx" else None
    audio_codec = audio_codec or CONTAINERS[spec.container][2]
    rate = _AUDIO_RATE.get(audio_codec, 44100)
    stream = out.add_stream(audio_codec, rate=rate)
    if not isinstance(stream, AudioStream):
        raise ValueError(f"{audio_codec} is not an audio codec")
    stream.layout = "mono"
    if audio_codec == "libopencore_amrnb":
        stream.bit_rate = 12200
    return stream


def _audio_frames(stream: AudioStream, spec: VideoSpec) -> Iterator[av.AudioFrame]:
    rate = stream.codec_context.sample_rate
    size = stream.codec_context.frame_size or 1024
    total = math.ceil(spec.seconds * rate)
    rng = np.random.default_rng([spec.seed, 99])
    fmt = stream.codec_context.format.name
    for start in range(0, total, size):
        n = np.arange(start, start + size)
        if spec.audio == "noise":
            wave = rng.uniform(-0.2, 0.2, size)
        else:
            wave = 0.3 * np.sin(2 * math.pi * 440.0 * n / rate)
        if fmt.startswith("s16"):
            data: npt.NDArray[Any] = (wave * 32767).astype(np.int16)[None, :]
        elif fmt.startswith("s32"):
            data = (wave * 2147483647).astype(np.int32)[None, :]
        else:
            data = wave.astype(np.float32)[None, :]
        frame = av.AudioFrame.from_ndarray(data, format=fmt, layout="mono")
        frame.sample_rate = rate
        frame.pts = start
        yield frame


def write_video(path: str | Path, spec: VideoSpec, frames: Iterable[RGB] | None = None) -> Path:
    """Encode ``frames`` (default: the spec's own) into ``path`` as the spec says; returns the path."""
    path = Path(path)
    if spec.container not in CONTAINERS:
        raise ValueError(f"unknown container {spec.container!r}; expected one of {', '.join(CONTAINERS)}")
    fmt = CONTAINERS[spec.container][0]
    codec = spec.video_codec
    options: dict[str, str] = {}
    if spec.container in _QUICKTIME:
        options["movflags"] = "use_metadata_tags" + ("+faststart" if spec.faststart else "")
    with av.open(str(path), "w", format=fmt, options=options) as out:
        for key, value in spec.tags.items():
            out.metadata[key] = value
        video = out.add_stream(codec, rate=spec.fps, options=_video_options(spec, codec))
        if not isinstance(video, VideoStream):
            raise ValueError(f"{codec} is not a video codec")
        video.width, video.height = spec.width, spec.height
        video.pix_fmt = _pix_fmt(spec, codec)
        video.thread_count = 2
        if spec.gop is not None:
            video.codec_context.gop_size = spec.gop
        if spec.rotation or spec.hflip:
            video.set_display_rotation(spec.rotation, hflip=spec.hflip)
        audio = _add_audio(out, spec, codec) if spec.audio else None
        if audio is not None:  # the whole soundtrack first: the muxer interleaves by timestamp
            for aframe in _audio_frames(audio, spec):
                out.mux(audio.encode(aframe))
            out.mux(audio.encode(None))
        planar = video.pix_fmt == "yuv420p" and spec.width % 2 == 0 and spec.height % 2 == 0
        for i, rgb in enumerate(frames if frames is not None else spec_frames(spec)):
            if planar:  # OpenCV's BT.601 limited-range I420 is swscale's, at a third of the time
                i420 = np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420), np.uint8)
                vframe = av.VideoFrame.from_ndarray(i420, format="yuv420p")
            else:
                vframe = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            vframe.pts = i
            out.mux(video.encode(vframe))
        out.mux(video.encode(None))
    return path


def write_with_clip(
    path: str | Path, spec: VideoSpec, clip_seed: int, clip_seconds: float, offset_seconds: float
) -> Path:
    """A video of ``spec`` (its seed is the filler) whose frames from ``offset_seconds`` on, for
    ``clip_seconds``, are the first frames of the video drawn from ``clip_seed`` at the same size and rate:
    what ``write_video(VideoSpec(seed=clip_seed, seconds=clip_seconds, ...))`` holds."""
    fps = float(spec.fps)
    first = round(offset_seconds * fps)
    last = first + round(clip_seconds * fps)

    def frames() -> Iterator[RGB]:
        for i in range(spec.frame_count):
            if first <= i < last:
                yield render_frame(clip_seed, i - first, fps, spec.width, spec.height, spec.cut_seconds)
            else:
                yield render_frame(spec.seed, i, fps, spec.width, spec.height, spec.cut_seconds)

    return write_video(path, spec, frames())


def decoded_frames(path: str | Path) -> Iterator[RGB]:
    """Every frame of a video's first video stream as RGB, as stored (no rotation)."""
    with av.open(str(path)) as src:
        for frame in src.decode(video=0):
            yield np.asarray(frame.to_ndarray(format="rgb24"), np.uint8)


def write_variant(
    src: str | Path,
    path: str | Path,
    spec: VideoSpec,
    *,
    width: int | None = None,
    height: int | None = None,
    grey: bool = False,
    transform: Callable[[RGB], RGB] | None = None,
) -> Path:
    """Re-encode ``src`` with ``spec``'s container, codec and quality (its size, seed and seconds are
    ignored): optionally resized (area interpolation), greyscale, or passed through ``transform``."""
    with av.open(str(src)) as probe:
        stream = probe.streams.video[0]
        rate = stream.average_rate or Fraction(25)
        w, h = stream.codec_context.width, stream.codec_context.height
    out_w, out_h = width or w, height or h

    def frames() -> Iterator[RGB]:
        for decoded in decoded_frames(src):
            rgb = decoded
            if (out_w, out_h) != (w, h):
                rgb = np.asarray(cv2.resize(rgb, (out_w, out_h), interpolation=cv2.INTER_AREA), np.uint8)
            if grey:
                rgb = np.repeat(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[:, :, None], 3, axis=2)
            if transform is not None:
                rgb = transform(rgb)
            yield rgb

    target = replace(spec, width=out_w, height=out_h, fps=rate, audio=None)
    return write_video(path, target, frames())
