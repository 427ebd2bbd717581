"""Chat exports: WhatsApp text (Android, iOS, 12-hour clocks, continuation lines, date order) and Telegram
Desktop JSON (one chat, full export, entity lists), sniffing, identifiers per message, malformed input."""

from __future__ import annotations

import codecs
import json
from typing import Any

import pytest

from jejak.graph.chats import (
    ChatExport,
    ChatFormatError,
    ChatMessage,
    Found,
    parse_chat,
    parse_chats,
    parse_telegram,
    parse_whatsapp,
    sniff_chat,
)

LRM = "\u200e"
NNBSP = "\u202f"

ANDROID = """12/01/2024, 10:15 - Messages and calls are end-to-end encrypted. No one outside of this chat, \
not even WhatsApp, can read or listen to them. Tap to learn more.
12/01/2024, 10:15 - Budi created group "Sunday Football"
12/01/2024, 10:16 - Budi: Match on Sunday at 08:00, pitch booked: https://www.example.com/pitch/
Bring water!

And boots.
13/01/2024, 19:02 - +62 812-3456-7890: I'm in. My number is +62 812-3456-7890
13/01/2024, 19:05 - Sari: Bakery after? https://roti.example.com/menu
13/01/2024, 19:06 - Budi added Dewi
"""


def found_pairs(export: ChatExport) -> list[tuple[int, str, str]]:
    return [(f.message, f.identifier.kind, f.identifier.value) for f in export.identifiers]


def assert_offsets(export: ChatExport) -> None:
    for found in export.identifiers:
        message = export.messages[found.message]
        source = message.text if found.href is None else message.hrefs[found.href]
        assert source[found.identifier.start : found.identifier.end] == found.identifier.raw


# --- WhatsApp ------------------------------------------------------------------------------------------


def test_whatsapp_android() -> None:
    export = parse_chat("WhatsApp Chat with Sunday Football.txt", ANDROID.encode())
    assert (export.app, export.title, export.chat_id, export.truncated) == (
        "whatsapp",
        "Sunday Football",
        None,
        False,
    )
    assert export.participants == ("+62 812-3456-7890", "Budi", "Sari")
    assert [(m.when, m.sender, m.kind, m.line) for m in export.messages] == [
        ("2024-01-12T10:15", None, "service", 1),
        ("2024-01-12T10:15", None, "service", 2),
        ("2024-01-12T10:16", "Budi", "message", 3),
        ("2024-01-13T19:02", "+62 812-3456-7890", "message", 7),
        ("2024-01-13T19:05", "Sari", "message", 8),
        ("2024-01-13T19:06", None, "service", 9),
    ]
    assert export.messages[1].text == 'Budi created group "Sunday Football"'
    assert export.messages[2].text == (
        "Match on Sunday at 08:00, pitch booked: https://www.example.com/pitch/\nBring water!\n\nAnd boots."
    )
    assert export.messages[3].sender_id == "+6281234567890"
    assert export.messages[2].sender_id is None
    assert found_pairs(export) == [
        (2, "url", "https://www.example.com/pitch"),
        (3, "phone", "+6281234567890"),
        (4, "url", "https://roti.example.com/menu"),
    ]
    assert_offsets(export)


def test_whatsapp_ios_with_marks_and_seconds() -> None:
    text = (
        f"{LRM}[12/01/2024, 10:15:33] Sunday Football: {LRM}Messages and calls are end-to-end encrypted.\n"
        f"[12/01/2024, 10:16:02] Budi: Kick-off 08:00, join t.me/+AbCdEf123\n"
        f"{LRM}[12/01/2024, 10:17:45] Sari: {LRM}image omitted\n"
        f"[14/01/2024, 07:59:00] {LRM}\u202a+62 812-3456-7890\u202c{LRM}: On my way\n"
        "see you there\n"
    )
    export = parse_chat("_chat.txt", text.encode())
    assert export.title == "Sunday Football"
    assert export.participants == ("+62 812-3456-7890", "Budi", "Sari")
    assert [(m.when, m.sender, m.text, m.kind) for m in export.messages] == [
        ("2024-01-12T10:15:33", None, "Messages and calls are end-to-end encrypted.", "service"),
        ("2024-01-12T10:16:02", "Budi", "Kick-off 08:00, join t.me/+AbCdEf123", "message"),
        ("2024-01-12T10:17:45", "Sari", "image omitted", "message"),
        ("2024-01-14T07:59:00", "+62 812-3456-7890", "On my way\nsee you there", "message"),
    ]
    assert export.messages[3].sender_id == "+6281234567890"
    assert found_pairs(export) == [(1, "invite", "telegram:+AbCdEf123")]
    assert_offsets(export)


