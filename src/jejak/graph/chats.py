"""Chat exports: WhatsApp's "Export chat" text and Telegram Desktop's JSON, read into one neutral shape.

Link analysis connects the people in a chat, the chat itself and what they wrote: a phone number or
an invite link shared in one seizure's group and found again in another. Both apps export chats in
formats meant for people, so this module reads them into ``ChatExport`` (one chat: its title, id, type,
participants and messages) and runs ``jejak.graph.identifiers.extract`` over every message, keeping the
message index with each find (``Found``; offsets are relative to that message's text).

**WhatsApp** (``WhatsApp Chat with X.txt``, ``_chat.txt`` inside iOS's zip) writes one line per message
start, in the phone's locale:

- Android ``12/01/2024, 10:15 - Alice: text``; iOS ``[12/01/2024, 10:15:33] Alice: text``;
- 12-hour clocks (``10:15 PM``, ``10:15\\u202fpm``, ``10:15 p. m.``), ``.`` or ``-`` between date parts,
  two- or four-digit years, and year-first dates in some locales;
- a message's further lines are written as they are, so a line that does not start a message continues
  the previous one;
- system lines have no sender (``... - Messages and calls are end-to-end encrypted...``), except on iOS,
  where they carry the chat's name as sender and start with a left-to-right mark: those are recognised by
  their wording and reported without a sender (the chat's name becomes the title).

The date order is the locale's and is not written down, so it is inferred per file: if any first field is
above 12 the file is day-first, else if any second field is above 12 it is month-first, else day-first
(the more common order). ``when`` is ISO 8601 ``YYYY-MM-DDTHH:MM[:SS]`` with no time zone: the export has
none, and inventing one would be a claim the evidence does not make. A sender written as a phone number (an
unsaved contact) also gets that number in E.164 as ``sender_id``. A text longer than ``max_bytes`` is
read up to the last whole line and flagged ``truncated``.

**Telegram Desktop** exports JSON: one chat (``{"name", "type", "id", "messages": [...]}``) or the whole
account (``{"chats": {"list": [...]}, "left_chats": {"list": [...]}}``, several chats). A message's
``text`` is a string or a list of strings and entity objects (``{"type": "link", "text": ...}``); the
entities' text is joined into the message text, and a ``text_link``'s target (``href``, not shown in the
text) is kept in ``ChatMessage.hrefs`` and scanned too (``Found.href`` says which). Service messages
(group created, members added) are kept with ``kind="service"`` and their ``action``: the actor and any
members they name are participants. JSON cannot be read in part, so an input above ``max_bytes`` is
refused, as is anything malformed, with ``ChatFormatError`` (a ``ValueError``).

``parse_chats`` returns every chat in an input; ``parse_chat`` the one chat of an input that holds
exactly one (a WhatsApp file, a single Telegram chat), and an error pointing to ``parse_chats`` for a
full Telegram export of several.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jejak.graph.identifiers import Identifier, decode_text, extract, phone_value

__all__ = [
    "DEFAULT_MAX_BYTES",
    "ChatExport",
    "ChatFormatError",
    "ChatMessage",
    "Found",
    "parse_chat",
    "parse_chats",
    "parse_telegram",
    "parse_whatsapp",
    "sniff_chat",
]

DEFAULT_MAX_BYTES = 64 * 1024 * 1024
SNIFF_BYTES = 8192
MAX_SENDER = 100  # characters: a longer "name: " prefix is text that happens to hold a colon


class ChatFormatError(ValueError):
    """The input is not a chat export of the expected format (or is too large to read)."""


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message. ``when`` is ISO 8601 as the export gives it (no time zone added); ``line`` is the
    1-based line of a WhatsApp message's first line (None for Telegram); ``kind`` is ``"message"`` or
    ``"service"`` (system lines, Telegram actions, then ``action`` names it when the export does)."""

    when: str | None
    sender: str | None
    sender_id: str | None
    text: str
    line: int | None
    kind: str = "message"
    action: str | None = None
    message_id: str | None = None
    hrefs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Found:
    """An identifier in message ``message`` (an index into ``ChatExport.messages``): its offsets are in
    that message's ``text``, or in its ``hrefs[href]`` when ``href`` is set."""

    message: int
    identifier: Identifier
    href: int | None = None


@dataclass(frozen=True, slots=True)
class ChatExport:
    """One chat: ``app`` is ``"whatsapp"`` or ``"telegram"``; ``participants`` the sorted unique names of
    senders (and, for Telegram, of actors and the members its service messages name)."""

    app: str
    title: str | None
    chat_id: str | None
    chat_type: str | None
    participants: tuple[str, ...]
    messages: tuple[ChatMessage, ...]
    identifiers: tuple[Found, ...]
    truncated: bool = False


