"""Project VIC VICS JSON: hash sets (``#Media``) and case exports (``#Cases``), versions 1.1-1.3 and 2.0.

The shape, as exported by Griffeye, X-Ways X-Tensions, AXIOM and friends::

    {"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
     "value": [{"MediaID": 1, "Category": 1, "MD5": "ADEB...", "SHA1": "2B03...", "MediaSize": 2835,
                "AlternativeHashes": [{"HashName": "PhotoDNA", "HashValue": "<192 base64>"}], ...}, ...]}

Version 1.x says ``"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"`` instead.
``#Cases`` wraps the media in ``value[i].Media[]`` beside case fields (CaseID, CaseNumber, Contact*,
Source*), and each media may carry ``MediaFiles[]`` (where copies were found) and ``Exifs[]``
(PropertyName/Value pairs).

Reading streams with ijson (yajl2_c): a short event pre-scan reads the top-level keys up to the media array
and decides the shape (from the context URL, else from the keys of the first item); ``ijson.items`` then
builds the media one by one in C. Keys written *after* the media array (case fields that a key-sorting
exporter puts after ``Media``, an ``odata.nextLink``) are read at the end from a small window around the last
media, located by its byte position; should that fail, one slow event pass over the file collects them.
Either way they land in ``header.extra`` once the iterator is exhausted.

Quirks handled, all seen in real exports or their writers' source:

- a UTF-8 byte-order mark; keys in any case (``MD5``/``md5``, ``SourceID``/``sourceID``);
- booleans as JSON, or as strings "true"/"false"/"True"/"1"/"0"/"yes"; numbers as strings (``"MediaSize":
  "2835"``, ``"Category": "1"``); upper- or lower-case hex;
- OData decorations: ``odata.id``, ``odata.editLink``, ``X@odata.navigationLinkUrl``, ``__metadata``,
  ``__deferred`` and the verbose ``{"results": [...]}`` collection wrapper (also a top-level ``{"d": ...}``):
  they are kept as unknown keys, and wrapped collections are read through;
- ``Category`` null means uncategorised (Category None), never code 0 unless the file says 0 (some writers
  omit a 0 category altogether; we do not guess);
- PhotoDNA (144 bytes: 192 base64 or 288 hex characters) from ``AlternativeHashes`` HashName "PhotoDNA" or a
  ``PhotoDNA`` field, kept as read, never matched; SHA-256 and PDQ from ``AlternativeHashes`` or own fields;
- date-times in any of the forms exporters write (``parse_vics_datetime``): ISO 8601 with 0-7+ fractional
  digits, with or without ``Z`` or an offset (even ``+01:00Z``), and .NET ``/Date(ms)/``, ``/Date(ms+0100)/``.

Categories are read in the profile's scheme: ``vic-us`` for 2.0 US, Default and CUSTOM and for 1.x, ``uk``
for the 2.0 UK profile; ``read_list(..., scheme=...)`` overrides it (e.g. ``vic-legacy`` for an old 0-5 file).

Nothing is dropped on import: every key without a slot in ListEntry (MediaID, Comments, Tags, DateUpdated,
IsPrecategorized, MediaFiles, Exifs, unknown vendor keys...) is kept in ``ListEntry.extra`` with its raw
value, and so are mapped keys whose value had no model value (``"Series": null``) or could not be read (a
malformed MD5: a problem is logged and the raw value kept). ``extra["AlternativeHashes"]`` holds the list as
read, for a faithful re-export. MediaID is also ``external_id``. Top-level and case-level keys go to
``header.extra`` (``top`` and ``case``). Writing the entries back with the header gives a semantically equal
file for well-formed input (string booleans and numbers come back as JSON booleans and numbers).
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, BinaryIO

import ijson

import jejak
from jejak.errors import ConfigError
from jejak.lists.categories import NUMBER_BY_UK, CategoryReader
from jejak.lists.common import (
    ListReader,
    norm_key,
    parse_bool,
    parse_hash,
    parse_int,
    parse_text,
    photodna_problem,
)
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.model.records import ExifInfo, HashValue

BUF_SIZE = 64 * 1024
TAIL_WINDOW_CAP = 32 * 1024 * 1024

CONTEXT_V2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/{version}.xml/{profile}/$metadata#{shape}"
CONTEXT_V1 = "http://github.com/ICMEC/ProjectVic/DataModels/{version}.xml#{shape}"
PROFILES = ("US", "UK", "Default", "CUSTOM")

_CONTEXT_KEYS = ("@odata.context", "odata.metadata")
_CONTEXT = re.compile(r"DataModels/(?P<version>\d+(?:\.\d+)*)\.xml(?:/(?P<profile>[^/$#]+))?", re.IGNORECASE)
_SHAPE = re.compile(r"#\s*(?P<shape>[A-Za-z]+)\s*$")
_MEDIA_HINT_KEYS = frozenset(
    {"md5", "sha1", "mediaid", "category", "alternativehashes", "photodna", "mediasize", "victimidentified"}
)

# media-level keys we map (lower case) -> field
_F_MD5, _F_SHA1, _F_SHA256, _F_PDQ, _F_PDNA = "md5", "sha1", "sha256", "pdq", "photodna"
_MEDIA_FIELDS: dict[str, str] = {
    "md5": _F_MD5,
    "sha1": _F_SHA1,
    "sha-1": _F_SHA1,
    "sha256": _F_SHA256,
    "sha-256": _F_SHA256,
    "pdq": _F_PDQ,
    "photodna": _F_PDNA,
    "alternativehashes": "alt",
    "mediaid": "mediaid",
    "category": "category",
    "series": "series",
    "victimidentified": "victim_identified",
    "offenderidentified": "offender_identified",
    "isdistributed": "distributed",
    "baseline": "baseline",
    "isbaseline": "baseline",
    "mediasize": "size",
    "mimetype": "media_type",
    "filename": "name",
}
# hash names in AlternativeHashes (normalised with norm_key) -> algorithm
_ALT_NAMES: dict[str, str] = {
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "sha2256": "sha256",
    "pdq": "pdq",
    "pdqhash": "pdq",
    "photodna": "photodna",
}
_ALT_WRITE_NAME = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "pdq": "PDQ", "photodna": "PhotoDNA"}


# --- date-times -------------------------------------------------------------------------------------------

_ISO = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?\s*(Z)?$",
    re.IGNORECASE,
)
_NET_DATE = re.compile(r"^\\?/?Date\((-?\d+)([+-]\d{2}):?(\d{2})?\)\\?/?$|^\\?/?Date\((-?\d+)\)\\?/?$")


def parse_vics_datetime(value: object) -> datetime | None:
    """A date-time as VICS exporters write it; None for null/empty. Aware when the text says a zone (``Z``,
    an offset, or a .NET ``/Date(ms)/``, which is UTC), naive otherwise. Raises ValueError when unreadable.

    Accepted: ``2023-06-07T02:31:49Z``, ``...49.8300Z``, ``...49.1234567+01:00`` (fractions beyond
    microseconds are cut), ``2023-06-07 02:31:49``, ``2023-06-07``, ``...+01:00Z`` (offset and a stray Z),
    ``/Date(1686105109830)/`` and ``/Date(1686105109830+0100)/`` (UTC milliseconds, shown at that offset)."""
    if value is None:
        return None
    text = str(value).strip()
    if not text or text.lower() == "null":
        return None
    m = _NET_DATE.match(text)
    if m:
        if m.group(4) is not None:
            return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m.group(4)))
        utc = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(m.group(1)))
        hours = int(m.group(2))
        minutes = int(m.group(3) or 0) * (-1 if hours < 0 or m.group(2).startswith("-") else 1)
        return utc.astimezone(timezone(timedelta(hours=hours, minutes=minutes)))
    m = _ISO.match(text)
    if not m:
        raise ValueError(f"not a date-time: {text!r}")
    year, month, day, hour, minute, second, frac, zone, stray_z = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    tz: timezone | None = None
    if zone is not None and zone.upper() == "Z":
        tz = UTC
    elif zone is not None:
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))
    elif stray_z is not None:
        tz = UTC
    return datetime(
        int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), micro, tzinfo=tz
    )


def format_vics_datetime(value: datetime) -> str:
    """ISO 8601 as VICS consumers read it: UTC with ``Z`` for aware values, no zone for naive (local) ones;
    milliseconds (or microseconds) only when there are any."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    spec = (
        "seconds" if value.microsecond == 0 else "milliseconds" if value.microsecond % 1000 == 0 else "auto"
    )
    text = value.replace(tzinfo=None).isoformat(timespec=spec)
    return text + "Z" if value.tzinfo is not None else text


