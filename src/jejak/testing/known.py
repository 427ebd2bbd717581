"""Benign "known material" for the demo and the matching tests: reference pictures, the hash lists that
describe them, and a laptop exhibit holding exact and edited copies of some of them among new pictures.

``build_known_material(root)`` writes

- ``root/seizure/laptop/``: copies of reference pictures as an offender's device would hold them: one
  byte-identical, others recompressed, resized, mirrored, rotated 90 and 180 degrees (the originals are not
  there, so these match by PDQ only), plus pictures no list knows (distractors: new material) and two
  "operating system" files that a known-good list describes;
- ``root/reference/``: the reference pictures themselves, and ``root/seizure/tablet/``: copies edited the
  ways PDQ loses (crop, small rotation, padding, screenshot, mirror plus crop) among new pictures, for the
  robust stage (a list built from ``reference/`` with ``jejak lists build``), and a checkerboard reference's
  copy saved again at JPEG quality 20 (``near_copies``: a near PDQ corroborated by its corners in place);
- ``root/lists/``: a Project VIC VICS 2.0 hash set in two releases (the second removes one entry, changes
  a category and adds one), an ICSE CSV export that disagrees with VICS on one picture's category, a
  PDQ-only list, and an NSRL RDS v3 SQLite file of known-good files.

Everything is procedural (``jejak.testing.images``): shapes, textures, rooms, text; nothing shows a
person. Returns a manifest: which laptop file copies which reference, by which edit, and what triage
should say of it.
"""

from __future__ import annotations

import hashlib
import io
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageOps

from jejak.hashing.pdq import luma_of, pdq_from_luma
from jejak.lists import write_list
from jejak.lists.icse import COLUMNS as ICSE_COLUMNS
from jejak.model import HashValue
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.testing.images import jpeg_bytes, png_bytes, procedural_image

# Scenes whose PDQ survives the edits well (sharp periodic patterns such as stripes, checkers and text can
# move 30+ bits under a mirror: that is PDQ's limit, measured by the robustness benchmark, not this demo's).
REFERENCE_STYLES = ("shapes", "room")
DISTRACTOR_STYLES = ("shapes", "room", "text", "checker", "stripes")
SERIES = "Demo Series Blue"
KNOWN_MANIFEST = "known-manifest.json"


@dataclass(frozen=True)
class Copy:
    reference: int  # index of the reference picture
    edit: str  # exact, recompress, resize, flip, rotate90, rotate180
    path: str  # relative to root


# (reference, edit, file name): what the laptop holds of the references.
COPIES: tuple[tuple[int, str, str], ...] = (
    (0, "exact", "Pictures/saved/0001.jpg"),
    (1, "recompress", "Pictures/saved/0002.jpg"),
    (2, "resize", "Pictures/saved/0003_small.jpg"),
    (3, "flip", "Pictures/saved/0004_mirror.jpg"),
    (4, "rotate90", "Pictures/saved/0005_rot.jpg"),
    (5, "rotate180", "Downloads/upside.png"),
    (6, "exact", "Downloads/0007.jpg"),
)
N_REFERENCES = 8  # reference 7 is listed but not on the laptop
N_DISTRACTORS = 10

# What a tablet holds: copies edited the ways PDQ cannot follow (crop, small rotation, padding, screenshot,
# mirror plus crop, a small thumbnail of a crop). Only the robust stage finds them, against a list built from
# the reference pictures.
HARD_COPIES: tuple[tuple[int, str, str], ...] = (
    (0, "crop10", "Pictures/edit_0001.jpg"),
    (1, "rotate7", "Pictures/edit_0002.jpg"),
    (2, "pad20white", "Pictures/edit_0003.jpg"),
    (3, "screenshot", "Screenshots/Screenshot_20260102.png"),
    (4, "mirror_crop5", "Pictures/edit_0005.jpg"),
    (7, "thumb_crop5", "Pictures/.thumbnails/0008.jpg"),  # found by its enlarged descriptor
)
N_TABLET_DISTRACTORS = 6

# A checkerboard among the unit's references, and its copy saved again at JPEG quality 20 on the tablet:
# PDQ moves 44 bits (past 31) and the verification finds nothing (every square's corner looks like the next),
# but the picture's corners are all still in place: a 'pdq+aligned' hit (seed 2026; see
# ``jejak.match.robust.aligned``). Not in the hash lists: only the unit's list built from media has it.
NEAR_REFERENCE = (10, "checker")  # (picture number, style) for _picture's generator
NEAR_COPY = "WhatsApp/Media/WhatsApp Images/IMG-20260105-WA0003.jpg"


def _picture(seed: int, i: int) -> Image.Image:
    return procedural_image(seed * 7919 + i, 1024, 768, REFERENCE_STYLES[i % len(REFERENCE_STYLES)])


