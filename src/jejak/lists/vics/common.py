"""VICS shared pieces: profiles, context URLs, field and hash-name tables, date-times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

BUF_SIZE = 64 * 1024
TAIL_WINDOW_CAP = 32 * 1024 * 1024

CONTEXT_V2 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/{version}.xml/{profile}/$metadata#{shape}"
CONTEXT_V1 = "http://github.com/ICMEC/ProjectVic/DataModels/{version}.xml#{shape}"
PROFILES = ("US", "UK", "Default", "CUSTOM")

CONTEXT_KEYS = ("@odata.context", "odata.metadata")
_CONTEXT = re.compile(r"DataModels/(?P<version>\d+(?:\.\d+)*)\.xml(?:/(?P<profile>[^/$#]+))?", re.IGNORECASE)
_SHAPE = re.compile(r"#\s*(?P<shape>[A-Za-z]+)\s*$")
MEDIA_HINT_KEYS = frozenset(
    {"md5", "sha1", "mediaid", "category", "alternativehashes", "photodna", "mediasize", "victimidentified"}
)

# media-level keys we map (lower case) -> field
F_MD5, F_SHA1, F_SHA256, F_PDQ, F_PDNA = "md5", "sha1", "sha256", "pdq", "photodna"
MEDIA_FIELDS: dict[str, str] = {
    "md5": F_MD5,
    "sha1": F_SHA1,
    "sha-1": F_SHA1,
    "sha256": F_SHA256,
    "sha-256": F_SHA256,
    "pdq": F_PDQ,
    "photodna": F_PDNA,
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
ALT_NAMES: dict[str, str] = {
    "md5": "md5",
    "sha1": "sha1",
    "sha256": "sha256",
    "sha2256": "sha256",
    "pdq": "pdq",
    "pdqhash": "pdq",
    "photodna": "photodna",
}
ALT_WRITE_NAME = {"md5": "MD5", "sha1": "SHA1", "sha256": "SHA256", "pdq": "PDQ", "photodna": "PhotoDNA"}


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
