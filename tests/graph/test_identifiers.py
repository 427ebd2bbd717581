"""Online identifiers in text: every kind, normalised values, offsets, phone false positives, decoding,
limits, and linear time on adversarial input."""

from __future__ import annotations

import base64
import codecs
import hashlib
import re

import pytest

from jejak.graph import identifiers
from jejak.graph.identifiers import (
    KINDS,
    Identifier,
    decode_text,
    extract,
    extract_from_bytes,
    looks_like_text,
    phone_value,
)


def _onion_v3(seed: bytes) -> str:
    """A well-formed v3 address (checksum and version byte as Tor computes them) from a made-up key."""
    key = hashlib.sha256(seed).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + key + b"\x03").digest()[:2]
    return base64.b32encode(key + checksum + b"\x03").decode().lower() + ".onion"


ONION_V3 = _onion_v3(b"bakery")
ONION_V2 = "bakerybreadroti2.onion"


def pairs(text: str, region: str | None = None) -> list[tuple[str, str]]:
    return [(i.kind, i.value) for i in extract(text, region)]


def one(text: str, region: str | None = None) -> Identifier:
    found = extract(text, region)
    assert len(found) == 1, found
    return found[0]


def assert_offsets(text: str, found: list[Identifier]) -> None:
    for ident in found:
        assert text[ident.start : ident.end] == ident.raw, ident


# --- every kind ----------------------------------------------------------------------------------------


def test_every_kind_in_one_text_in_order_with_offsets() -> None:
    text = (
        "Match on Saturday! Pitch map https://www.Example.com/pitch, join t.me/+AbCdEf123 or "
        "mail coach@Example.org; ring +62 812-3456-7890, ask @Budi_Keeper, mirror " + ONION_V3
    )
    found = extract(text)
    assert [i.kind for i in found] == ["url", "invite", "email", "phone", "username", "onion"]
    assert {i.kind for i in found} == set(KINDS)
    assert [i.start for i in found] == sorted(i.start for i in found)
    assert_offsets(text, found)
    assert [i.value for i in found] == [
        "https://www.example.com/pitch",
        "telegram:+AbCdEf123",
        "coach@example.org",
        "+6281234567890",
        "@budi_keeper",
        ONION_V3,
    ]


def test_identifier_is_frozen() -> None:
    ident = one("see https://example.com")
    with pytest.raises(AttributeError):
        ident.value = "x"  # type: ignore[misc]


# --- URLs ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("HTTPS://WWW.Example.com/path/", "https://www.example.com/path"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com:443/menu", "https://example.com/menu"),
        ("http://Example.com:80/menu#prices", "http://example.com/menu"),
        ("www.roti-enak.example/menu/", "https://www.roti-enak.example/menu"),
        ("https://example.com/?day=sat", "https://example.com?day=sat"),
    ],
)
def test_url_spellings_share_a_value(a: str, b: str) -> None:
    first, second = one(f"bakery: {a} ok"), one(f"bakery: {b} ok")
    assert first.kind == second.kind == "url"
    assert first.value == second.value


def test_url_keeps_path_and_query_case_and_other_ports() -> None:
    assert (
        one("https://Example.com:8080/Menu/Roti?Day=Sat").value
        == "https://example.com:8080/Menu/Roti?Day=Sat"
    )
    assert one("http://example.com").value != one("https://example.com").value


@pytest.mark.parametrize(
    ("text", "raw"),
    [
        ("The bakery is at https://example.com/roti.", "https://example.com/roti"),
        ("Is it https://example.com/roti?", "https://example.com/roti"),
        ("(see https://example.com/roti)", "https://example.com/roti"),
        ("[menu](https://example.com/roti)", "https://example.com/roti"),
        ('"https://example.com/roti",', "https://example.com/roti"),
        ("'https://example.com/roti';", "https://example.com/roti"),
        ("Wow https://example.com/roti!!!", "https://example.com/roti"),
        ("{https://example.com/roti}", "https://example.com/roti"),
        ("<https://example.com/roti>", "https://example.com/roti"),
        ("“https://example.com/roti”", "https://example.com/roti"),
        ("https://en.wikipedia.org/wiki/Bread_(food)", "https://en.wikipedia.org/wiki/Bread_(food)"),
        ("(https://en.wikipedia.org/wiki/Bread_(food))", "https://en.wikipedia.org/wiki/Bread_(food)"),
        ("https://en.wikipedia.org/wiki/Bread_(food).", "https://en.wikipedia.org/wiki/Bread_(food)"),
    ],
)
def test_trailing_punctuation_is_prose(text: str, raw: str) -> None:
    ident = one(text)
    assert ident.raw == raw
    assert text[ident.start : ident.end] == raw
    assert ident.value == raw