# --- context ----------------------------------------------------------------------------------------------


def parse_context(text: str | None) -> tuple[str | None, str | None, str | None]:
    """(version, profile, shape) from an ``@odata.context`` / ``odata.metadata`` URL, each None if absent."""
    if not text:
        return None, None, None
    version = profile = shape = None
    m = _CONTEXT.search(text)
    if m:
        version = m.group("version")
        raw_profile = m.group("profile")
        if raw_profile:
            profile = next((p for p in PROFILES if p.lower() == raw_profile.lower()), raw_profile)
    s = _SHAPE.search(text)
    if s:
        shape = "Cases" if s.group("shape").lower().startswith("case") else "Media"
    return version, profile, shape


def default_scheme(version: str | None, profile: str | None) -> str:
    """The category scheme a VICS file's Category is in, by its profile."""
    return "uk" if profile is not None and profile.upper() == "UK" else "vic-us"


def context_url(version: str, profile: str, shape: str) -> tuple[str, str]:
    """(key, URL) of the context for a version (1.x or 2.0), profile and shape ("Media"/"Cases")."""
    if version.startswith("1"):
        return "odata.metadata", CONTEXT_V1.format(version=version, shape=shape)
    return "@odata.context", CONTEXT_V2.format(version=version, profile=profile, shape=shape)


# --- the pre-scan -----------------------------------------------------------------------------------------


@dataclass
class _Layout:
    context_key: str | None = None
    context: str | None = None
    top: dict[str, Any] = field(default_factory=dict)
    array_path: tuple[str, ...] = ()
    shape: str | None = None
    media_key: str | None = None
    case: dict[str, Any] = field(default_factory=dict)
    found: bool = False
    bom: int = 0
    error: str | None = None

    @property
    def items_prefix(self) -> str:
        base = ".".join(self.array_path) + ".item"
        if self.shape == "Cases":
            return f"{base}.{self.media_key or 'Media'}.item"
        return base


