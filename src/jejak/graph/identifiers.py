"""Online identifiers in text: URLs, invite links, e-mail addresses, phone numbers, @usernames, onions.

Link analysis connects exhibits and cases through the accounts, groups and sites their text mentions: the
same Telegram invite in two seizures, the same phone number in a chat export and a contact list. What links
them is ``Identifier.value``, a normalised spelling, so ``HTTPS://WWW.Example.com/menu/`` and
``https://www.example.com/menu`` meet, as do ``t.me/joinchat/AbC`` and ``https://telegram.me/+AbC``, or
``+62 812-3456-7890`` and ``+6281234567890``. ``raw``, ``start`` and ``end`` say where it was written, so a
reviewer can be shown the sentence (``text[start:end] == raw``; offsets count characters of the decoded
text, not bytes).

``extract`` makes these passes over the text, each claiming its spans so a later pass never reports a
piece of an earlier find:

1. **Links.** ``http(s)://``, ``tg://`` and ``www.`` links, and the messenger hosts that are often written
   without a scheme (``t.me/``, ``chat.whatsapp.com/``, ``wa.me/``, ``discord.gg/``, ``signal.group/``).
   Prose punctuation after a link (``.,;:!?'"`` and closing brackets) is not part of it, except a closing
   bracket that balances one inside the link (``.../wiki/Bread_(food)``). Each link is then classified:
   a known messenger invite or channel becomes ``invite`` (``telegram:+code``, ``telegram:name``,
   ``whatsapp:CODE``, ``discord:CODE``, ``signal:<fragment>``); ``wa.me/<digits>`` and ``t.me/+<digits>``
   are phone numbers (``phone``, E.164); a host ending in a well-formed onion address is ``onion``;
   anything else is ``url`` with the scheme and host lower-cased, the default port dropped, a trailing
   slash dropped and the fragment dropped (kept for ``signal.group`` and ``signal.me``, whose fragment is
   the group key or the account). Each link is reported once, under one kind.
2. **Bare onions.** v3 (56 base32 characters, always ending in ``d``: the version byte 3) and v2 (16)
   addresses not written as a link; the value is the lower-cased address without subdomains, which name
   the same service.
3. **E-mail addresses**, lower-cased (local parts are case-insensitive in practice everywhere that
   matters to us).
4. **@usernames**: 3 to 32 of ``[A-Za-z0-9_.]`` with at least one letter, not preceded by a word character
   (which would make it an e-mail), lower-cased.
5. **Phone numbers**, by ``phonenumbers.PhoneNumberMatcher`` at leniency VALID, as E.164. With no
   ``default_region`` only numbers written in international ``+`` form can be parsed; with a region
   (``"ID"``, ``"GB"``) national numbers too. The matcher reads a copy of the text in which every earlier
   find and every date, time, IPv4 address, UUID, hexadecimal run of 32 or more characters and digit run
   longer than any phone number is blanked out (same length, so offsets hold): a hash or a timestamp is
   never reported as a number, and a number inside a URL is the URL's.

Telegram's ``/joinchat/CODE`` and ``/+CODE`` are two spellings of the same invite, so both give
``telegram:+CODE``; invite codes keep their case (they are case-sensitive), public channel and user names
are lower-cased (they are not). ``http`` and ``https`` are kept apart (they are different URLs); a bare
``www.`` link is read as ``https://``, what browsers try first. A bare domain (``roti.example.com``, with
neither scheme nor ``www.``) is not reported: in prose it is as often a file name or an abbreviation.

Every pattern is linear: single quantifiers over character classes, bounded where a match may start at
many positions (an e-mail's local part is at most 64 characters and must start after a non-address
character), so a megabyte of ``a`` or of dots costs one scan. Results are deduplicated by (kind, value,
start) and capped at ``limit``: a text made of nothing but handles still gives a bounded answer. The phone
matcher is the costly pass (a few microseconds per character of digit-dense text, nothing for text without
digits, and without a region only chunks holding a ``+`` are read at all).

``extract_from_bytes`` decodes first (UTF-8, UTF-16 and UTF-32 by their BOM; UTF-16 without one when one
byte of each pair is almost always NUL; otherwise UTF-8 with replacement characters) and reads at most
``max_bytes``; ``looks_like_text`` is the cheap test ingest uses to pick which files to scan.
"""

