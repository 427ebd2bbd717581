"""The demo's video and audio: a unit's known clip and known song, and a messenger export that holds them.

Everything is generated (moving shapes, rendered text, synthetic music and speech-like sound):

- ``reference-media/known-clip.mp4``: 8 s of a generated scene (what ``jejak lists build`` hashes with vPDQ);
  ``reference-media/known-song.m4a``: 15 s of generated music (its Chromaprint fingerprint).
- ``seizure/messenger/``:
  ``VID-20260301-WA0001.mp4``: 30 s of another scene holding the known clip from 12 s, re-encoded at a
  lower quality, with QuickTime make/model/location tags; ``VID-20260304-WA0007.mkv`` a greyscale copy of it;
  ``IMG-20260301-WA0002.png``: frame 30 (3.0 s) of the known clip as a still;
  ``VID-20260302-WA0003.mp4`` and ``VID-20260302-WA0004.mkv``: different pictures whose soundtracks hold the
  known song, at 5 s and at 15 s;
  ``VID-20260303-WA0005.mp4`` and ``PTT-20260303-WA0006.ogg``: an unrelated video and voice note;
  ``VID-20260305-WA0008.mp4``: the known clip re-shared with letterbox bars and a large sticker, enlarged
  (vPDQ finds none of its frames: the robust stage finds it through its keyframes);
  ``IMG-20260305-WA0009.jpg``: frame 40 (4.0 s) of the known clip rotated 4 degrees, cropped 8 % per side
  and enlarged (the robust stage finds it against the clip's keyframes).
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from jejak.testing import audio as gen_audio
from jejak.testing import audio_files
from jejak.testing.videos import (
    VideoSpec,
    decoded_frames,
    render_frame,
    write_variant,
    write_video,
    write_with_clip,
)

MANIFEST = "known-media.json"
CLIP = VideoSpec(width=160, height=120, seconds=8.0, fps=10, gop=10, seed=7)
CLIP_AT = 12.3  # not on the 1-second grid: the seized copy is sampled at another phase than the list
SONG_AT = (5.0, 15.0)


def build_known_media(root: Path, seed: int = 2026) -> dict[str, Any]:
    """Write the files above under ``root``; returns (and writes) their manifest."""
    root = Path(root)
    ref = root / "reference-media"
    msg = root / "seizure" / "messenger"
    ref.mkdir(parents=True, exist_ok=True)
    msg.mkdir(parents=True, exist_ok=True)
    rate = gen_audio.RATE
    clip = CLIP
    write_video(ref / "known-clip.mp4", clip)
    song = gen_audio.music(seed % 1000 + 21, 15.0)
    audio_files.write_audio(ref / "known-song.m4a", song, rate)
    host = VideoSpec(
        width=160,
        height=120,
        seconds=30.0,
        fps=10,
        gop=10,
        seed=3,
        crf=30,
        tags={"make": "Demophone", "model": "DP-7", "location": "+52.3676+004.9041/"},
    )
    write_with_clip(
        msg / "VID-20260301-WA0001.mp4", host, clip_seed=clip.seed, clip_seconds=8.0, offset_seconds=CLIP_AT
    )
    # A greyscale MKV copy of it, as another phone re-shared it: linked to it, and a hit of its own.
    write_variant(
        msg / "VID-20260301-WA0001.mp4",
        msg / "VID-20260304-WA0007.mkv",
        VideoSpec(container="mkv", crf=28),
        grey=True,
    )
    Image.fromarray(render_frame(clip.seed, 30, float(clip.fps), clip.width, clip.height)).save(
        msg / "IMG-20260301-WA0002.png"
    )
    track_a = gen_audio.splice(gen_audio.speech(seed % 1000 + 1, 30.0), song, rate, at=SONG_AT[0])
    track_b = gen_audio.splice(gen_audio.speech(seed % 1000 + 2, 35.0), song, rate, at=SONG_AT[1])
    audio_files.write_video(msg / "VID-20260302-WA0003.mp4", track_a, rate, seed=31)
    audio_files.write_video(msg / "VID-20260302-WA0004.mkv", track_b, rate, seed=41)
    write_video(
        msg / "VID-20260303-WA0005.mp4", VideoSpec(width=160, height=120, seconds=10.0, fps=10, seed=11)
    )
    audio_files.write_audio(msg / "PTT-20260303-WA0006.ogg", gen_audio.speech(seed % 1000 + 9, 20.0), rate)
    reshared = [_reshared(f) for f in decoded_frames(ref / "known-clip.mp4")]
    size = {"width": reshared[0].shape[1], "height": reshared[0].shape[0], "crf": 28}
    write_video(msg / "VID-20260305-WA0008.mp4", replace(clip, **size), reshared)
    edited = _rotate_crop(render_frame(clip.seed, 40, float(clip.fps), clip.width, clip.height))
    Image.fromarray(edited).save(msg / "IMG-20260305-WA0009.jpg", quality=85)
    manifest: dict[str, Any] = {
        "reference": ["reference-media/known-clip.mp4", "reference-media/known-song.m4a"],
        "clip_in": {"file": "seizure/messenger/VID-20260301-WA0001.mp4", "at": CLIP_AT, "seconds": 8.0},
        "grey_copy": "seizure/messenger/VID-20260304-WA0007.mkv",
        "frame_still": {"file": "seizure/messenger/IMG-20260301-WA0002.png", "seconds": 3.0},
        "shared_song": [
            {"file": "seizure/messenger/VID-20260302-WA0003.mp4", "at": SONG_AT[0]},
            {"file": "seizure/messenger/VID-20260302-WA0004.mkv", "at": SONG_AT[1]},
        ],
        "reshared_clip": "seizure/messenger/VID-20260305-WA0008.mp4",
        "edited_frame": {"file": "seizure/messenger/IMG-20260305-WA0009.jpg", "seconds": 4.0},
        "unrelated": [
            "seizure/messenger/VID-20260303-WA0005.mp4",
            "seizure/messenger/PTT-20260303-WA0006.ogg",
        ],
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _reshared(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """A frame as a re-sharing app shows it: doubled in size, black bars of 20 % above and below, and a
    large sticker with a word on it in the top right corner."""
    h, w = rgb.shape[:2]
    big = cv2.resize(rgb, (2 * w, 2 * h), interpolation=cv2.INTER_CUBIC)
    bar = int(0.4 * h)
    out = np.zeros((2 * h + 2 * bar, 2 * w, 3), np.uint8)
    out[bar : bar + 2 * h] = big
    cv2.rectangle(out, (2 * w - 120, bar + 10), (2 * w - 10, bar + 60), (230, 230, 230), -1)
    cv2.putText(out, "SHARE", (2 * w - 115, bar + 45), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 200), 2)
    return out


def _rotate_crop(rgb: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Rotated 4 degrees, 8 % cropped off each side, enlarged to three times the clip's size."""
    h, w = rgb.shape[:2]
    turned = cv2.warpAffine(rgb, cv2.getRotationMatrix2D((w / 2, h / 2), 4, 1.0), (w, h))
    cut = turned[int(0.08 * h) : int(0.92 * h), int(0.08 * w) : int(0.92 * w)]
    return np.asarray(cv2.resize(cut, (3 * w, 3 * h), interpolation=cv2.INTER_CUBIC), np.uint8)