def _skip_bom(f: IO[bytes]) -> int:
    head = f.read(3)
    if head == b"\xef\xbb\xbf":
        return 3
    f.seek(0)
    return 0


_SCALAR_EVENTS = frozenset({"string", "number", "boolean", "null", "integer", "double"})


def _build(event: str, value: Any, events: Iterator[tuple[str, str, Any]]) -> Any:
    """The value whose first event is (event, value), reading its remaining events."""
    if event in _SCALAR_EVENTS:
        return value
    builder = ijson.ObjectBuilder()
    builder.event(event, value)
    depth = 1
    for _prefix, ev, val in events:
        builder.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if depth == 0:
                break
    return builder.value


class _NotVics(Exception):
    pass


def _prescan(path: Path) -> _Layout:
    lay = _Layout()
    with open(path, "rb") as f:
        lay.bom = _skip_bom(f)
        events: Iterator[tuple[str, str, Any]] = iter(ijson.parse(f, use_float=True, buf_size=BUF_SIZE))
        try:
            _walk_head(events, lay)
        except _NotVics as exc:
            lay.error = str(exc)
        except (ijson.JSONError, ValueError) as exc:
            lay.error = f"not valid JSON: {exc}"
    return lay


def _walk_head(events: Iterator[tuple[str, str, Any]], lay: _Layout) -> None:
    first = next(events, None)
    if first is None:
        raise _NotVics("the file is empty")
    if first[1] != "start_map":
        raise _NotVics("the JSON document is not an object")
    key = ""
    for prefix, event, value in events:
        if prefix == "":
            if event == "map_key":
                key = value
                continue
            if event == "end_map":
                return
        lower = key.lower()
        if lower in ("value", "d") and event == "start_array":
            lay.array_path = (key,)
            _enter_array(events, lay, key)
            return
        if lower == "d" and event == "start_map":
            inner = ""
            for p, ev, val in events:  # verbose OData: {"d": {"results": [...]}}
                if p == key and ev == "map_key":
                    inner = val
                    continue
                if p == key and ev == "end_map":
                    break
                if inner.lower() == "results" and ev == "start_array":
                    lay.array_path = (key, inner)
                    _enter_array(events, lay, f"{key}.{inner}")
                    return
                _build(ev, val, events)
            continue
        built = _build(event, value, events)
        lay.top[key] = built
        if lower in _CONTEXT_KEYS and isinstance(built, str) and lay.context is None:
            lay.context_key, lay.context = key, built


def _enter_array(events: Iterator[tuple[str, str, Any]], lay: _Layout, array_prefix: str) -> None:
    lay.found = True
    hint = parse_context(lay.context)[2]
    if hint == "Media":
        lay.shape = "Media"
        return
    item_prefix = array_prefix + ".item"
    first = next(events, None)
    if first is None or first[1] == "end_array":
        lay.shape = hint or "Media"
        return
    if first[1] != "start_map":
        lay.shape = hint or "Media"
        return
    key = ""
    case: dict[str, Any] = {}
    for prefix, event, value in events:
        if prefix == item_prefix and event == "map_key":
            key = value
            continue
        if prefix == item_prefix and event == "end_map":
            lay.shape = hint or "Media"  # no Media list in the first item: media themselves
            lay.case = case if lay.shape == "Cases" else {}
            return
        lower = key.lower()
        if lower == "media" and event == "start_array":
            lay.shape, lay.media_key, lay.case = "Cases", key, case
            return
        if hint is None and lower in _MEDIA_HINT_KEYS:
            lay.shape = "Media"
            return
        case[key] = _build(event, value, events)


# --- the tail: keys written after the media array ---------------------------------------------------------