from __future__ import annotations

import codecs
import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import SplitResult, parse_qs, urlsplit

import phonenumbers
from phonenumbers import Leniency, PhoneNumberFormat, PhoneNumberMatcher

__all__ = [
    "KINDS",
    "Identifier",
    "decode_text",
    "extract",
    "extract_from_bytes",
    "looks_like_text",
    "phone_value",
]

KINDS = ("url", "invite", "email", "phone", "username", "onion")

DEFAULT_LIMIT = 10_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024
TEXT_SNIFF_BYTES = 4096
# the phone matcher reads the text in chunks cut at line ends: its candidate budget (max_tries) is per
# matcher, so one long file does not run out of it halfway
PHONE_CHUNK = 256 * 1024


@dataclass(frozen=True, slots=True)
class Identifier:
    """One identifier found in a text: ``kind`` (one of ``KINDS``), ``value`` (the normalised link key),
    ``raw`` (the text as written) and its character offsets (``text[start:end] == raw``)."""

    kind: str
    value: str
    raw: str
    start: int
    end: int


# --- patterns (all linear: no nested quantifiers) -----------------------------------------------------

_URL_CHARS = r"""[^\s<>"`|\\^\u201c\u201d\u2018\u2019\u00ab\u00bb]"""
_LINK_RE = re.compile(
    r"(?:\b(?:https?|tg)://"
    r"|(?<![\w@.\-/])(?:www\.|t\.me/|telegram\.me/|telegram\.dog/|chat\.whatsapp\.com/|wa\.me/"
    r"|discord\.gg/|discord\.com/invite/|discordapp\.com/invite/|signal\.group/))" + _URL_CHARS + "*",
    re.IGNORECASE,
)
_BARE_ONION_RE = re.compile(
    r"(?<![A-Za-z0-9])(?:[a-z2-7]{56}|[a-z2-7]{16})\.onion(?![A-Za-z0-9\-])(?:/" + _URL_CHARS + "*)?",
    re.IGNORECASE,
)
_ONION_LABEL_RE = re.compile(r"[a-z2-7]{56}|[a-z2-7]{16}")
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9.\-]{1,253}")
_DOMAIN_LABEL_RE = re.compile(r"[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?")
_TLD_RE = re.compile(r"[a-z]{2,63}|xn--[a-z0-9\-]{1,59}")
_USERNAME_RE = re.compile(r"(?<![\w@.+\-/])@[A-Za-z0-9_][A-Za-z0-9_.]*")
_LETTER_RE = re.compile(r"[A-Za-z]")
_DIGIT_RE = re.compile(r"\d")
# spans that look like numbers but are not phone numbers
_NOISE_RE = re.compile(
    r"(?<![0-9A-Fa-f])[0-9A-Fa-f]{32,}"  # digests (and any digit run of 32 or more)
    r"|(?<![0-9A-Fa-f])[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}"
    r"|(?<!\d)\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|(?<!\d)\d{4}/\d{1,2}/\d{1,2}(?!\d)"
    r"|(?<!\d)\d{1,2}[/.]\d{1,2}[/.]\d{2,4}(?!\d)"
    r"|(?<![\d:])\d{1,2}:\d{2}(?::\d{2})?(?![\d:])"
    r"|(?<![\d.])\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\d.])"
    r"|\d{17,}"  # longer than any E.164 number
)

