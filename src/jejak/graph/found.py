"""Identifiers found in evidence at ingest: text files, chat exports and EXIF text, as ``FoundIdentifier``.

Ingest calls ``in_text`` for every file that looks like text (``looks_like_text``: a chat export, a
saved page, notes, a config file) within the size setting ``identifiers_max_bytes``, and ``in_exif`` for
every picture. A chat export (WhatsApp .txt, Telegram result.json, by ``sniff_chat``) is parsed: the
identifiers in its messages, and its senders' own ids (a Telegram ``user123``, a WhatsApp sender written
as a phone number) as ``account`` and ``phone`` identifiers, so that two seizures holding chats with the
same account link. Any other text is scanned whole. Counts say how often a value occurs; the first
spelling and its offset (characters into the decoded text) are kept as provenance.
"""

from __future__ import annotations

from collections.abc import Iterable

from jejak.graph.chats import SNIFF_BYTES, ChatExport, ChatFormatError, parse_chats, sniff_chat
from jejak.graph.identifiers import Identifier, decode_text, extract, phone_value
from jejak.model.records import ExifInfo, FoundIdentifier

EXIF_FIELDS = ("user_comment", "image_description", "artist", "copyright")
"""Free-text EXIF fields (``ExifInfo.extra``) searched for identifiers."""


def _collect(found: Iterable[tuple[Identifier, int | None]], source: str) -> list[FoundIdentifier]:
    """Group by (kind, value): count, first spelling and offset."""
    first: dict[tuple[str, str], tuple[Identifier, int | None]] = {}
    counts: dict[tuple[str, str], int] = {}
    for ident, offset in found:
        key = (ident.kind, ident.value)
        counts[key] = counts.get(key, 0) + 1
        first.setdefault(key, (ident, offset))
    return [
        FoundIdentifier(kind, value, source, counts[(kind, value)], offset, ident.raw[:500])
        for (kind, value), (ident, offset) in sorted(first.items())
    ]


def in_text(
    name: str, data: bytes, region: str | None, max_bytes: int
) -> tuple[list[FoundIdentifier], str | None]:
    """Identifiers in a text file (``data``: its first ``max_bytes`` at most), and a warning when it
    looked like a chat export but could not be parsed as one (it is then scanned as plain text)."""
    warning = None
    if sniff_chat(name, data[:SNIFF_BYTES]) is not None:
        try:
            chats = parse_chats(name, data, region, max_bytes)
        except ChatFormatError as exc:
            warning = f"chat export cannot be parsed, scanned as text: {exc}"
        else:
            return _chat_identifiers(chats, region), None
    text = decode_text(data, max_bytes)
    return _collect(((i, i.start) for i in extract(text, region)), "text"), warning


def _chat_identifiers(chats: Iterable[ChatExport], region: str | None) -> list[FoundIdentifier]:
    found: list[tuple[Identifier, int | None]] = []
    for chat in chats:
        app = chat.app
        found += [(f.identifier, None) for f in chat.identifiers]
        if chat.chat_id:
            cid = chat.chat_id
            found.append((Identifier("account", f"{app}:chat:{cid}", cid, 0, len(cid)), None))
        for msg in chat.messages:
            sid = msg.sender_id
            if not sid:
                continue
            phone = phone_value(sid, region) if sid.startswith("+") or sid.isdigit() else None
            if phone is not None:
                found.append((Identifier("phone", phone, sid, 0, len(sid)), None))
            else:
                found.append((Identifier("account", f"{app}:{sid.lower()}", sid, 0, len(sid)), None))
    return _collect(found, "chat")


def in_exif(exif: ExifInfo, region: str | None) -> list[FoundIdentifier]:
    """Identifiers in a picture's free-text EXIF fields (the offset counts from the start of the field)."""
    found: list[tuple[Identifier, int | None]] = []
    for key in EXIF_FIELDS:
        value = exif.extra.get(key)
        if isinstance(value, str) and value.strip():
            found += [(i, i.start) for i in extract(value[:65536], region)]
    return _collect(found, "exif")
