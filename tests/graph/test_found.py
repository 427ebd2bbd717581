"""What ingest stores as identifiers: from plain text, chat exports (messages and senders) and EXIF text."""

from __future__ import annotations

import io
import json

from PIL import Image

from jejak.graph.found import in_exif, in_text
from jejak.metadata.exif import read_exif
from jejak.model.records import FoundIdentifier
from jejak.testing.images import exif_bytes, jpeg_bytes, procedural_image


def _by_kind(found: list[FoundIdentifier]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in found:
        out.setdefault(f.kind, set()).add(f.value)
    return out


def test_plain_text_counts_and_first_spelling() -> None:
    text = b"call +44 20 7946 0000 or +442079460000; site www.example.org/page and www.example.org/page\n"
    found, warning = in_text("notes.txt", text, None, 1 << 20)
    assert warning is None
    phone = next(f for f in found if f.kind == "phone")
    assert (phone.value, phone.count, phone.raw, phone.first_offset, phone.source) == (
        "+442079460000",
        2,
        "+44 20 7946 0000",
        5,
        "text",
    )
    url = next(f for f in found if f.kind == "url")
    assert url.count == 2


def test_a_telegram_export_gives_its_accounts_and_links() -> None:
    doc = {
        "name": "Football",
        "type": "private_group",
        "id": 4242,
        "messages": [
            {"id": 1, "type": "message", "date": "2026-03-01T10:00:00", "from": "Ana", "from_id": "user777",
             "text": ["practice moved, see ", {"type": "link", "text": "https://t.me/+AbCdEf123"}]},
            {"id": 2, "type": "message", "date": "2026-03-01T10:01:00", "from": "Budi", "from_id": "user888",
             "text": "ok @coach_budi"},
        ],
    }  # fmt: skip
    found, warning = in_text("result.json", json.dumps(doc).encode(), None, 1 << 20)
    kinds = _by_kind(found)
    assert warning is None
    assert kinds["account"] == {"telegram:user777", "telegram:user888", "telegram:chat:4242"}
    assert kinds["invite"] == {"telegram:+AbCdEf123"} and kinds["username"] == {"@coach_budi"}
    assert all(f.source == "chat" for f in found)


def test_a_broken_chat_export_is_scanned_as_text_with_a_warning() -> None:
    data = b'{"messages": [ {"text": "see https://example.com/x" '  # cut off
    found, warning = in_text("result.json", data, None, 1 << 20)
    assert warning is not None and "chat export" in warning
    assert _by_kind(found)["url"] == {"https://example.com/x"}


def test_exif_free_text() -> None:
    exif = exif_bytes(make="Demo", description="contact me: demo.person@example.net")
    img = Image.open(io.BytesIO(jpeg_bytes(procedural_image(5, 64, 48), exif=exif)))
    info = read_exif(img)
    assert info is not None and info.extra["image_description"].startswith("contact me")
    (found,) = in_exif(info, None)
    assert (found.kind, found.value, found.source) == ("email", "demo.person@example.net", "exif")