class _Counting:
    """A binary reader that counts the bytes handed to ijson (to locate the last media afterwards)."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.pos += len(data)
        return data


class _Chain:
    """A synthetic JSON opening followed by the rest of a file from an offset."""

    def __init__(self, head: bytes, f: IO[bytes]) -> None:
        self.head = head
        self.f = f

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0 or n >= len(self.head):
                out, self.head = self.head, b""
                return out + (self.f.read(n - len(out)) if n > 0 else b"")
            out, self.head = self.head[:n], self.head[n:]
            return out
        return self.f.read(n)


def _locate_array_end(path: Path, start: int, last: Any) -> int | None:
    """The byte offset of the ``]`` that closes the media array: the last media (``last``, as ijson built it)
    is found at or after ``start`` by decoding candidate objects and comparing."""
    with open(path, "rb") as f:
        f.seek(start)
        chunks: list[bytes] = []
        size = 0
        while size < TAIL_WINDOW_CAP:  # in pieces: read(n) would reserve all n bytes at once
            chunk = f.read(min(BUF_SIZE, TAIL_WINDOW_CAP - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        data = b"".join(chunks)
    text = data.decode("utf-8", "surrogateescape")
    decoder = json.JSONDecoder()
    idx = text.find("{")
    while idx != -1:
        try:
            obj, end = decoder.raw_decode(text, idx)
        except ValueError:
            obj, end = None, idx
        if obj is not None and obj == last:
            j = end
            while j < len(text) and text[j] in " \t\r\n":
                j += 1
            if j < len(text) and text[j] == "]":
                return start + len(text[:j].encode("utf-8", "surrogateescape"))
        idx = text.find("{", idx + 1)
    return None


def _collect_events(
    events: Iterable[tuple[str, str, Any]], lay: _Layout, top: dict[str, Any], case: dict[str, Any]
) -> None:
    """Top-level keys (except the media array) and the first case's keys (except Media) from an event stream
    that starts at the document start; media are skipped without being built."""
    arr = lay.array_path[0] if lay.array_path else None
    case_prefix = f"{arr}.item"
    it = iter(events)
    key = ""
    ckey = ""
    cases_seen = 0
    for prefix, event, value in it:
        if prefix == "":
            if event == "map_key":
                key = value
            continue
        if key != arr:
            top[key] = _build(event, value, it)
            continue
        if lay.shape != "Cases":
            continue
        if prefix == case_prefix:
            if event == "start_map":
                cases_seen += 1
            elif event == "map_key":
                ckey = value
            continue
        if prefix == f"{case_prefix}.{ckey}" and cases_seen == 1 and ckey.lower() != "media":
            case[ckey] = _build(event, value, it)


def _read_tail(
    path: Path, lay: _Layout, count: int, last: Any, window_start: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(top-level keys, case keys) written after the media array."""
    top: dict[str, Any] = {}
    case: dict[str, Any] = {}
    if len(lay.array_path) != 1:
        return top, case
    end = _locate_array_end(path, window_start, last) if count else None
    if end is None:  # no media, or the last one could not be located: one full event pass
        with open(path, "rb") as f:
            _skip_bom(f)
            _collect_events(ijson.parse(f, use_float=True, buf_size=BUF_SIZE), lay, top, case)
        return top, case
    arr = json.dumps(lay.array_path[0]).encode()
    if lay.shape == "Cases":
        head = b"{" + arr + b":[{" + json.dumps(lay.media_key or "Media").encode() + b":["
    else:
        head = b"{" + arr + b":["
    with open(path, "rb") as f:
        f.seek(end)
        _collect_events(ijson.parse(_Chain(head, f), use_float=True, buf_size=BUF_SIZE), lay, top, case)
    return top, case


# --- media -> ListEntry -----------------------------------------------------------------------------------