_TRAILING = frozenset(".,;:!?'\")]}*\u2026")
_CLOSERS = {")": "(", "]": "[", "}": "{"}
_INVITE_CODE_RE = re.compile(r"[A-Za-z0-9_\-]{4,64}")
_TELEGRAM_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]{3,31}")
_WHATSAPP_CODE_RE = re.compile(r"[A-Za-z0-9]{10,40}")
_DISCORD_CODE_RE = re.compile(r"[A-Za-z0-9\-]{2,32}")
_DIGITS_RE = re.compile(r"\d{6,15}")
_TELEGRAM_HOSTS = frozenset({"t.me", "telegram.me", "telegram.dog"})
# t.me paths that are features, not chats
_TELEGRAM_RESERVED = frozenset(
    {
        "share",
        "addstickers",
        "addemoji",
        "addtheme",
        "proxy",
        "socks",
        "setlanguage",
        "login",
        "iv",
        "bg",
        "confirmphone",
        "invoice",
        "boost",
        "contact",
        "m",
        "nft",
        "giftcode",
        "joinchat",
        "addlist",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FRAGMENT_HOSTS = frozenset({"signal.group", "signal.me"})


# --- decoding -------------------------------------------------------------------------------------------


def _sniff_encoding(data: bytes) -> tuple[str, int]:
    """(codec, BOM length) of ``data`` from its BOM, or from where its NUL bytes fall."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8", 3
    if data.startswith(codecs.BOM_UTF32_LE):  # before UTF-16 LE: the same first two bytes
        return "utf-32-le", 4
    if data.startswith(codecs.BOM_UTF32_BE):
        return "utf-32-be", 4
    if data.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", 2
    if data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", 2
    sample = data[:TEXT_SNIFF_BYTES]
    pairs = len(sample) // 2
    if pairs >= 2:
        even = sample[0 : 2 * pairs : 2].count(0)
        odd = sample[1 : 2 * pairs : 2].count(0)
        # ASCII-heavy UTF-16: one byte of (almost) every pair is NUL, the other (almost) never
        if odd >= 0.6 * pairs and even <= 0.1 * pairs:
            return "utf-16-le", 0
        if even >= 0.6 * pairs and odd <= 0.1 * pairs:
            return "utf-16-be", 0
    return "utf-8", 0


def decode_text(data: bytes, max_bytes: int | None = None) -> str:
    """``data`` (at most ``max_bytes`` of it) as text: never raises, undecodable bytes become U+FFFD.

    A character cut by ``max_bytes`` is dropped rather than replaced.
    """
    encoding, bom = _sniff_encoding(data)
    cut = len(data) if max_bytes is None else min(len(data), max(max_bytes, 0))
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    return str(decoder.decode(memoryview(data)[bom:cut], final=cut >= len(data)))


def looks_like_text(data: bytes) -> bool:
    """Whether the first 4 KB of ``data`` decode to text: few control characters, few undecodable bytes."""
    head = data[:TEXT_SNIFF_BYTES]
    if not head:
        return False
    encoding, bom = _sniff_encoding(head)
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text = str(decoder.decode(head[bom:], final=len(data) <= TEXT_SNIFF_BYTES))
    if not text:
        return False
    controls = 0
    replaced = 0
    for char in text:
        if char == "\ufffd":
            replaced += 1
        elif (char < " " and char not in "\t\n\r\f\v\x1b") or char == "\x7f":
            controls += 1
    return controls <= 0.02 * len(text) and replaced <= 0.1 * len(text)


# --- links ---------------------------------------------------------------------------------------------


def _trim_end(text: str, start: int, end: int) -> int:
    """The end of a link found at text[start:end] without the prose punctuation that follows it."""
    counts = {opener: 0 for opener in _CLOSERS.values()}
    closes = dict.fromkeys(_CLOSERS, 0)
    for char in text[start:end]:
        if char in counts:
            counts[char] += 1
        elif char in closes:
            closes[char] += 1
    while end > start and text[end - 1] in _TRAILING:
        char = text[end - 1]
        if char in closes:
            if counts[_CLOSERS[char]] >= closes[char]:
                break  # balanced: part of the link (``.../wiki/Bread_(food)``)
            closes[char] -= 1
        end -= 1
    return end


def phone_value(number: str, region: str | None = None) -> str | None:
    """E.164 of a valid phone number written in ``number``, or None."""
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, PhoneNumberFormat.E164)


def _valid_host(host: str) -> bool:
    if ":" in host:  # IPv6 literal
        return all(c in "0123456789abcdef:." for c in host)
    labels = host.split(".")
    if len(labels) < 2 or any(not label for label in labels):
        return False
    return all(c.isalnum() or c in "-_" for label in labels for c in label)


def _telegram(path: str, host: str) -> tuple[str, str] | None:
    """(kind, value) of a t.me / telegram.me / telegram.dog link, None when it names no chat."""
    if host not in _TELEGRAM_HOSTS:  # name.t.me: a public name as a subdomain
        name = host.rsplit(".", 2)[0]
        return ("invite", f"telegram:{name.lower()}") if _TELEGRAM_NAME_RE.fullmatch(name) else None
    segments = [s for s in path.split("/") if s]
    if not segments:
        return None
    first = segments[0]
    second = segments[1] if len(segments) > 1 else ""
    if first.startswith("+"):
        code = first[1:]
        if _DIGITS_RE.fullmatch(code):
            phone = phone_value("+" + code)
            return ("phone", phone) if phone else None
        return ("invite", f"telegram:+{code}") if _INVITE_CODE_RE.fullmatch(code) else None
    low = first.lower()
    if low == "joinchat":
        return ("invite", f"telegram:+{second}") if _INVITE_CODE_RE.fullmatch(second) else None
    if low == "addlist":
        return ("invite", f"telegram:addlist/{second}") if _INVITE_CODE_RE.fullmatch(second) else None
    if low == "c":
        return ("invite", f"telegram:c/{second}") if second.isdigit() else None
    if low == "s" and _TELEGRAM_NAME_RE.fullmatch(second):
        return ("invite", f"telegram:{second.lower()}")
    if low in _TELEGRAM_RESERVED or not _TELEGRAM_NAME_RE.fullmatch(first):
        return None
    return ("invite", f"telegram:{low}")


def _tg_scheme(parts: SplitResult) -> tuple[str, str] | None:
    query = parse_qs(parts.query)
    action = parts.netloc.lower()
    if action == "join":
        code = (query.get("invite") or [""])[0]
        return ("invite", f"telegram:+{code}") if _INVITE_CODE_RE.fullmatch(code) else None
    if action == "resolve":
        name = (query.get("domain") or [""])[0]
        return ("invite", f"telegram:{name.lower()}") if _TELEGRAM_NAME_RE.fullmatch(name) else None
    return None


def _messenger(parts: SplitResult, host: str) -> tuple[str, str] | None:
    """(kind, value) of a messenger invite or phone link, None for any other link."""
    bare = host.removeprefix("www.")
    path = parts.path
    segments = [s for s in path.split("/") if s]
    first = segments[0] if segments else ""
    if bare in _TELEGRAM_HOSTS or bare.endswith((".t.me", ".telegram.me")):
        return _telegram(path, bare)
    if bare == "chat.whatsapp.com":
        code = segments[1] if first.lower() == "invite" and len(segments) > 1 else first
        return ("invite", f"whatsapp:{code}") if _WHATSAPP_CODE_RE.fullmatch(code) else None
    if bare == "wa.me" or (bare == "api.whatsapp.com" and first.lower() == "send"):
        digits = first if bare == "wa.me" else (parse_qs(parts.query).get("phone") or [""])[0]
        digits = digits.lstrip("+")
        if _DIGITS_RE.fullmatch(digits):
            phone = phone_value("+" + digits)
            return ("phone", phone) if phone else None
        return None
    if bare == "discord.gg" or (bare in ("discord.com", "discordapp.com") and first.lower() == "invite"):
        code = first if bare == "discord.gg" else (segments[1] if len(segments) > 1 else "")
        return ("invite", f"discord:{code}") if _DISCORD_CODE_RE.fullmatch(code) else None
    if bare == "signal.group" and parts.fragment:
        return ("invite", f"signal:{parts.fragment}")
    return None


def _onion(host: str) -> str | None:
    if not host.endswith(".onion"):
        return None
    label = host[: -len(".onion")].rsplit(".", 1)[-1]
    if not _ONION_LABEL_RE.fullmatch(label) or (len(label) == 56 and not label.endswith("d")):
        return None
    return f"{label}.onion"


def _classify_link(raw: str) -> tuple[str, str] | None:
    """(kind, value) of one trimmed link, None when it is not a usable link."""
    low = raw.lower()
    if low.startswith("tg://"):
        try:
            return _tg_scheme(urlsplit(raw))
        except ValueError:
            return None
    url = raw if low.startswith(("http://", "https://")) else "https://" + raw
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        port = parts.port
    except ValueError:
        return None
    if not host or not _valid_host(host):
        return None
    onion = _onion(host)
    if onion:
        return ("onion", onion)
    found = _messenger(parts, host)
    if found:
        return found
    scheme = parts.scheme.lower()
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"[{host}]" if ":" in host else host
    if userinfo:
        netloc = f"{userinfo}@{netloc}"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = parts.path[:-1] if parts.path.endswith("/") else parts.path
    value = f"{scheme}://{netloc}{path}"
    if parts.query:
        value += "?" + parts.query
    if parts.fragment and host.removeprefix("www.") in _FRAGMENT_HOSTS:
        value += "#" + parts.fragment
    return ("url", value)


# --- spans ---------------------------------------------------------------------------------------------


class _Claimed:
    """Sorted, non-overlapping spans already taken by an earlier pass."""

    def __init__(self) -> None:
        self._spans: list[tuple[int, int]] = []
        self._starts: list[int] = []

    def add(self, spans: list[tuple[int, int]]) -> None:
        self._spans = sorted(self._spans + spans)
        self._starts = [s for s, _ in self._spans]

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start)
        if i > 0 and self._spans[i - 1][1] > start:
            return True
        return i < len(self._spans) and self._spans[i][0] < end


def _links(text: str, limit: int, unclaimed: list[tuple[int, int]]) -> list[Identifier]:
    found: list[Identifier] = []
    for match in _LINK_RE.finditer(text):
        start = match.start()
        end = _trim_end(text, start, match.end())
        unclaimed.append((start, match.end()))  # digits in any link-like text are not phone numbers
        raw = text[start:end]
        kind_value = _classify_link(raw)
        if kind_value is None:
            continue
        found.append(Identifier(kind_value[0], kind_value[1], raw, start, end))
        if len(found) >= limit:
            break
    return found


def _bare_onions(text: str, limit: int, claimed: _Claimed) -> list[Identifier]:
    found: list[Identifier] = []
    for match in _BARE_ONION_RE.finditer(text):
        start = match.start()
        end = _trim_end(text, start, match.end())
        if claimed.overlaps(start, end):
            continue
        raw = text[start:end]
        value = _onion(raw.split("/", 1)[0].lower())
        if value is None:
            continue
        found.append(Identifier("onion", value, raw, start, end))
        if len(found) >= limit:
            break
    return found


def _emails(text: str, limit: int, claimed: _Claimed) -> list[Identifier]:
    found: list[Identifier] = []
    for match in _EMAIL_RE.finditer(text):
        raw = match.group()
        local, _, domain = raw.partition("@")
        start = match.start() + (len(local) - len(local.lstrip(".")))
        local = local.lstrip(".")
        domain = domain.rstrip(".-")
        end = start + len(local) + 1 + len(domain)
        if not local or local.endswith(".") or ".." in local:
            continue
        labels = domain.lower().split(".")
        if len(labels) < 2 or not all(_DOMAIN_LABEL_RE.fullmatch(label) for label in labels):
            continue
        if not _TLD_RE.fullmatch(labels[-1]) or claimed.overlaps(start, end):
            continue
        found.append(Identifier("email", text[start:end].lower(), text[start:end], start, end))
        if len(found) >= limit:
            break
    return found


def _usernames(text: str, limit: int, claimed: _Claimed) -> list[Identifier]:
    found: list[Identifier] = []
    for match in _USERNAME_RE.finditer(text):
        if match.end() < len(text) and text[match.end()] == "@":
            continue  # ``@name@host``: an address, not a handle
        raw = match.group().rstrip(".")
        handle = raw[1:]
        if not 3 <= len(handle) <= 32 or not _LETTER_RE.search(handle):
            continue
        start = match.start()
        end = start + len(raw)
        if claimed.overlaps(start, end):
            continue
        found.append(Identifier("username", raw.lower(), raw, start, end))
        if len(found) >= limit:
            break
    return found


def _masked(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with every span replaced by as many spaces: offsets outside the spans are unchanged."""
    parts: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        if end <= pos:
            continue
        begin = max(start, pos)
        parts.append(text[pos:begin])
        parts.append(" " * (end - begin))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def _chunks(text: str, size: int) -> Iterator[tuple[int, str]]:
    pos = 0
    while pos < len(text):
        cut = pos + size
        if cut < len(text):
            line_end = text.rfind("\n", pos, cut)
            if line_end <= pos:
                line_end = text.rfind(" ", pos, cut)
            if line_end > pos:
                cut = line_end + 1
        yield pos, text[pos:cut]
        pos = cut


def _phones(text: str, masked: str, region: str | None, limit: int) -> list[Identifier]:
    found: list[Identifier] = []
    for offset, chunk in _chunks(masked, PHONE_CHUNK):
        if region is None and "+" not in chunk:
            continue  # without a region only international numbers parse
        for match in PhoneNumberMatcher(chunk, region, leniency=Leniency.VALID):
            start = offset + match.start
            end = offset + match.end
            if text[start:end] != match.raw_string:
                continue  # it reached across a blanked span
            value = phonenumbers.format_number(match.number, PhoneNumberFormat.E164)
            found.append(Identifier("phone", value, match.raw_string, start, end))
            if len(found) >= limit:
                return found
    return found


# --- entry points -------------------------------------------------------------------------------------


def extract(text: str, default_region: str | None = None, limit: int = DEFAULT_LIMIT) -> list[Identifier]:
    """Every identifier in ``text``, in order of position, at most ``limit`` of them."""
    if limit <= 0 or not text:
        return []
    region = default_region.upper() if default_region else None
    claimed = _Claimed()
    blank: list[tuple[int, int]] = []
    found = _links(text, limit, blank)
    claimed.add([(i.start, i.end) for i in found])
    for finder in (_bare_onions, _emails, _usernames):
        more = finder(text, limit, claimed)
        claimed.add([(i.start, i.end) for i in more])
        found += more
    blank += [(i.start, i.end) for i in found]
    blank += [m.span() for m in _NOISE_RE.finditer(text)]
    if _DIGIT_RE.search(text):
        found += _phones(text, _masked(text, blank), region, limit)
    found.sort(key=lambda i: (i.start, i.end, i.kind))
    seen: set[tuple[str, str, int]] = set()
    result: list[Identifier] = []
    for ident in found:
        key = (ident.kind, ident.value, ident.start)
        if key in seen:
            continue
        seen.add(key)
        result.append(ident)
        if len(result) >= limit:
            break
    return result


def extract_from_bytes(
    data: bytes,
    default_region: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    limit: int = DEFAULT_LIMIT,
) -> list[Identifier]:
    """``extract`` over the first ``max_bytes`` of ``data`` (decoded as ``decode_text`` does)."""
    return extract(decode_text(data, max_bytes), default_region, limit)