def test_whatsapp_twelve_hour_clocks() -> None:
    text = (
        "1/12/24, 12:05 AM - Budi: midnight snack?\n"
        f"1/12/24, 9:30{NNBSP}am - Sari: morning\n"
        "1/12/24, 12:00 PM - Budi: noon\n"
        "1/13/24, 7:45 p. m. - Sari: evening\n"
        "[1/13/24, 11:59:59 PM] Budi: late\n"
    )
    export = parse_chat("WhatsApp Chat with Sari.txt", text.encode())
    assert [m.when for m in export.messages] == [
        "2024-01-12T00:05",
        "2024-01-12T09:30",
        "2024-01-12T12:00",
        "2024-01-13T19:45",
        "2024-01-13T23:59:59",
    ]


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["03/04/2024, 10:00 - A: x", "25/04/2024, 10:00 - A: y"], ["2024-04-03T10:00", "2024-04-25T10:00"]),
        (["03/04/2024, 10:00 - A: x", "04/25/2024, 10:00 - A: y"], ["2024-03-04T10:00", "2024-04-25T10:00"]),
        (["03/04/2024, 10:00 - A: x", "05/06/2024, 10:00 - A: y"], ["2024-04-03T10:00", "2024-06-05T10:00"]),
        (["03.04.24, 10:00 - A: x"], ["2024-04-03T10:00"]),
        (["2024-04-03, 10:00 - A: x"], ["2024-04-03T10:00"]),
    ],
    ids=["day-first", "month-first", "ambiguous-defaults-day-first", "dots", "year-first"],
)
def test_whatsapp_date_order_is_inferred_per_file(lines: list[str], expected: list[str]) -> None:
    export = parse_whatsapp("\n".join(lines).encode(), "WhatsApp Chat with A.txt")
    assert [m.when for m in export.messages] == expected


def test_whatsapp_encodings_and_crlf() -> None:
    text = ANDROID.replace("\n", "\r\n")
    for data in (
        codecs.BOM_UTF8 + text.encode(),
        codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
        text.encode("utf-16-le"),
    ):
        export = parse_chat("WhatsApp Chat with Sunday Football.txt", data)
        assert len(export.messages) == 6
        assert export.messages[2].text.endswith("\nBring water!\n\nAnd boots.")
        assert "\r" not in export.messages[2].text


def test_whatsapp_region_reads_national_numbers() -> None:
    text = "12/01/2024, 10:15 - 0812-3456-7890: call me on 0812 3456 7890\n"
    without = parse_whatsapp(text.encode(), "WhatsApp Chat with Budi.txt")
    assert without.messages[0].sender_id is None
    assert without.identifiers == ()
    with_region = parse_whatsapp(text.encode(), "WhatsApp Chat with Budi.txt", default_region="ID")
    assert with_region.messages[0].sender_id == "+6281234567890"
    assert found_pairs(with_region) == [(0, "phone", "+6281234567890")]


def test_whatsapp_max_bytes_keeps_whole_lines() -> None:
    data = ANDROID.encode()
    cut = data.index(b"13/01/2024, 19:05") + 5
    export = parse_whatsapp(data, "WhatsApp Chat with Sunday Football.txt", max_bytes=cut)
    assert export.truncated
    assert [m.sender for m in export.messages][-1] == "+62 812-3456-7890"
    assert len(export.messages) == 4


def test_whatsapp_without_message_lines_is_refused() -> None:
    with pytest.raises(ChatFormatError):
        parse_whatsapp(b"just some notes about football\n", "WhatsApp Chat with Budi.txt")
    with pytest.raises(ChatFormatError):
        parse_chat("WhatsApp Chat with Budi.txt", b"just some notes about football\n")