class _MediaReader:
    """One VICS media object -> ListEntry (or None with a problem), per the rules in the module docstring.
    The hot path of a million-entry import: keys are resolved once per spelling, hashes on a fast path."""

    def __init__(self, reader: ListReader, cats: CategoryReader) -> None:
        self.reader = reader
        self.cats = cats
        self.hex_case: bool | None = None  # True: the file writes hex upper-case
        self._keys: dict[str, str] = {}  # key as spelt in the file -> field ("" for an unmapped key)
        self._alt_names: dict[str, str | None] = {}

    def _field(self, key: str) -> str:
        fname = self._keys.get(key)
        if fname is None:
            fname = self._keys[key] = _MEDIA_FIELDS.get(key.lower(), "")
        return fname

    def __call__(self, m: Any, n: int) -> ListEntry | None:
        if not isinstance(m, dict):
            self.reader.problem(f"media #{n}", f"not a JSON object: {type(m).__name__}", skipped=True)
            return None
        hashes: dict[str, HashValue] = {}
        extra: dict[str, Any] = {}
        photodna: str | None = None
        category: Category | None = None
        series = media_type = external_id = name = None
        size: int | None = None
        victim = offender = distributed = baseline = None
        alt: Any = None
        keys = self._keys
        for key, value in m.items():
            fname = keys.get(key)
            if fname is None:
                fname = self._field(key)
            if not fname:
                extra[key] = value
            elif fname in (_F_MD5, _F_SHA1):
                self._hash(fname, key, value, hashes, extra, m, n)
                if self.hex_case is None and fname in hashes and isinstance(value, str):
                    self.hex_case = any(c in "ABCDEF" for c in value)
            elif fname == "category":
                if value is not None:
                    try:
                        category = self.cats(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{exc}; kept without a category")
                if category is None:
                    extra[key] = value
            elif fname == "alt":
                extra[key] = alt = value
            elif fname == "mediaid":
                extra[key] = value
                if value is not None:
                    external_id = str(value)
            elif fname in _FLAG_FIELDS:
                if type(value) is bool:
                    b: bool | None = value
                else:
                    try:
                        b = parse_bool(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{key}: {exc}")
                        b = None
                if b is None:
                    extra[key] = value
                elif fname == "victim_identified":
                    victim = b
                elif fname == "offender_identified":
                    offender = b
                elif fname == "distributed":
                    distributed = b
                else:
                    baseline = b
            elif fname == "size":
                if type(value) is int:
                    size = value
                else:
                    try:
                        size = parse_int(value)
                    except ValueError as exc:
                        self._bad(m, n, f"{key}: {exc}")
                    if size is None:
                        extra[key] = value
            elif fname in (_F_SHA256, _F_PDQ):
                extra[key] = value  # its place (an own field, not AlternativeHashes) is kept for export
                self._hash(fname, key, value, hashes, extra, m, n)
            elif fname == _F_PDNA:
                extra[key] = value
                if isinstance(value, str) and value.strip():
                    photodna = value
                    why = photodna_problem(value)
                    if why:
                        self._bad(m, n, why)
            else:  # series, media_type, name
                text = parse_text(value) if isinstance(value, str | int) else None
                if text is None:
                    extra[key] = value
                elif fname == "series":
                    series = text
                elif fname == "media_type":
                    media_type = text
                else:
                    name = text
        if alt is not None:
            photodna = self._alternative(alt, hashes, photodna, m, n)
        if not hashes and photodna is None:
            self.reader.problem(
                self._where(m, n), "no MD5, SHA-1, SHA-256, PDQ or PhotoDNA value", skipped=True
            )
            return None
        found = tuple(hashes)
        order = _ORDERS.get(found)
        if order is None:
            order = _ORDERS[found] = tuple(a for a in _ORDER if a in hashes)
        ordered = tuple(map(hashes.__getitem__, order))
        return ListEntry(
            hashes=ordered,
            category=category,
            photodna=photodna,
            series=series,
            victim_identified=victim,
            offender_identified=offender,
            distributed=distributed,
            baseline=baseline,
            external_id=external_id,
            media_type=media_type,
            name=name,
            size=size,
            extra=extra,
        )

    def _hash(
        self,
        alg: str,
        key: str,
        value: Any,
        hashes: dict[str, HashValue],
        extra: dict[str, Any],
        m: dict[str, Any],
        n: int,
    ) -> None:
        try:
            h = parse_hash(alg, value)
        except ValueError as exc:
            self._bad(m, n, str(exc))
            extra[key] = value
            return
        if h is None:
            extra[key] = value
        elif alg in hashes and hashes[alg] != h:
            self._bad(m, n, f"two different {alg} values; kept the first")
        else:
            hashes[alg] = h

    def _alg_of(self, hname: Any) -> str | None:
        if not isinstance(hname, str):
            return None
        alg = self._alt_names.get(hname, _MISSING)
        if alg is _MISSING:
            alg = self._alt_names[hname] = _ALT_NAMES.get(norm_key(hname))
        return alg  # type: ignore[return-value]

    def _alternative(
        self, alt: Any, hashes: dict[str, HashValue], photodna: str | None, m: dict[str, Any], n: int
    ) -> str | None:
        items = alt.get("results") if isinstance(alt, dict) else alt
        if not isinstance(items, list):
            return photodna  # a __deferred link or similar: nothing to read
        for item in items:
            if not isinstance(item, dict):
                continue
            if "HashName" in item:
                hname, hvalue = item["HashName"], item.get("HashValue")
            else:
                hname = hvalue = None
                for k, v in item.items():
                    lk = k.lower()
                    if lk == "hashname":
                        hname = v
                    elif lk == "hashvalue":
                        hvalue = v
            alg = self._alg_of(hname)
            if alg is None or hvalue is None:
                continue
            if alg == "photodna":
                if photodna is None and isinstance(hvalue, str) and hvalue.strip():
                    photodna = hvalue
                    why = photodna_problem(hvalue)
                    if why:
                        self._bad(m, n, why)
                continue
            try:
                h = parse_hash(alg, hvalue)
            except ValueError as exc:
                self._bad(m, n, f"AlternativeHashes {hname}: {exc}")
                continue
            if h is None:
                continue
            if alg not in hashes:
                hashes[alg] = h
            elif hashes[alg] != h:
                self._bad(m, n, f"AlternativeHashes {hname} differs from the media's {alg}; kept the media's")
        return photodna

    def _where(self, m: dict[str, Any], n: int) -> str:
        for k, v in m.items():
            if k.lower() == "mediaid" and v is not None:
                return f"media #{n} (MediaID {v})"
        return f"media #{n}"

    def _bad(self, m: dict[str, Any], n: int, reason: str) -> None:
        self.reader.problem(self._where(m, n), reason)


_FLAG_FIELDS = frozenset({"victim_identified", "offender_identified", "distributed", "baseline"})
_ORDER = ("md5", "sha1", "sha256", "pdq")
_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}  # algorithms as found -> in ListEntry order
_MISSING = object()


# --- the reader -------------------------------------------------------------------------------------------


def open_vics(path: Path, scheme: str | None) -> ListReader:
    """A streaming reader of a VICS JSON file (see the module docstring)."""
    lay = _prescan(path)
    version, profile, shape = parse_context(lay.context)
    used_scheme = scheme or default_scheme(version, profile)
    extra: dict[str, Any] = {
        "shape": lay.shape or shape or "Media",
        "context_key": lay.context_key,
        "context": lay.context,
        "scheme": used_scheme,
        "top": {k: v for k, v in lay.top.items() if k != lay.context_key},
    }
    if lay.shape == "Cases":
        extra["case"] = dict(lay.case)
    if len(lay.array_path) > 1 or (lay.array_path and lay.array_path[0].lower() == "d"):
        extra["odata_verbose"] = True
    header = ListHeader(format="vics", version=version, profile=profile, extra=extra)
    cats = CategoryReader(used_scheme, extra)

    def rows(reader: ListReader) -> Iterator[ListEntry]:
        if lay.error is not None:
            reader.stop("", lay.error)
            return
        if not lay.found:
            reader.problem("", "no media array (a top-level 'value' list) in the file")
            return
        convert = _MediaReader(reader, cats)
        count = 0
        pos_prev = pos_last = 0
        last: Any = None
        with open(path, "rb") as raw:
            raw.seek(lay.bom)
            counting = _Counting(raw)
            try:
                for obj in ijson.items(counting, lay.items_prefix, use_float=True, buf_size=BUF_SIZE):
                    count += 1
                    pos_prev, pos_last = pos_last, counting.pos
                    last = obj
                    entry = convert(obj, count)
                    if convert.hex_case is not None and "hex_upper" not in extra:
                        extra["hex_upper"] = convert.hex_case
                    if entry is not None:
                        yield entry
            except (ijson.JSONError, ValueError) as exc:
                reader.stop(f"after media #{count}", f"JSON error: {exc}")
                return
        start = lay.bom + max(0, pos_prev - 2 * BUF_SIZE) if count > 1 else lay.bom
        try:
            top, case = _read_tail(path, lay, count, last, start)
        except (ijson.JSONError, ValueError) as exc:
            reader.problem("after the media", f"keys after the media array could not be read: {exc}")
            return
        extra["top"].update({k: v for k, v in top.items() if k != lay.context_key})
        if lay.shape == "Cases":
            extra["case"].update(case)

    return ListReader(header, rows)


# --- writing ----------------------------------------------------------------------------------------------


def _effective(header: ListHeader | None, profile: str) -> tuple[str, str, str, str, dict[str, Any]]:
    """(version, profile, shape, scheme, header extra) for writing: a VICS header's own version, profile and
    shape win unless ``profile`` was given as something other than the default "US"."""
    hx: dict[str, Any] = header.extra if header is not None and header.format == "vics" else {}
    version = header.version if header is not None and header.format == "vics" and header.version else "2.0"
    chosen = profile
    if profile.upper() == "US" and header is not None and header.format == "vics" and header.profile:
        chosen = header.profile
    chosen = next((p for p in PROFILES if p.lower() == chosen.lower()), chosen)
    shape = hx.get("shape", "Media")
    same_profile = header is not None and (header.profile or "").lower() == chosen.lower()
    if hx.get("scheme") and (version.startswith("1") or same_profile):
        scheme = hx["scheme"]  # the scheme the file was read in (e.g. vic-legacy given to read_list)
    else:
        scheme = default_scheme(version, chosen)
    return version, chosen, shape, scheme, hx


class _MediaWriter:
    """ListEntry -> VICS media dict (mapped fields in VICS spelling, then every extra key as read)."""

    def __init__(self, scheme: str, version: str, hx: dict[str, Any]) -> None:
        self.scheme = scheme
        self.version = version
        self.hx = hx  # read as each media is written: a header still being read learns its hex case late
        self.next_id = 0

    @property
    def upper(self) -> bool:
        return bool(self.hx.get("hex_upper", True))

    def hexval(self, value: str) -> str:
        return value.upper() if self.upper else value

    def category(self, cat: Category) -> Any:
        if cat.scheme == "uk" and self.scheme == "uk":
            return cat.code if self.hx.get("category_style") == "letter" else NUMBER_BY_UK[cat.code]
        if cat.scheme in ("vic-us", "vic-legacy") and cat.scheme == self.scheme:
            return int(cat.code)
        raise ConfigError(
            f"category {cat.scheme}:{cat.code} cannot be written to a VICS {self.version} file whose "
            f"categories are in scheme {self.scheme} (choose the matching profile: UK for uk, US for vic-us)"
        )

    def media(self, e: ListEntry) -> dict[str, Any]:
        self.next_id += 1
        out: dict[str, Any] = {}
        done: set[str] = set()
        x = e.extra
        xl = {k.lower(): k for k in x}

        def put(key: str, value: Any) -> None:
            out[key] = value
            done.add(key.lower())

        raw_id = x.get(xl["mediaid"]) if "mediaid" in xl else None
        if e.external_id is None:
            put(xl.get("mediaid", "MediaID"), raw_id if "mediaid" in xl else self.next_id)
        elif raw_id is not None and str(raw_id) == e.external_id:
            put(xl["mediaid"], raw_id)
        else:
            put(
                xl.get("mediaid", "MediaID"), int(e.external_id) if e.external_id.isdigit() else e.external_id
            )
        if e.category is not None:
            put("Category", self.category(e.category))
        for alg, key in (("md5", "MD5"), ("sha1", "SHA1")):
            v = e.hash(alg)
            if v is not None:
                put(xl.get(alg, key), self.hexval(v))
        placed: set[str] = set()
        for alg, keys in (("sha256", ("sha256", "sha-256")), ("pdq", ("pdq",)), ("photodna", ("photodna",))):
            own = next((xl[k] for k in keys if k in xl), None)
            v = e.photodna if alg == "photodna" else e.hash(alg)
            if own is not None and v is not None:
                put(own, v if alg in ("photodna", "pdq") else self.hexval(v))
                placed.add(alg)
        for name, value in (
            ("Series", e.series),
            ("VictimIdentified", e.victim_identified),
            ("OffenderIdentified", e.offender_identified),
            ("IsDistributed", e.distributed),
            ("Baseline", e.baseline),
            ("MediaSize", e.size),
            ("MimeType", e.media_type),
            ("FileName", e.name),
        ):
            if value is not None:
                put(xl.get(name.lower(), name), value)
        alt_key = xl.get("alternativehashes", "AlternativeHashes")
        alt = self.alternative(e, x.get(alt_key), placed)
        if alt is not None:
            put(alt_key, alt)
        for k, v in x.items():
            if k.lower() not in done:
                out[k] = v
        return out

    def alternative(self, e: ListEntry, raw: Any, placed: set[str]) -> Any:
        """AlternativeHashes: the list as read with its values brought up to date, plus the SHA-256, PDQ and
        PhotoDNA that have no place yet."""
        wrapper: dict[str, Any] | None = None
        items: list[Any]
        if isinstance(raw, list):
            items = raw
        elif isinstance(raw, dict) and isinstance(raw.get("results"), list):
            wrapper, items = raw, raw["results"]
        else:
            items = []
        out: list[Any] = []
        present: set[str] = set()
        for item in items:
            if not isinstance(item, dict):
                out.append(item)
                continue
            name_key = next((k for k in item if k.lower() == "hashname"), None)
            value_key = next((k for k in item if k.lower() == "hashvalue"), "HashValue")
            hname = item.get(name_key) if name_key else None
            alg = _ALT_NAMES.get(norm_key(hname)) if isinstance(hname, str) else None
            if alg is None:
                out.append(item)
                continue
            current = e.photodna if alg == "photodna" else e.hash(alg)
            if current is None:
                continue
            old = item.get(value_key)
            if alg != "photodna":  # hex in the case the file wrote it
                upper = (
                    any(c in "ABCDEF" for c in old) if isinstance(old, str) else self.upper and alg != "pdq"
                )
                current = current.upper() if upper else current
            out.append({**item, value_key: current})
            present.add(alg)
        for alg in ("sha256", "pdq", "photodna"):
            if alg in present or alg in placed:
                continue
            v = e.photodna if alg == "photodna" else e.hash(alg)
            if v is not None:
                out.append(
                    {"HashName": _ALT_WRITE_NAME[alg], "HashValue": self.hexval(v) if alg == "sha256" else v}
                )
        if not out and raw is None:
            return None
        if wrapper is not None:
            return {**wrapper, "results": out}
        return out


def _dump(obj: Any) -> str:
    try:
        return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))
    except (TypeError, ValueError):
        return json.dumps(obj, ensure_ascii=True, default=str, separators=(", ", ": "))