# --- sniffing ------------------------------------------------------------------------------------------

_SPACE = "[ \u202f\u00a0]"
_WA_HEADER_RE = re.compile(
    "^[\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]*"
    r"(?P<bracket>\[)?"
    r"(?P<a>\d{1,4})[/.\-](?P<b>\d{1,2})[/.\-](?P<c>\d{2,4})\.?,?" + _SPACE + "{1,3}"
    r"(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:[:.](?P<s>\d{2}))?"
    r"(?:" + _SPACE + r"?(?P<ampm>[AaPp]\.?" + _SPACE + r"?[Mm]\.?))?"
    r"(?(bracket)\]" + _SPACE + "|" + _SPACE + "{1,3}[-\u2013]" + _SPACE + ")"
    r"(?P<rest>.*)$"
)
_BIDI = "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
_BIDI_RE = re.compile("[" + _BIDI + "]")
_WA_TITLE_RE = re.compile(
    r"^whatsapp[ _-]?chat[ _]+(?:with|-|mit|con|avec|com|dengan|met)[ _]+(?P<title>.+)\.txt$"
    r"|^chat[ _]+(?:de[ _]+)?whatsapp[ _]+(?:with|con|com|avec|dengan|mit|met)[ _]+(?P<title2>.+)\.txt$",
    re.IGNORECASE,
)
# what iOS system lines say (they carry the chat's name as sender): matched after a left-to-right mark
_IOS_SYSTEM = (
    "end-to-end encrypted",
    "created group",
    "created this group",
    "changed the subject",
    "changed the group description",
    "changed this group's icon",
    "changed the group name",
    "added you",
    "joined using this group's invite link",
    "security code",
    "disappearing messages",
)
_ENCRYPTED = "end-to-end encrypted"


def _basename(name: str) -> str:
    return name.replace("\\", "/").rsplit("/", 1)[-1]


def sniff_chat(name: str, head: bytes) -> str | None:
    """``"whatsapp"``, ``"telegram"`` or None, from a file's name and its first bytes."""
    text = decode_text(head[:SNIFF_BYTES], SNIFF_BYTES)
    body = text.lstrip("\ufeff \t\r\n")
    if body.startswith("{"):
        window = body[:SNIFF_BYTES]
        if any(key in window for key in ('"messages"', '"chats"', '"personal_information"')):
            return "telegram"
        return None
    base = _basename(name).lower()
    named = base.endswith(".txt") and ("whatsapp" in base or base == "_chat.txt")
    lines = [line for line in text.split("\n")[:40] if line.strip()]
    if lines and _WA_HEADER_RE.match(lines[0].rstrip("\r")):
        return "whatsapp"
    if named and any(_WA_HEADER_RE.match(line.rstrip("\r")) for line in lines):
        return "whatsapp"
    return None


# --- WhatsApp ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Header:
    line: int
    a: int
    b: int
    c: int
    year_first: bool
    hour: int
    minute: int
    second: int | None
    ampm: str | None
    rest: str


def _header(line_no: int, line: str) -> _Header | None:
    match = _WA_HEADER_RE.match(line)
    if match is None:
        return None
    a = match.group("a")
    second = match.group("s")
    ampm = match.group("ampm")
    return _Header(
        line=line_no,
        a=int(a),
        b=int(match.group("b")),
        c=int(match.group("c")),
        year_first=len(a) > 2,
        hour=int(match.group("h")),
        minute=int(match.group("m")),
        second=int(second) if second is not None else None,
        ampm=ampm.replace(".", "").replace(" ", "").replace("\u202f", "").replace("\u00a0", "").lower()
        if ampm
        else None,
        rest=match.group("rest"),
    )


def _day_first(headers: Iterable[_Header]) -> bool:
    month_first = False
    for header in headers:
        if header.year_first:
            continue
        if header.a > 12:
            return True
        if header.b > 12:
            month_first = True
    return not month_first


def _iso(header: _Header, day_first: bool) -> str | None:
    if header.year_first:
        year, month, day = header.a, header.b, header.c
    else:
        day, month = (header.a, header.b) if day_first else (header.b, header.a)
        year = header.c + 2000 if header.c < 100 else header.c
    hour = header.hour
    if header.ampm is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if header.ampm.startswith("p") else 0)
    try:
        when = datetime(year, month, day, hour, header.minute, header.second or 0)
    except ValueError:
        return None
    return when.strftime("%Y-%m-%dT%H:%M:%S" if header.second is not None else "%Y-%m-%dT%H:%M")