def _edit(img: Image.Image, original: bytes, edit: str) -> bytes:
    if edit == "exact":
        return original
    decoded = Image.open(io.BytesIO(original)).convert("RGB")
    if edit == "recompress":
        return jpeg_bytes(decoded, quality=35)
    if edit == "resize":
        return jpeg_bytes(decoded.resize((512, 384), Image.Resampling.BILINEAR), quality=80)
    if edit == "flip":
        return jpeg_bytes(decoded.transpose(Image.Transpose.FLIP_LEFT_RIGHT), quality=85)
    if edit == "rotate90":
        return jpeg_bytes(decoded.transpose(Image.Transpose.ROTATE_90), quality=85)
    if edit == "rotate180":
        return png_bytes(decoded.transpose(Image.Transpose.ROTATE_180))
    w, h = decoded.size
    if edit == "crop10":
        return jpeg_bytes(decoded.crop((w // 10, h // 10, w - w // 10, h - h // 10)), quality=85)
    if edit == "rotate7":
        return jpeg_bytes(decoded.rotate(7, resample=Image.Resampling.BILINEAR, expand=True), quality=85)
    if edit == "pad20white":
        return jpeg_bytes(ImageOps.expand(decoded, border=w // 5, fill=(255, 255, 255)), quality=85)
    if edit == "screenshot":
        canvas = Image.new("RGB", (1080, 2340), (18, 18, 18))
        shown = decoded.resize((1080, 1080 * h // w), Image.Resampling.BILINEAR)
        canvas.paste(shown, (0, (2340 - shown.height) // 2))
        bars = ImageDraw.Draw(canvas)
        bars.rectangle((0, 0, 1080, 90), fill=(40, 40, 40))
        bars.text((40, 30), "12:00", fill=(230, 230, 230))
        bars.rectangle((0, 2200, 1080, 2340), fill=(40, 40, 40))
        bars.ellipse((500, 2230, 580, 2310), outline=(200, 200, 200), width=4)
        return png_bytes(canvas)
    if edit == "mirror_crop5":
        mirrored = decoded.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        return jpeg_bytes(mirrored.crop((w // 20, h // 20, w - w // 20, h - h // 20)), quality=80)
    if edit == "thumb_crop5":  # a cropped copy's thumbnail, a quarter of the size
        small = decoded.crop((w // 20, h // 20, w - w // 20, h - h // 20)).resize((w // 4, h // 4))
        return jpeg_bytes(small, quality=80)
    raise ValueError(f"unknown edit {edit!r}")


def _digests(data: bytes) -> tuple[HashValue, ...]:
    return (
        HashValue("md5", hashlib.md5(data).hexdigest()),
        HashValue("sha1", hashlib.sha1(data).hexdigest()),
        HashValue("sha256", hashlib.sha256(data).hexdigest()),
    )


def _pdq(data: bytes) -> HashValue:
    value, quality = pdq_from_luma(luma_of(Image.open(io.BytesIO(data))))
    return HashValue("pdq", value, quality)


def _vics_entry(i: int, data: bytes, category: str | None, series: str | None, media_id: int) -> ListEntry:
    return ListEntry(
        hashes=(*_digests(data), _pdq(data)),
        category=Category.parse("vic-us", category),
        series=series,
        victim_identified=i in (1, 2),
        offender_identified=False,
        distributed=True,
        external_id=str(media_id),
        media_type="image",
        size=len(data),
        name=f"reference-{i:02d}.jpg",
    )


def _place(parent: Path, folder: str, rel: str, data: bytes) -> dict[str, str]:
    """Write ``data`` to ``parent/folder/rel``; its manifest record: path ``folder/rel`` and SHA-256."""
    target = parent / folder / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return {"path": f"{folder}/{rel}", "sha256": hashlib.sha256(data).hexdigest()}


def build_known_material(root: Path, seed: int = 2026) -> dict[str, Any]:
    root = Path(root)
    seizure = root / "seizure"
    lists = root / "lists"
    lists.mkdir(parents=True, exist_ok=True)
    originals = [jpeg_bytes(_picture(seed, i), quality=90) for i in range(N_REFERENCES)]
    manifest: dict[str, Any] = {
        "copies": [],
        "distractors": [],
        "known_good": [],
        "lists": {},
        "references": [],
        "hard_copies": [],
        "tablet_distractors": [],
    }

    # The unit's reference pictures themselves (what `jejak lists build` describes for the robust stage).
    for i, data in enumerate(originals):
        manifest["references"].append({"reference": i, **_place(root, "reference", f"ref-{i:02d}.jpg", data)})
    for ref, edit, rel in HARD_COPIES:
        data = _edit(_picture(seed, ref), originals[ref], edit)
        manifest["hard_copies"].append(
            {"reference": ref, "edit": edit, **_place(seizure, "tablet", rel, data)}
        )
    near = jpeg_bytes(
        procedural_image(seed * 7919 + NEAR_REFERENCE[0], 1024, 768, NEAR_REFERENCE[1]), quality=90
    )
    manifest["references"].append(
        {"reference": N_REFERENCES, **_place(root, "reference", f"ref-{N_REFERENCES:02d}.jpg", near)}
    )
    recompressed = jpeg_bytes(Image.open(io.BytesIO(near)).convert("RGB"), quality=20)
    manifest["near_copies"] = [
        {
            "reference": N_REFERENCES,
            "edit": "recompress20",
            **_place(seizure, "tablet", NEAR_COPY, recompressed),
        }
    ]
    for n in range(N_TABLET_DISTRACTORS):
        img = procedural_image(seed * 15_485_863 + n, 900, 700, DISTRACTOR_STYLES[n % len(DISTRACTOR_STYLES)])
        data = jpeg_bytes(img, quality=85)
        manifest["tablet_distractors"].append(_place(seizure, "tablet", f"Pictures/IMG_{n:04d}.jpg", data))

    for ref, edit, rel in COPIES:
        data = _edit(_picture(seed, ref), originals[ref], edit)
        manifest["copies"].append({"reference": ref, "edit": edit, **_place(seizure, "laptop", rel, data)})
    for n in range(N_DISTRACTORS):
        img = procedural_image(
            seed * 104_729 + n, 800, 600, REFERENCE_STYLES[(n + 3) % len(REFERENCE_STYLES)]
        )
        data = jpeg_bytes(img, quality=85)
        manifest["distractors"].append(_place(seizure, "laptop", f"Pictures/camera/IMG_{n:04d}.jpg", data))

    # Two "operating system" files that an NSRL-style known-good list describes.
    os_files = {
        "Windows/Web/Wallpaper/img0.jpg": jpeg_bytes(procedural_image(seed + 17, 1024, 768, "gradient"), 80),
        "Windows/System32/license.rtf": b"{\\rtf1\\ansi Demo operating system licence (synthetic).\\par}\n",
    }
    for rel, data in os_files.items():
        manifest["known_good"].append(_place(seizure, "laptop", rel, data))

    # Project VIC hash set, release 2026-10: references 0-6 with categories; 7 is listed too.
    cats = ["1", "1", "1", "2", "1", "4", "1", None]
    release1 = [
        _vics_entry(i, originals[i], cats[i], SERIES if i in (1, 2, 3) else None, 1000 + i)
        for i in range(N_REFERENCES)
    ]
    header = ListHeader(format="vics", version="2.0", profile="US")
    for name, entries in (
        ("projectvic-2026-10.json", release1),
        ("projectvic-2026-11.json", _release2(release1)),
    ):
        with open(lists / name, "wb") as f:
            write_list(entries, f, "vics", header=header, profile="US")
        manifest["lists"][name] = len(entries)

    # ICSE export: knows reference 6 by MD5/SHA-1 only, in category 2 where VICS says 1 (a conflict).
    icse = [
        ListEntry(
            hashes=_digests(originals[6])[:2],
            external_id="ICSE-IMG-4711",
            series="ICSE demo series",
            distributed=True,
            victim_identified=True,
            offender_identified=False,
            baseline=False,
            media_type="Image",
            category=Category("vic-us", "2"),
        )
    ]
    with open(lists / "icse-export.csv", "wb") as f:  # with the optional category column
        write_list(icse, f, "icse", header=ListHeader("icse", extra={"columns": [*ICSE_COLUMNS, "Category"]}))
    manifest["lists"]["icse-export.csv"] = len(icse)

    # A PDQ-only list (as platforms exchange them): the PDQ of reference 4.
    with open(lists / "platform-pdq.txt", "wb") as f:
        write_list([ListEntry(hashes=(_pdq(originals[4]),))], f, "pdq")
    manifest["lists"]["platform-pdq.txt"] = 1

    # NSRL RDS v3 (SQLite): the two operating-system files are known-good.
    nsrl = lists / "nsrl-rds-demo.db"
    nsrl.unlink(missing_ok=True)
    with sqlite3.connect(nsrl) as db:
        db.execute("CREATE TABLE DISTINCT_HASH (sha256 TEXT, sha1 TEXT, md5 TEXT)")
        db.execute(
            "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, file_name TEXT, "
            "file_size INTEGER, package_id INTEGER)"
        )
        for rel, data in os_files.items():
            md5, sha1, sha256 = (h.value for h in _digests(data))
            db.execute(
                "INSERT INTO DISTINCT_HASH VALUES (?, ?, ?)", (sha256.upper(), sha1.upper(), md5.upper())
            )
            db.execute(
                "INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)",
                (sha256.upper(), sha1.upper(), md5.upper(), "00000000", rel.rsplit("/", 1)[1], len(data), 1),
            )
    db.close()
    manifest["lists"]["nsrl-rds-demo.db"] = len(os_files)
    (root / KNOWN_MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _release2(release1: list[ListEntry]) -> list[ListEntry]:
    """The next release: reference 7 is withdrawn, reference 5 moves from category 4 to 2, and a new
    entry (a hash of nothing on the laptop) is added."""
    out = [e for e in release1 if e.external_id != "1007"]
    out = [
        ListEntry(**{**e.__dict__, "category": Category("vic-us", "2")}) if e.external_id == "1005" else e
        for e in out
    ]
    filler = hashlib.sha256(b"jejak demo: an entry added in the November release").digest()
    out.append(
        ListEntry(
            hashes=(HashValue("md5", filler[:16].hex()), HashValue("sha1", filler[:20].hex())),
            category=Category("vic-us", "1"),
            external_id="1008",
            media_type="image",
        )
    )
    return out