def test_not_urls() -> None:
    assert extract("ftp://example.com/file and https:// and http://nohost and www. alone") == []
    assert pairs("https://example.com/ and www.example.com.") == [
        ("url", "https://example.com"),
        ("url", "https://www.example.com"),
    ]


# --- invites -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("t.me/joinchat/AbC1x", "https://telegram.me/joinchat/AbC1x"),
        ("t.me/joinchat/AbC1x", "https://t.me/+AbC1x"),
        ("tg://join?invite=AbC1x", "telegram.dog/+AbC1x"),
        ("https://t.me/FootballJkt", "t.me/footballjkt"),
        ("t.me/s/FootballJkt", "https://telegram.me/FootballJkt/123"),
        ("tg://resolve?domain=FootballJkt", "https://footballjkt.t.me"),
        ("chat.whatsapp.com/AbCdEfGhIjKl123", "https://chat.whatsapp.com/invite/AbCdEfGhIjKl123"),
        ("discord.gg/RotiClub", "https://discord.com/invite/RotiClub"),
        ("https://discordapp.com/invite/RotiClub", "discord.gg/RotiClub"),
    ],
)
def test_invite_spellings_share_a_value(a: str, b: str) -> None:
    first, second = one(f"join {a} now"), one(f"join {b} now")
    assert first.kind == second.kind == "invite"
    assert first.value == second.value


@pytest.mark.parametrize(
    ("link", "value"),
    [
        ("https://t.me/+AbCdEf", "telegram:+AbCdEf"),
        ("t.me/joinchat/AbCd", "telegram:+AbCd"),
        ("https://t.me/FootballJkt", "telegram:footballjkt"),
        ("t.me/addlist/AbCdEf", "telegram:addlist/AbCdEf"),
        ("https://chat.whatsapp.com/AbCdEfGhIjKl123", "whatsapp:AbCdEfGhIjKl123"),
        ("discord.gg/RotiClub", "discord:RotiClub"),
        ("https://signal.group/#CjQKIAbc_def-123", "signal:CjQKIAbc_def-123"),
    ],
)
def test_invite_values(link: str, value: str) -> None:
    ident = one(f"Team chat: {link}.")
    assert (ident.kind, ident.value, ident.raw) == ("invite", value, link)


def test_invite_codes_are_case_sensitive_public_names_are_not() -> None:
    assert one("t.me/+AbCdEf").value != one("t.me/+abcdef").value
    assert one("discord.gg/RotiClub").value != one("discord.gg/roticlub").value
    assert one("t.me/FootballJkt").value == one("T.ME/FOOTBALLJKT").value


def test_signal_group_keeps_fragment_other_links_drop_it() -> None:
    assert one("https://signal.group/#AbC").value != one("https://signal.group/#XyZ").value
    assert one("https://example.com/#AbC").value == one("https://example.com/#XyZ").value


def test_phone_links() -> None:
    for text in ("wa.me/6281234567890", "https://wa.me/6281234567890?text=hi", "https://t.me/+6281234567890"):
        ident = one(f"chat me: {text}")
        assert (ident.kind, ident.value, ident.raw) == ("phone", "+6281234567890", text)


def test_telegram_feature_links_are_urls() -> None:
    ident = one("https://t.me/share/url?url=https://example.com")
    assert ident.kind == "url"
    assert one("https://t.me/").kind == "url"


# --- e-mail, usernames, onions -------------------------------------------------------------------------


def test_email_lowercased_and_bounded() -> None:
    text = "Orders: Roti.Enak+orders@Bakery.Example.COM. Or (info@bakery.example)."
    found = extract(text)
    assert [(i.kind, i.value) for i in found] == [
        ("email", "roti.enak+orders@bakery.example.com"),
        ("email", "info@bakery.example"),
    ]
    assert_offsets(text, found)
    assert extract("user@localhost and @ and a@b and x@-bad-.com") == []


def test_email_in_url_is_the_urls() -> None:
    assert pairs("https://example.com/contact/info@bakery.example") == [
        ("url", "https://example.com/contact/info@bakery.example")
    ]
    assert pairs("mailto:info@bakery.example") == [("email", "info@bakery.example")]