def test_whatsapp_text_before_the_first_message_is_kept() -> None:
    text = "of the pitch\n12/01/2024, 10:15 - Budi: ok\n"
    export = parse_whatsapp(text.encode(), "cut.txt")
    assert [(m.when, m.sender, m.text, m.line) for m in export.messages] == [
        (None, None, "of the pitch", 1),
        ("2024-01-12T10:15", "Budi", "ok", 2),
    ]


# --- Telegram ------------------------------------------------------------------------------------------


def _chat(name: str, chat_id: int, messages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "type": "private_group", "id": chat_id, "messages": messages}


FOOTBALL = _chat(
    "Sunday Football",
    4001,
    [
        {
            "id": 1,
            "type": "service",
            "date": "2024-01-12T10:15:33",
            "actor": "Budi",
            "actor_id": "user101",
            "action": "create_group",
            "title": "Sunday Football",
            "members": ["Sari", "Dewi"],
            "text": "",
        },
        {
            "id": 2,
            "type": "message",
            "date": "2024-01-12T10:16:00",
            "from": "Budi",
            "from_id": "user101",
            "text": "Pitch booked for 08:00",
        },
        {
            "id": 3,
            "type": "message",
            "date": "2024-01-12T10:20:00",
            "from": "Sari",
            "from_id": "user102",
            "text": [
                "Bakery after: ",
                {"type": "link", "text": "https://roti.example.com/menu/"},
                ", ask ",
                {"type": "mention", "text": "@Budi_Keeper"},
                " or ring ",
                {"type": "phone", "text": "+62 812-3456-7890"},
                ". ",
                {"type": "text_link", "text": "the map", "href": "https://maps.example.com/roti"},
                {"type": "bold", "text": "!"},
            ],
        },
        {"id": 4, "type": "message", "date": "2024-01-12T10:21:00", "from": None, "from_id": "user103"},
    ],
)


def test_telegram_single_chat() -> None:
    data = json.dumps(FOOTBALL, indent=1).encode()
    assert sniff_chat("result.json", data[:4096]) == "telegram"
    export = parse_chat("result.json", data)
    assert (export.app, export.title, export.chat_id, export.chat_type) == (
        "telegram",
        "Sunday Football",
        "4001",
        "private_group",
    )
    assert export.participants == ("Budi", "Dewi", "Sari")
    first, second, third, fourth = export.messages
    assert first == ChatMessage(
        when="2024-01-12T10:15:33",
        sender="Budi",
        sender_id="user101",
        text="",
        line=None,
        kind="service",
        action="create_group",
        message_id="1",
    )
    assert (second.sender, second.sender_id, second.text) == ("Budi", "user101", "Pitch booked for 08:00")
    assert third.text == (
        "Bakery after: https://roti.example.com/menu/, ask @Budi_Keeper or ring +62 812-3456-7890. the map!"
    )
    assert third.hrefs == ("https://maps.example.com/roti",)
    assert (fourth.sender, fourth.sender_id, fourth.text) == (None, "user103", "")
    assert [(f.message, f.href, f.identifier.kind, f.identifier.value) for f in export.identifiers] == [
        (2, None, "url", "https://roti.example.com/menu"),
        (2, None, "username", "@budi_keeper"),
        (2, None, "phone", "+6281234567890"),
        (2, 0, "url", "https://maps.example.com/roti"),
    ]
    assert isinstance(export.identifiers[0], Found)
    assert_offsets(export)