def _encode(w: IO[str], text: str) -> None:
    try:
        w.write(text)
    except UnicodeEncodeError:
        w.write(text.encode("utf-8", "surrogatepass").decode("utf-8", "replace"))


def _open_document(w: IO[str], version: str, profile: str, shape: str, hx: dict[str, Any]) -> set[str]:
    """Write ``{"<context key>": "<url>"`` and the top-level keys known so far; returns those keys."""
    key, url = context_url(version, profile, shape)
    old_version, old_profile, old_shape = parse_context(hx.get("context"))
    if (
        hx.get("context")
        and (old_version, old_shape) == (version, shape)
        and (version.startswith("1") or (old_profile or "").lower() == profile.lower())
    ):
        key, url = hx.get("context_key") or key, hx["context"]
    w.write("{" + _dump(key) + ": " + _dump(url))
    return _write_keys(w, hx.get("top") or {}, set(), ",\n")


def _write_keys(w: IO[str], keys: dict[str, Any], done: set[str], sep: str, first: bool = False) -> set[str]:
    """Write the keys not yet written (not the context, the media array or Media), each after ``sep`` (but the
    very first of an object, when ``first``)."""
    for k, v in list(keys.items()):
        if k in done or k.lower() in _CONTEXT_KEYS or k.lower() in ("value", "media"):
            continue
        w.write(("" if first else sep) + _dump(k) + ": " + _dump(v))
        first = False
        done.add(k)
    return done