def _split_sender(rest: str) -> tuple[str | None, str, bool]:
    """(sender, text, is a system line) of the part of a header line after its time stamp."""
    sender, sep, text = rest.partition(": ")
    if not sep and rest.endswith(":"):  # an empty message: ``Alice:``
        sender, sep, text = rest[:-1], ":", ""
    name = _BIDI_RE.sub("", sender).strip()
    if not sep or not name or len(name) > MAX_SENDER:
        return None, rest.lstrip(_BIDI), True
    if text.startswith("\u200e") and any(marker in text.lower() for marker in _IOS_SYSTEM):
        return name, text.lstrip(_BIDI), True  # iOS: the chat's name as sender
    return name, text.lstrip(_BIDI), False


def _lines(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        yield number, line.removesuffix("\r")


def parse_whatsapp(
    data: bytes,
    name: str = "",
    default_region: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ChatExport:
    """One WhatsApp "Export chat" text file."""
    truncated = len(data) > max_bytes
    text = decode_text(data, max_bytes)
    if truncated:
        text = text[: text.rfind("\n") + 1]
    rows: list[tuple[int, str, _Header | None]] = []
    for number, line in _lines(text):
        rows.append((number, line, _header(number, line)))
    headers = [h for _, _, h in rows if h is not None]
    if not headers:
        raise ChatFormatError(f"{name or 'input'}: no WhatsApp message line (date, time, sender) found")
    day_first = _day_first(headers)
    base = _basename(name)
    title_match = _WA_TITLE_RE.match(base)
    title = (title_match.group("title") or title_match.group("title2")) if title_match else None

    # (line, when, sender, text lines, system)
    drafts: list[tuple[int, str | None, str | None, list[str], bool]] = []
    for number, line, header in rows:
        if header is None:
            if drafts:
                drafts[-1][3].append(line)
            elif line.strip():  # text before the first message line: the tail of a message cut off
                drafts.append((number, None, None, [line], False))
            continue
        sender, body, system = _split_sender(header.rest)
        if system and sender is not None:
            if title is None and _ENCRYPTED in body.lower():
                title = sender
            sender = None
        drafts.append((number, _iso(header, day_first), sender, [body], system))

    messages: list[ChatMessage] = []
    for line_no, when, sender, parts, system in drafts:
        while len(parts) > 1 and not parts[-1].strip():
            parts.pop()  # blank lines at the end belong to no message
        sender_id = phone_value(sender, default_region) if sender and sender[:1] in "+0" else None
        messages.append(
            ChatMessage(
                when=when,
                sender=sender,
                sender_id=sender_id,
                text="\n".join(parts),
                line=line_no,
                kind="service" if system else "message",
            )
        )
    participants = {m.sender for m in messages if m.sender}
    return _export("whatsapp", title, None, None, participants, messages, default_region, truncated)


# --- Telegram ------------------------------------------------------------------------------------------


def _flatten(value: object, where: str) -> tuple[str, tuple[str, ...]]:
    """A Telegram ``text`` (string, or list of strings and entities) as plain text and link targets."""
    if value is None:
        return "", ()
    if isinstance(value, str):
        return value, ()
    if not isinstance(value, list):
        raise ChatFormatError(f"{where}: text is {type(value).__name__}, expected a string or a list")
    parts: list[str] = []
    hrefs: list[str] = []
    for item in value:
        if isinstance(item, str):
            parts.append(item)
        elif isinstance(item, dict):
            piece = item.get("text", "")
            if not isinstance(piece, str):
                raise ChatFormatError(f"{where}: an entity's text is not a string")
            parts.append(piece)
            href = item.get("href")
            if isinstance(href, str) and href and href != piece:
                hrefs.append(href)
        else:
            raise ChatFormatError(f"{where}: a text part is {type(item).__name__}")
    return "".join(parts), tuple(hrefs)


def _opt_str(value: object, what: str, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ChatFormatError(f"{where}: {what} is {type(value).__name__}, expected a string")
    return str(value)


def _telegram_chat(chat: object, where: str, default_region: str | None) -> ChatExport:
    if not isinstance(chat, dict):
        raise ChatFormatError(f"{where}: a chat is {type(chat).__name__}, expected an object")
    raw_messages = chat.get("messages", [])
    if not isinstance(raw_messages, list):
        raise ChatFormatError(f"{where}: messages is {type(raw_messages).__name__}, expected a list")
    title = _opt_str(chat.get("name"), "name", where)
    chat_id = _opt_str(chat.get("id"), "id", where)
    chat_type = _opt_str(chat.get("type"), "type", where)
    participants: set[str] = set()
    messages: list[ChatMessage] = []
    for index, raw in enumerate(raw_messages):
        at = f"{where}, message {index}"
        if not isinstance(raw, dict):
            raise ChatFormatError(f"{at}: {type(raw).__name__}, expected an object")
        service = raw.get("type") == "service"
        sender = _opt_str(raw.get("actor" if service else "from"), "sender", at)
        sender_id = _opt_str(raw.get("actor_id" if service else "from_id"), "sender id", at)
        text, hrefs = _flatten(raw.get("text"), at)
        if sender:
            participants.add(sender)
        members = raw.get("members")
        if isinstance(members, list):
            participants.update(m for m in members if isinstance(m, str) and m)
        messages.append(
            ChatMessage(
                when=_opt_str(raw.get("date"), "date", at),
                sender=sender,
                sender_id=sender_id,
                text=text,
                line=None,
                kind="service" if service else "message",
                action=_opt_str(raw.get("action"), "action", at) if service else None,
                message_id=_opt_str(raw.get("id"), "id", at),
                hrefs=hrefs,
            )
        )
    return _export("telegram", title, chat_id, chat_type, participants, messages, default_region)


def _chat_list(doc: dict[str, Any], key: str) -> list[object]:
    section = doc.get(key)
    if section is None:
        return []
    if not isinstance(section, dict) or not isinstance(section.get("list"), list):
        raise ChatFormatError(f'"{key}" is not an object with a "list" of chats')
    chats: list[object] = section["list"]
    return chats


def parse_telegram(
    data: bytes, default_region: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[ChatExport, ...]:
    """Every chat in a Telegram Desktop JSON export (one chat, or the full export's chats and left chats)."""
    if len(data) > max_bytes:
        raise ChatFormatError(f"the Telegram export is {len(data)} bytes, above the limit of {max_bytes}")
    try:
        doc = json.loads(decode_text(data))
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ChatFormatError(f"not valid JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise ChatFormatError(f"the export is a JSON {type(doc).__name__}, expected an object")
    if "messages" in doc:
        return (_telegram_chat(doc, "chat", default_region),)
    if "chats" not in doc:
        raise ChatFormatError('neither "messages" (one chat) nor "chats" (a full export) in the JSON')
    chats = [*_chat_list(doc, "chats"), *_chat_list(doc, "left_chats")]
    return tuple(_telegram_chat(chat, f"chat {i}", default_region) for i, chat in enumerate(chats))


# --- common --------------------------------------------------------------------------------------------


def _export(
    app: str,
    title: str | None,
    chat_id: str | None,
    chat_type: str | None,
    participants: set[str],
    messages: list[ChatMessage],
    default_region: str | None,
    truncated: bool = False,
) -> ChatExport:
    found: list[Found] = []
    for index, message in enumerate(messages):
        found.extend(Found(index, ident) for ident in extract(message.text, default_region))
        for h, href in enumerate(message.hrefs):
            found.extend(Found(index, ident, h) for ident in extract(href, default_region))
    return ChatExport(
        app=app,
        title=title,
        chat_id=chat_id,
        chat_type=chat_type,
        participants=tuple(sorted(participants)),
        messages=tuple(messages),
        identifiers=tuple(found),
        truncated=truncated,
    )


def parse_chats(
    name: str, data: bytes, default_region: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> tuple[ChatExport, ...]:
    """Every chat in a chat export, its format found by ``sniff_chat``."""
    app = sniff_chat(name, data[:SNIFF_BYTES])
    if app == "whatsapp":
        return (parse_whatsapp(data, name, default_region, max_bytes),)
    if app == "telegram":
        return parse_telegram(data, default_region, max_bytes)
    raise ChatFormatError(f"{name or 'input'}: not a WhatsApp or Telegram chat export")


def parse_chat(
    name: str, data: bytes, default_region: str | None = None, max_bytes: int = DEFAULT_MAX_BYTES
) -> ChatExport:
    """The one chat of a chat export (a WhatsApp file, a single Telegram chat)."""
    chats = parse_chats(name, data, default_region, max_bytes)
    if len(chats) != 1:
        raise ChatFormatError(
            f"{name or 'input'}: a full Telegram export of {len(chats)} chats: read it with parse_chats"
        )
    return chats[0]