def test_telegram_full_export() -> None:
    club = _chat(
        "Roti Club",
        4002,
        [
            {
                "id": 1,
                "type": "message",
                "date": "2024-02-01T09:00:00",
                "from": "Dewi",
                "from_id": "user103",
                "text": "Order at roti@bakery.example",
            }
        ],
    )
    left = _chat("Old Team", 4003, [])
    doc = {
        "about": "Here is the data you requested.",
        "personal_information": {"user_id": 101, "first_name": "Budi"},
        "chats": {"about": "chats", "list": [FOOTBALL, club]},
        "left_chats": {"about": "left", "list": [left]},
    }
    data = json.dumps(doc).encode()
    assert sniff_chat("result.json", data) == "telegram"
    chats = parse_chats("result.json", data)
    assert [(c.title, c.chat_id, len(c.messages)) for c in chats] == [
        ("Sunday Football", "4001", 4),
        ("Roti Club", "4002", 1),
        ("Old Team", "4003", 0),
    ]
    assert found_pairs(chats[1]) == [(0, "email", "roti@bakery.example")]
    assert parse_telegram(data) == chats
    with pytest.raises(ChatFormatError, match="parse_chats"):
        parse_chat("result.json", data)
    single = {"chats": {"list": [club]}}
    assert parse_chat("export.json", json.dumps(single).encode()) == chats[1]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"messages": [', "not valid JSON"),
        (b'{"messages": "hello"}', "messages is str"),
        (b'{"messages": [42]}', "expected an object"),
        (b'{"messages": [{"text": 7}]}', "text is int"),
        (b'{"messages": [{"text": [{"type": "bold", "text": 7}]}]}', "not a string"),
        (b'{"messages": [{"text": [null]}]}', "a text part is NoneType"),
        (b'{"messages": [{"from": ["Budi"]}]}', "sender is list"),
        (b'{"chats": []}', '"chats" is not an object'),
        (b'{"chats": {"list": [[]]}}', "a chat is list"),
        (b'{"name": "x"}', "neither"),
        (b"[1, 2]", "JSON list"),
        (b'{"messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "JSON"),
    ],
    ids=lambda v: v[:24] if isinstance(v, str) else None,
)
def test_telegram_malformed(data: bytes, message: str) -> None:
    with pytest.raises(ChatFormatError, match=message):
        parse_telegram(data)


def test_telegram_size_cap_and_error_is_a_value_error() -> None:
    data = json.dumps(FOOTBALL).encode()
    with pytest.raises(ValueError, match="above the limit"):
        parse_telegram(data, max_bytes=len(data) - 1)
    assert len(parse_telegram(data, max_bytes=len(data))[0].messages) == 4
    with pytest.raises(ChatFormatError, match="above the limit"):
        parse_chat("result.json", data, max_bytes=100)


def test_telegram_utf16_and_bom() -> None:
    text = json.dumps(FOOTBALL, ensure_ascii=False)
    for data in (codecs.BOM_UTF8 + text.encode(), codecs.BOM_UTF16_LE + text.encode("utf-16-le")):
        assert parse_chat("result.json", data).title == "Sunday Football"


# --- sniffing and dispatch -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "head", "expected"),
    [
        ("WhatsApp Chat with Budi.txt", ANDROID.encode(), "whatsapp"),
        ("_chat.txt", b"[12/01/2024, 10:15:33] Budi: hi\n", "whatsapp"),
        ("notes.txt", b"12/01/2024, 10:15 - Budi: hi\n", "whatsapp"),
        ("WhatsApp Chat with Budi.txt", b"\n\nof the pitch\n12/01/2024, 10:15 - Budi: hi\n", "whatsapp"),
        ("chat.txt", codecs.BOM_UTF16_LE + "12/01/2024, 10:15 - Budi: hi\n".encode("utf-16-le"), "whatsapp"),
        ("notes.txt", b"of the pitch\n12/01/2024, 10:15 - Budi: hi\n", None),
        ("notes.txt", b"Shopping: bread, milk\n", None),
        (
            "result.json",
            b'{\n "name": "Sunday Football",\n "type": "private_group",\n "messages": [',
            "telegram",
        ),
        ("result.json", b'\xef\xbb\xbf{"about": "Here", "personal_information": {}}', "telegram"),
        ("data.json", b'{"chats": {"list": []}}', "telegram"),
        ("package.json", b'{"name": "bakery", "version": "1.0.0"}', None),
        ("photo.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", None),
        ("empty.txt", b"", None),
    ],
)
def test_sniff_chat(name: str, head: bytes, expected: str | None) -> None:
    assert sniff_chat(name, head) == expected


def test_parse_chat_refuses_what_it_does_not_know() -> None:
    with pytest.raises(ChatFormatError, match="not a WhatsApp or Telegram"):
        parse_chat("notes.txt", b"Shopping: bread, milk\n")
    with pytest.raises(ChatFormatError):
        parse_chats("package.json", b'{"name": "bakery"}')


def test_exports_are_frozen() -> None:
    export = parse_chat("WhatsApp Chat with Sunday Football.txt", ANDROID.encode())
    with pytest.raises(AttributeError):
        export.title = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        export.messages[0].text = "x"  # type: ignore[misc]
    assert isinstance(export.messages, tuple)
    assert isinstance(export.identifiers, tuple)