def write_vics(entries: Iterable[ListEntry], out: BinaryIO, header: ListHeader | None, profile: str) -> int:
    """A VICS hash set (``#Media``; ``#Cases`` when the header was read from a case export), one media per
    line, streamed. Version and profile follow the header when it is a VICS one (1.x stays 1.x). Top-level
    and case keys that the header gains while its reader is being iterated (keys after the media array) are
    written after the media, so that ``write_list(reader, out, "vics", header=header)`` loses nothing."""
    version, prof, shape, scheme, hx = _effective(header, profile)
    writer = _MediaWriter(scheme, version, hx)
    w = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="\n")
    try:
        top_done = _open_document(w, version, prof, shape, hx)
        case_done: set[str] = set()
        if shape == "Cases":
            case = hx.get("case") or {}
            media_key = next((k for k in case if k.lower() == "media"), "Media")
            w.write(',\n"value": [{')
            case_done = _write_keys(w, case, case_done, ", ", first=True)
            w.write(("" if not case_done else ", ") + _dump(media_key) + ": [")
        else:
            w.write(',\n"value": [')
        n = 0
        for e in entries:
            _encode(w, ("\n" if n == 0 else ",\n") + _dump(writer.media(e)))
            n += 1
        if shape == "Cases":
            w.write("\n]")
            _write_keys(w, hx.get("case") or {}, case_done, ", ")
            w.write("}]")
        else:
            w.write("\n]")
        _write_keys(w, hx.get("top") or {}, top_done, ",\n")
        w.write("}\n")
        return n
    finally:
        w.flush()
        w.detach()