def test_usernames() -> None:
    text = "Ask @Budi_Keeper or @sari.striker. Not me@example.org, not @ab, not @2024."
    found = extract(text)
    assert [(i.kind, i.value, i.raw) for i in found] == [
        ("username", "@budi_keeper", "@Budi_Keeper"),
        ("username", "@sari.striker", "@sari.striker"),
        ("email", "me@example.org", "me@example.org"),
    ]
    assert_offsets(text, found)
    assert extract("@" + "a" * 33) == []
    assert one("@" + "a" * 32).value == "@" + "a" * 32


def test_onions() -> None:
    text = f"Mirror {ONION_V3.upper()} and http://www.{ONION_V3}/menu/ and {ONION_V2}/shop."
    found = extract(text)
    assert [(i.kind, i.value) for i in found] == [
        ("onion", ONION_V3),
        ("onion", ONION_V3),
        ("onion", ONION_V2),
    ]
    assert found[2].raw == ONION_V2 + "/shop"
    assert_offsets(text, found)


def test_malformed_onion_is_not_an_onion() -> None:
    v3_bad_version = ONION_V3[:55] + "a.onion"  # every v3 address ends in "d" (its version byte is 3)
    assert extract(v3_bad_version) == []
    assert pairs(f"https://{v3_bad_version}/") == [("url", f"https://{v3_bad_version}")]


# --- phones --------------------------------------------------------------------------------------------


def test_phone_spellings_share_a_value() -> None:
    assert one("+62 812-3456-7890").value == one("+6281234567890").value == "+6281234567890"
    assert one("call +44 20 7946 0018").value == "+442079460018"


def test_national_numbers_need_a_region() -> None:
    text = "Coach: 0812 3456 7890, club +62 812-3456-7890"
    assert pairs(text) == [("phone", "+6281234567890")]
    assert pairs(text, "ID") == [("phone", "+6281234567890"), ("phone", "+6281234567890")]
    assert pairs("ring 020 7946 0018", "gb") == [("phone", "+442079460018")]
    assert_offsets(text, extract(text, "ID"))


@pytest.mark.parametrize(
    "text",
    [
        "kick-off 2024-01-12T10:15:00+07:00",
        "kick-off 2024-01-12 10:15",
        "on 12/01/2024 at 10:15:33",
        "on 12.01.2024",
        "md5 d41d8cd98f00b204e9800998ecf8427e",
        "sha256 4a1b2c3d4e5f60718293a4b5c6d7e8f90123456789abcdef0123456789abcdef",
        "digits 12345678901234567890123456789012345",
        "id 123e4567-e89b-12d3-a456-426614174000",
        "host 192.168.100.200",
        "https://example.com/order/6281234567890",
        "https://example.com/?tel=+6281234567890",
        "roti6281234567890@bakery.example",
        "@Roti6281234567890",
        "order number 62812345678901234567",
    ],
)
def test_no_phone_from_dates_hashes_or_other_identifiers(text: str) -> None:
    assert [i for i in extract(text, "ID") if i.kind == "phone"] == []


def test_phone_value_helper() -> None:
    assert phone_value("+62 812-3456-7890") == "+6281234567890"
    assert phone_value("0812 3456 7890", "ID") == "+6281234567890"
    assert phone_value("0812 3456 7890") is None
    assert phone_value("not a number") is None


# --- results -------------------------------------------------------------------------------------------


def test_offsets_hold_with_non_ascii_text() -> None:
    text = "Ça va? 🍞 Roti di https://example.com/roti — telp +62 812-3456-7890 ✓ @budi_keeper"
    found = extract(text)
    assert [i.kind for i in found] == ["url", "phone", "username"]
    assert_offsets(text, found)


def test_repeats_are_kept_at_each_position_and_limit_applies() -> None:
    text = " ".join(["@budi_keeper"] * 50)
    found = extract(text)
    assert len(found) == 50
    assert len({i.start for i in found}) == 50
    limited = extract(text, limit=7)
    assert limited == found[:7]
    assert extract(text, limit=0) == []


def test_limit_keeps_the_first_by_position_across_kinds() -> None:
    text = "@alpha_one https://example.com/a coach@example.org @beta_two +44 20 7946 0018 " * 20
    assert extract(text, limit=9) == extract(text)[:9]


# --- bytes ---------------------------------------------------------------------------------------------

