"""A benign multi-agency scenario for link analysis: two agencies, three seizures, and the links between them.

Everything is generated (procedural pictures, synthetic music and speech, invented identifiers). Written by
``build_agencies(root)`` under ``root``:

- ``nl-phone/`` (case NL-1 of "Politie NL"):
  ``IMG_0001.jpg``, a Canon EOS 80D body serial 084021001234, GPS in Amsterdam;
  ``IMG_0002.jpg``, the picture an investigator will assert as showing victim V-12;
  ``IMG_0004.jpg``, a generated room (no people: walls, bed, furniture) an investigator will assert as
  showing victim V-31;
  ``WhatsApp Chat with Dewi.txt``, a chat export holding a group invite link and a phone number;
  ``VID_0003.mp4``, a video whose soundtrack holds a song from 4 s.
- ``id-laptop/`` (case ID-7 of "Polri ID"):
  ``foto_a.jpg``, a smaller, recompressed copy of IMG_0002 (near-duplicate: the V-12 suggestion);
  ``foto_b.jpg``, another picture taken 40 m from IMG_0001 (same place);
  ``catatan.txt``, notes that repeat the chat's invite link (same identifier);
  ``kamar.jpg``, a generated room photographed from another viewpoint than NL-1's ``IMG_0004.jpg`` (same
  scene, when ``scene_enabled``).
- ``id-phone/`` (case ID-9 of "Polri ID"):
  ``DSC_0100.jpg``, another picture from the same Canon body (same camera);
  ``klip.mp4``, other pictures over the same song from 10 s (shared audio);
  ``foto_d.jpg``, a brightened copy of IMG_0002 an investigator will reject for V-12 (the rejected
  suggestion that must stay rejected); ``saved_from_@dewi_fc.jpg``, a picture whose file name holds the
  username the chat mentions (same identifier, from a file name).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PIL import Image, ImageEnhance

from jejak.testing import audio as gen_audio
from jejak.testing import audio_files, scenes
from jejak.testing.images import exif_bytes, jpeg_bytes, procedural_image

MANIFEST = "agencies.json"
CANON: dict[str, Any] = {"make": "Canon", "model": "Canon EOS 80D", "serial": "084021001234"}
AMSTERDAM = (52.37000, 4.89000)
NEARBY = (52.37036, 4.89000)  # 40 m north
INVITE = "https://chat.whatsapp.com/KqXb7Demo2026Link"
PHONE = "+62 812-3456-7890"

CHAT = """12/03/2026, 19:02 - Messages and calls are end-to-end encrypted.
12/03/2026, 19:03 - Dewi: hi, the football group moved, join here {invite}
12/03/2026, 19:04 - Rafi: ok. my new number is {phone}
12/03/2026, 19:05 - Dewi: see you saturday at the field, photos go to @dewi_fc
"""
NOTES = """shopping: bread, rice, eggs
football group link (from Rafi): {invite}
"""


def _jpeg(path: Path, img: Image.Image, *, quality: int = 90, **exif: Any) -> None:
    when = datetime(2026, 3, 12, 18, 30, tzinfo=UTC)
    path.write_bytes(jpeg_bytes(img, quality, exif_bytes(datetime_original=when, **exif) if exif else None))


def build_agencies(root: Path) -> dict[str, Any]:
    """Write the three seizures under ``root``; returns (and writes) the manifest."""
    root = Path(root)
    nl, lap, ph = root / "nl-phone", root / "id-laptop", root / "id-phone"
    for d in (nl, lap, ph):
        d.mkdir(parents=True, exist_ok=True)
    victim_picture = procedural_image(4102, 640, 480, "room")
    _jpeg(nl / "IMG_0001.jpg", procedural_image(4101, 640, 480, "shapes"), gps=(*AMSTERDAM, None), **CANON)
    _jpeg(nl / "IMG_0002.jpg", victim_picture)
    (nl / "WhatsApp Chat with Dewi.txt").write_text(CHAT.format(invite=INVITE, phone=PHONE), "utf-8")
    rate = gen_audio.RATE
    song = gen_audio.music(4177, 12.0)
    track_a = gen_audio.splice(gen_audio.speech(4111, 24.0), song, rate, at=4.0)
    track_b = gen_audio.splice(gen_audio.speech(4112, 30.0), song, rate, at=10.0)
    audio_files.write_video(nl / "VID_0003.mp4", track_a, rate, seed=4131)

    small = victim_picture.resize((400, 300), Image.Resampling.LANCZOS)
    _jpeg(lap / "foto_a.jpg", small, quality=70)
    _jpeg(lap / "foto_b.jpg", procedural_image(4201, 640, 480, "texture"), gps=(*NEARBY, None))
    bedroom = scenes.room(4501)  # one room photographed twice, from two places, months apart
    _jpeg(nl / "IMG_0004.jpg", Image.fromarray(scenes.view(bedroom, 1, 0.3)))
    _jpeg(lap / "kamar.jpg", Image.fromarray(scenes.view(bedroom, 2, 0.3)))
    (lap / "catatan.txt").write_text(NOTES.format(invite=INVITE), "utf-8")

    _jpeg(ph / "DSC_0100.jpg", procedural_image(4301, 640, 480, "stripes"), **CANON)
    audio_files.write_video(ph / "klip.mp4", track_b, rate, seed=4331)
    _jpeg(ph / "foto_d.jpg", ImageEnhance.Brightness(victim_picture).enhance(1.15), quality=80)
    _jpeg(ph / "saved_from_@dewi_fc.jpg", procedural_image(4302, 480, 360, "checker"))

    manifest: dict[str, Any] = {
        "cases": {
            "NL-1": {"agency": "Politie NL", "folder": "nl-phone"},
            "ID-7": {"agency": "Polri ID", "folder": "id-laptop"},
            "ID-9": {"agency": "Polri ID", "folder": "id-phone"},
        },
        "victim": {"key": "V-12", "file": "nl-phone/IMG_0002.jpg"},
        "near_duplicate": ["nl-phone/IMG_0002.jpg", "id-laptop/foto_a.jpg"],
        "rejected": "id-phone/foto_d.jpg",
        "scene": ["nl-phone/IMG_0004.jpg", "id-laptop/kamar.jpg"],
        "camera": ["nl-phone/IMG_0001.jpg", "id-phone/DSC_0100.jpg"],
        "place": ["nl-phone/IMG_0001.jpg", "id-laptop/foto_b.jpg"],
        "identifier": {
            "invite": INVITE,
            "files": ["nl-phone/WhatsApp Chat with Dewi.txt", "id-laptop/catatan.txt"],
        },
        "audio": {"files": ["nl-phone/VID_0003.mp4", "id-phone/klip.mp4"], "at": [4.0, 10.0]},
    }
    (root / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