# --- VICS case export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VicsMediaFile:
    """One place a media was found: its name, readable provenance path and file-system facts."""

    file_name: str
    file_path: str
    size: int | None = None
    created: datetime | None = None
    written: datetime | None = None
    accessed: datetime | None = None
    unallocated: bool | None = None
    deleted: bool | None = None
    exhibit: str | None = None  # written as SourceID
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class VicsCaseMedia:
    """A media of a case: its hashes, category, flags, series, PhotoDNA, size and type (``entry``), where it
    was found (``files``) and its EXIF (``exif``)."""

    entry: ListEntry
    files: tuple[VicsMediaFile, ...] = ()
    exif: ExifInfo | None = None


@dataclass(frozen=True)
class VicsCase:
    """A VICS 2.0 case export. ``media`` may be any iterable (a generator): it is written one by one."""

    case_number: str
    media: Iterable[VicsCaseMedia] = field(default=(), compare=False, hash=False)
    case_name: str | None = None
    agency: str | None = None
    examiner: str | None = None
    examiner_email: str | None = None
    examiner_phone: str | None = None
    examiner_title: str | None = None
    case_id: str | None = None  # a GUID; a new one when None
    created: datetime | None = None  # now (UTC) when None
    source_application: str = "jejak"
    source_version: str = jejak.__version__
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


def _file_json(f: VicsMediaFile, md5: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if md5 is not None:
        out["MD5"] = md5
    out["FileName"] = f.file_name
    out["FilePath"] = f.file_path
    if f.size is not None:
        out["FileSize"] = f.size
    for key, dt in (("Created", f.created), ("Written", f.written), ("Accessed", f.accessed)):
        if dt is not None:
            out[key] = format_vics_datetime(dt)
    if f.unallocated is not None:
        out["Unallocated"] = f.unallocated
    if f.deleted is not None:
        out["Deleted"] = f.deleted
    if f.exhibit is not None:
        out["SourceID"] = f.exhibit
    for k, v in f.extra.items():
        out.setdefault(k, v)
    return out


def _exif_json(exif: ExifInfo) -> list[dict[str, Any]]:
    props: list[tuple[str, Any]] = [
        ("Make", exif.make),
        ("Model", exif.model),
        ("SerialNumber", exif.serial),
        ("ImageUniqueID", exif.image_unique_id),
        ("Software", exif.software),
        ("DateTimeOriginal", exif.datetime_original),
        ("Orientation", exif.orientation),
    ]
    if exif.gps is not None:
        props += [("GPSLatitude", exif.gps.lat), ("GPSLongitude", exif.gps.lon)]
        if exif.gps.alt is not None:
            props.append(("GPSAltitude", exif.gps.alt))
    return [{"PropertyName": k, "PropertyValue": str(v)} for k, v in props if v is not None]


def write_vics_case(case: VicsCase, out: BinaryIO, profile: str = "US") -> int:
    """Write a VICS 2.0 ``#Cases`` export: case fields, then the media streamed one per line with their
    MediaFiles and Exifs, then TotalMediaFiles. Returns the number of media written."""
    prof = next((p for p in PROFILES if p.lower() == profile.lower()), profile)
    writer = _MediaWriter(default_scheme("2.0", prof), "2.0", {})
    created = case.created or datetime.now(UTC)
    fields: dict[str, Any] = {
        "CaseID": case.case_id or str(uuid.uuid4()),
        "CaseNumber": case.case_number,
        "CaseName": case.case_name,
        "ContactOrganization": case.agency,
        "ContactName": case.examiner,
        "ContactEmail": case.examiner_email,
        "ContactPhone": case.examiner_phone,
        "ContactTitle": case.examiner_title,
        "DateCreated": format_vics_datetime(created),
        "SourceApplicationName": case.source_application,
        "SourceApplicationVersion": case.source_version,
    }
    fields = {k: v for k, v in fields.items() if v is not None}
    for k, v in case.extra.items():
        fields.setdefault(k, v)
    w = io.TextIOWrapper(out, encoding="utf-8", errors="strict", newline="\n")
    n = 0
    try:
        key, url = context_url("2.0", prof, "Cases")
        w.write("{" + _dump(key) + ": " + _dump(url) + ',\n"value": [{')
        w.write(", ".join(_dump(k) + ": " + _dump(v) for k, v in fields.items()))
        w.write(', "Media": [')
        for media in case.media:
            obj = writer.media(media.entry)
            md5 = obj.get("MD5")
            if media.files:
                obj["MediaFiles"] = [
                    _file_json(f, md5 if isinstance(md5, str) else None) for f in media.files
                ]
            if media.exif is not None and not media.exif.is_empty():
                obj["Exifs"] = _exif_json(media.exif)
            _encode(w, ("\n" if n == 0 else ",\n") + _dump(obj))
            n += 1
        w.write(f'\n], "TotalMediaFiles": {n}}}]}}\n')
        return n
    finally:
        w.flush()
        w.detach()