SAMPLE = "Roti sale at https://example.com/roti — ring +62 812-3456-7890 or mail info@bakery.example"
SAMPLE_PAIRS = [
    ("url", "https://example.com/roti"),
    ("phone", "+6281234567890"),
    ("email", "info@bakery.example"),
]


@pytest.mark.parametrize(
    "data",
    [
        SAMPLE.encode("utf-8"),
        codecs.BOM_UTF8 + SAMPLE.encode("utf-8"),
        codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + SAMPLE.encode("utf-16-be"),
        SAMPLE.encode("utf-16-le"),
        SAMPLE.encode("utf-16-be"),
        SAMPLE.encode("utf-16"),
        SAMPLE.encode("utf-32"),
    ],
    ids=["utf8", "utf8-bom", "utf16le-bom", "utf16be-bom", "utf16le", "utf16be", "utf16", "utf32"],
)
def test_encodings(data: bytes) -> None:
    assert decode_text(data) == SAMPLE
    found = extract_from_bytes(data)
    assert [(i.kind, i.value) for i in found] == SAMPLE_PAIRS
    assert_offsets(SAMPLE, found)


def test_invalid_utf8_is_replaced_not_refused() -> None:
    data = b"caf\xe9 https://example.com/roti \x80\x81 +62 812-3456-7890"
    assert [(i.kind, i.value) for i in extract_from_bytes(data)] == SAMPLE_PAIRS[:2]
    assert "\ufffd" in decode_text(b"caf\xe9")


def test_max_bytes_truncates() -> None:
    head = b"see https://example.com/first "
    data = head + b"x" * 100 + b" https://example.com/second"
    assert [i.value for i in extract_from_bytes(data)] == [
        "https://example.com/first",
        "https://example.com/second",
    ]
    assert [i.value for i in extract_from_bytes(data, max_bytes=len(head))] == ["https://example.com/first"]
    cut_in_url = extract_from_bytes(data, max_bytes=len(b"see https://example.com/fir"))
    assert [i.value for i in cut_in_url] == ["https://example.com/fir"]


def test_truncation_drops_a_cut_character() -> None:
    data = "roti é".encode()
    assert decode_text(data, max_bytes=len(data) - 1) == "roti "
    utf16 = codecs.BOM_UTF16_LE + "roti".encode("utf-16-le")
    assert decode_text(utf16, max_bytes=len(utf16) - 1) == "rot"


def test_extract_from_bytes_limit() -> None:
    data = b" ".join([b"@budi_keeper"] * 30)
    assert len(extract_from_bytes(data, limit=5)) == 5


def test_looks_like_text() -> None:
    assert looks_like_text(SAMPLE.encode())
    assert looks_like_text(codecs.BOM_UTF16_LE + SAMPLE.encode("utf-16-le"))
    assert looks_like_text(SAMPLE.encode("utf-16-le"))
    assert looks_like_text("Roti, kué, dan kopi. Rp 15.000\r\n\tenak! 🍞".encode())
    assert looks_like_text(b"x" * 4095 + "é".encode())  # a character cut at 4 KB is not a binary byte
    assert not looks_like_text(b"")
    assert not looks_like_text(bytes(range(256)) * 20)
    assert not looks_like_text(
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" + b"\x00\x01\x02\x03" * 200
    )
    assert not looks_like_text(b"\x00" * 4096)


# --- adversarial input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "a" * 1_000_000 + "@",
        "a" * 1_000_000 + "@example.com",
        "." * 1_000_000,
        "1" * 1_000_000,
        "1." * 500_000,
        "@" * 1_000_000,
        "@a" * 500_000,
        "a@" * 500_000,
        "https://" + "." * 1_000_000,
        "https://example.com/" + ")" * 1_000_000,
        "www." * 250_000,
        "+1 " * 300_000,
        "ab" * 500_000 + ".onion",
        "f" * 1_000_000,
    ],
    ids=lambda text: f"{text[:12]!r}x{len(text)}",
)
def test_adversarial_input_finishes(text: str) -> None:
    found = extract(text, "GB")
    assert_offsets(text, found)
    assert len(found) <= 2


def test_patterns_have_no_nested_quantifiers() -> None:
    # a group that is itself repeated and holds a repeat is how catastrophic backtracking starts
    nested = re.compile(r"\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]")
    patterns = [v for v in vars(identifiers).values() if isinstance(v, re.Pattern)]
    assert len(patterns) >= 5
    for pattern in patterns:
        assert not nested.search(pattern.pattern), pattern.pattern
