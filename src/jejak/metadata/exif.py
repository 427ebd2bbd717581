"""EXIF of an opened image: camera, serial number, capture time, orientation and GPS position.

:func:`read_exif` reads tags through Pillow's ``Image.getexif()`` (so it works on JPEG, TIFF, PNG, WebP and,
once ``pillow_heif.register_heif_opener()`` has run, HEIC/HEIF) and never touches pixels, so it is safe after
``img.draft()``. MakerNotes are read by the bounded parser in :mod:`jejak.metadata.makernotes`. Malformed
EXIF never raises: whatever could be read is returned and ``extra["exif_error"]`` says what was wrong.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime
from fractions import Fraction
from functools import partial
from numbers import Rational
from typing import Any, TypeVar

from PIL import Image
from PIL.ExifTags import IFD

from jejak.metadata.makernotes import MAKERNOTE_TAG, MakerNoteInfo, TiffScan, parse_makernote, scan_tiff
from jejak.model.records import ExifInfo, GpsPoint

__all__ = ["read_exif"]

_T = TypeVar("_T")

# IFD0
_MAKE, _MODEL, _ORIENTATION, _SOFTWARE, _DATETIME = 0x010F, 0x0110, 0x0112, 0x0131, 0x0132
_CAMERA_SERIAL_NUMBER = 0xC62F  # DNG
# Exif IFD
_EXPOSURE_TIME, _F_NUMBER, _ISO = 0x829A, 0x829D, 0x8827
_USER_COMMENT = 0x9286
_IMAGE_DESCRIPTION, _ARTIST, _COPYRIGHT = 0x010E, 0x013B, 0x8298
_IMAGE_UNIQUE_ID, _BODY_SERIAL_NUMBER, _LENS_MODEL, _LENS_SERIAL_NUMBER = 0xA420, 0xA431, 0xA434, 0xA435
# GPS IFD
_GPS_LAT_REF, _GPS_LAT, _GPS_LON_REF, _GPS_LON, _GPS_ALT_REF, _GPS_ALT = 1, 2, 3, 4, 5, 6
_GPS_TIME, _GPS_DATE = 7, 29

# (name recorded in extra["datetime_source"], date tag, its OffsetTime* tag, its SubSecTime* tag)
_DATE_TAGS = (
    ("DateTimeOriginal", 0x9003, 0x9011, 0x9291),
    ("DateTimeDigitized", 0x9004, 0x9012, 0x9292),
    ("DateTime", _DATETIME, 0x9010, 0x9290),
)

_MAX_ERROR_LEN = 500
_MAX_COMMENT_LEN = 2000

_DATETIME_RE = re.compile(
    r"(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
    r"(?:[.,](\d+))?\s*(Z|[+-]\d{2}:?\d{2})?"
)
_DATE_RE = re.compile(r"(\d{4})[:\-/.](\d{1,2})[:\-/.](\d{1,2})")
_OFFSET_RE = re.compile(r"([+-])(\d{2}):?(\d{2})")


def read_exif(img: Image.Image) -> ExifInfo | None:
    """The EXIF of ``img``, None when it has no EXIF at all. Never raises.

    Reads only metadata (``img.info`` and ``img.getexif()``), never pixels. Text is stripped of NULs and
    blanks; ``datetime_original`` is ISO 8601 with SubSecTime* digits and OffsetTime* as written; ``gps``
    is signed decimal degrees and metres. ``extra`` holds JSON-safe str/int/float values: serial_source,
    other_serials, datetime_source, lens_model, lens_serial_number, exposure_time (s), f_number, iso,
    gps_datetime (or gps_date / gps_time), user_comment, and exif_error when something was malformed.
    """
    try:
        return _read_exif(img)
    except Exception as exc:  # a bug or a Pillow surprise must not stop an ingest
        return ExifInfo(extra={"exif_error": _describe("EXIF", exc)})


def _read_exif(img: Image.Image) -> ExifInfo | None:
    errors: list[str] = []
    raw = _guard(errors, "raw EXIF block", lambda: _raw_tiff(img), None)
    try:
        exif = img.getexif()
        ifd0: dict[int, Any] = dict(exif)
    except Exception as exc:  # Pillow rejects the whole block (bad TIFF header, truncated IFD0, ...)
        return ExifInfo(extra={"exif_error": _describe("EXIF", exc)})

    scan: TiffScan | None = None
    if raw is not None:
        scan = _guard(errors, "EXIF structure", lambda: scan_tiff(raw), None)
        if scan is not None:
            errors.extend(scan.problems)
            # Pillow adds an Orientation read from XMP when EXIF has none: that is not EXIF.
            if _ORIENTATION in ifd0 and _ORIENTATION not in scan.ifd0_tags and scan.endian is not None:
                del ifd0[_ORIENTATION]
    elif not any(tag != _ORIENTATION for tag in ifd0):
        return None  # no EXIF block; at most an Orientation that Pillow took from XMP

    exif_ifd: dict[int, Any] = _guard(errors, "Exif IFD", lambda: dict(exif.get_ifd(IFD.Exif)), {})
    gps_ifd: dict[int, Any] = _guard(errors, "GPS IFD", lambda: dict(exif.get_ifd(IFD.GPSInfo)), {})

    def tag(number: int) -> Any:
        """An Exif-IFD tag, also accepted from IFD0 where some writers misplace it."""
        value = exif_ifd.get(number)
        return ifd0.get(number) if value is None else value

    extra: dict[str, Any] = {}
    make = _guard(errors, "Make", lambda: _text(ifd0.get(_MAKE)), None)
    model = _guard(errors, "Model", lambda: _text(ifd0.get(_MODEL)), None)
    software = _guard(errors, "Software", lambda: _text(ifd0.get(_SOFTWARE)), None)
    orientation = _guard(errors, "Orientation", lambda: _orientation(ifd0.get(_ORIENTATION)), None)
    unique_id = _guard(errors, "ImageUniqueID", lambda: _lower(_text(tag(_IMAGE_UNIQUE_ID))), None)

    # Serial numbers, most authoritative first: EXIF 2.3, DNG, then the vendor's MakerNote.
    serials: list[tuple[str, str]] = []
    for source, value in (
        ("BodySerialNumber", tag(_BODY_SERIAL_NUMBER)),
        ("CameraSerialNumber", ifd0.get(_CAMERA_SERIAL_NUMBER)),
    ):
        text = _guard(errors, source, partial(_serial_text, value), None)
        if text is not None:
            serials.append((source, text))
    makernote_date: tuple[str, str] | None = None  # (source, ISO time)
    note = _guard(errors, "MakerNote", lambda: _bytes(exif_ifd.get(MAKERNOTE_TAG)), None)
    if note:
        offset = scan.makernote_offset if scan is not None else None
        if offset is not None and raw is not None and raw[offset : offset + len(note)] != note:
            offset = None  # not the bytes Pillow gave us: do not trust TIFF-relative offsets
        parsed = _guard(
            errors,
            "MakerNote",
            partial(
                parse_makernote,
                note,
                make=make,
                model=model,
                tiff_endian=scan.endian if scan is not None else None,
                offset_in_tiff=offset,
            ),
            MakerNoteInfo(),
        )
        errors.extend(parsed.problems)
        serials.extend(s for s in parsed.serials if all(s[1] != v for _, v in serials))
        if parsed.datetime_original is not None:
            makernote_date = (f"{parsed.vendor}.DateTimeOriginal", parsed.datetime_original)
    serial: str | None = None
    if serials:
        serial = serials[0][1]
        extra["serial_source"] = serials[0][0]
        if len(serials) > 1:
            extra["other_serials"] = "; ".join(f"{source}={value}" for source, value in serials[1:])

    when = _guard(errors, "DateTimeOriginal", lambda: _capture_time(tag, extra), None)
    if when is None and makernote_date is not None:
        extra["datetime_source"], when = makernote_date

    gps = _guard(errors, "GPS position", lambda: _gps_point(gps_ifd), None)
    _guard(errors, "GPS time", lambda: _gps_time(gps_ifd, extra), None)
    _guard(errors, "exposure", lambda: _exposure(tag, extra), None)
    text_extras = (
        ("lens_model", _LENS_MODEL),
        ("lens_serial_number", _LENS_SERIAL_NUMBER),
        ("image_description", _IMAGE_DESCRIPTION),  # free text: link analysis looks for identifiers in it
        ("artist", _ARTIST),
        ("copyright", _COPYRIGHT),
    )
    for key, number in text_extras:
        value = _guard(errors, key, partial(_text, tag(number)), None)
        if value is not None:
            extra[key] = value
    endian = scan.endian if scan is not None else None
    comment = _guard(errors, "UserComment", lambda: _user_comment(tag(_USER_COMMENT), endian), None)
    if comment is not None:
        extra["user_comment"] = comment

    if errors:
        message = "; ".join(dict.fromkeys(errors))
        extra["exif_error"] = (
            message if len(message) <= _MAX_ERROR_LEN else message[: _MAX_ERROR_LEN - 3] + "..."
        )
    return ExifInfo(
        make=make,
        model=model,
        serial=serial,
        image_unique_id=unique_id,
        software=software,
        datetime_original=when,
        orientation=orientation,
        gps=gps,
        extra=extra,
    )


# --- plumbing ---------------------------------------------------------------------------------------------


def _guard(errors: list[str], what: str, fn: Callable[[], _T], default: _T) -> _T:
    """Run one extraction step; a failure is recorded and yields ``default`` instead of raising."""
    try:
        return fn()
    except Exception as exc:
        errors.append(_describe(what, exc))
        return default


def _describe(what: str, exc: BaseException) -> str:
    return f"{what}: {type(exc).__name__}: {exc}"[:200]


def _raw_tiff(img: Image.Image) -> bytes | None:
    """The EXIF TIFF block as stored in the file (JPEG APP1, HEIF Exif item, PNG eXIf, WebP EXIF)."""
    data = img.info.get("exif")
    if not isinstance(data, bytes | bytearray):
        return None
    data = bytes(data)
    while data.startswith(b"Exif\0\0"):
        data = data[6:]
    return data or None


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("latin-1", errors="replace")
    if isinstance(value, tuple | list) and all(isinstance(v, int) and 0 <= v < 256 for v in value):
        return bytes(value)
    raise ValueError(f"unexpected MakerNote value of type {type(value).__name__}")


def _text(value: Any) -> str | None:
    """An ASCII/UTF-8 tag as clean text: cut at the first NUL, stripped, None when empty."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            text = bytes(value).decode("latin-1")
    elif isinstance(value, str):
        text = value
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            # Pillow decodes ASCII tags as Latin-1; phones write UTF-8 into them
            text = text.encode("latin-1").decode("utf-8")
    else:
        return None
    text = text.strip("\0 \t\r\n").split("\0", 1)[0]
    text = "".join(c for c in text if c.isprintable()).strip()
    return text or None


def _lower(text: str | None) -> str | None:
    return text.lower() if text is not None else None


def _serial_text(value: Any) -> str | None:
    text = _text(value)
    if text is None or len(text) > 64 or set(text) <= {"0", " ", "-"}:
        return None
    return text


def _first(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return value[0] if value else None
    return value


def _int(value: Any) -> int | None:
    value = _first(value)
    if isinstance(value, bytes | bytearray):
        return value[0] if len(value) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _orientation(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and 1 <= number <= 8 else None


def _number(value: Any) -> float | None:
    """A rational (IFDRational, Fraction, (num, den) pair) or plain number as a finite float."""
    result: float | None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, tuple | list):
        if len(value) == 1:
            return _number(value[0])
        if len(value) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return None if value[1] == 0 else value[0] / value[1]
        return None
    if isinstance(value, Rational):  # IFDRational, Fraction, int
        if value.denominator == 0:
            return None
        result = float(Fraction(int(value.numerator), int(value.denominator)))
    elif isinstance(value, float):
        result = value
    else:
        return None
    return result if math.isfinite(result) else None


# --- capture time -----------------------------------------------------------------------------------------


def _capture_time(tag: Callable[[int], Any], extra: dict[str, Any]) -> str | None:
    for name, date_tag, offset_tag, subsec_tag in _DATE_TAGS:
        value = tag(date_tag)
        parsed = _parse_datetime(_text(value))
        if parsed is None:
            continue
        base, inline_fraction, inline_offset = parsed
        fraction = _subsec(tag(subsec_tag)) or inline_fraction
        offset = _offset(_text(tag(offset_tag))) or inline_offset
        extra["datetime_source"] = name
        return base + (f".{fraction}" if fraction else "") + (offset or "")
    return None


def _parse_datetime(text: str | None) -> tuple[str, str | None, str | None] | None:
    """("2008-05-30T15:56:01", fraction, "+02:00") from EXIF's "2008:05:30 15:56:01"; None if invalid."""
    if text is None:
        return None
    match = _DATETIME_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute = (int(g) for g in match.group(1, 2, 3, 4, 5))
    second = int(match.group(6) or 0)
    try:
        moment = datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None  # "0000:00:00 00:00:00", month 13, ...
    fraction = match.group(7)
    return moment.isoformat(), (fraction[:9] if fraction else None), _offset(match.group(8))


def _subsec(value: Any) -> str | None:
    text = _text(value)
    if text is None or not text.isdigit() or not text.isascii():
        return None
    return text[:9]


def _offset(text: str | None) -> str | None:
    if text is None:
        return None
    if text == "Z":
        return "+00:00"
    match = _OFFSET_RE.fullmatch(text.strip())
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3))
    if hours > 23 or minutes > 59:
        return None
    return f"{sign}{hours:02d}:{minutes:02d}"


# --- GPS --------------------------------------------------------------------------------------------------


def _gps_point(gps: Mapping[int, Any]) -> GpsPoint | None:
    lat = _coordinate(gps.get(_GPS_LAT), gps.get(_GPS_LAT_REF), "S", 90.0)
    lon = _coordinate(gps.get(_GPS_LON), gps.get(_GPS_LON_REF), "W", 180.0)
    if lat is None or lon is None:
        return None
    alt = _number(gps.get(_GPS_ALT))
    if alt is not None:
        alt = abs(alt)
        if _int(gps.get(_GPS_ALT_REF)) in (1, 3):  # below sea level (3: below the ellipsoid, EXIF 3.0)
            alt = -alt
    return GpsPoint(lat=lat, lon=lon, alt=alt)


def _coordinate(value: Any, ref: Any, negative: str, limit: float) -> float | None:
    """Decimal degrees from (degrees, minutes, seconds) rationals and an N/S or E/W reference."""
    if value is None:
        return None
    parts = list(value) if isinstance(value, tuple | list) else [value]
    if not 1 <= len(parts) <= 3:
        return None
    numbers = [_number(part) for part in parts]
    if any(n is None for n in numbers):
        return None
    degrees = 0.0
    for n, scale in zip(numbers, (1.0, 60.0, 3600.0), strict=False):
        assert n is not None
        degrees += abs(n) / scale
    ref_text = _text(ref)
    if ref_text is not None:
        if ref_text[:1].upper() == negative:
            degrees = -degrees
    elif (numbers[0] or 0.0) < 0:  # no reference: trust a signed value
        degrees = -degrees
    if not math.isfinite(degrees) or abs(degrees) > limit:
        return None
    return degrees


def _gps_time(gps: Mapping[int, Any], extra: dict[str, Any]) -> None:
    day: str | None = None
    match = _DATE_RE.match(_text(gps.get(_GPS_DATE)) or "")
    if match is not None:
        try:
            day = date(*(int(g) for g in match.group(1, 2, 3))).isoformat()
        except ValueError:
            day = None
    clock: str | None = None
    value = gps.get(_GPS_TIME)
    if isinstance(value, tuple | list) and len(value) == 3:
        hms = [_number(v) for v in value]
        h, m, s = hms
        if (
            h is not None
            and m is not None
            and s is not None
            and h.is_integer()
            and m.is_integer()
            and 0 <= h < 24
            and 0 <= m < 60
            and 0 <= s < 61
        ):
            seconds = f"{s:09.6f}".rstrip("0").rstrip(".")
            clock = f"{int(h):02d}:{int(m):02d}:{seconds}"
    if day is not None and clock is not None:
        extra["gps_datetime"] = f"{day}T{clock}Z"
    elif day is not None:
        extra["gps_date"] = day
    elif clock is not None:
        extra["gps_time"] = clock


# --- camera settings and comments -------------------------------------------------------------------------


def _exposure(tag: Callable[[int], Any], extra: dict[str, Any]) -> None:
    exposure = _number(_first(tag(_EXPOSURE_TIME)))
    if exposure is not None and exposure > 0:
        extra["exposure_time"] = exposure
    f_number = _number(_first(tag(_F_NUMBER)))
    if f_number is not None and f_number > 0:
        extra["f_number"] = f_number
    iso = _int(tag(_ISO))
    if iso is not None and iso > 0:
        extra["iso"] = iso


def _user_comment(value: Any, endian: str | None) -> str | None:
    """UserComment as text: 8-byte character code (ASCII, UNICODE, JIS, or undefined), then the text."""
    if value is None:
        return None
    if isinstance(value, str):
        return _comment_text(value)
    if not isinstance(value, bytes | bytearray):
        return None
    data = bytes(value)
    code, body = data[:8], data[8:]
    if code.startswith(b"ASCII"):
        text = body.decode("latin-1")
    elif code.startswith(b"UNICODE"):
        text = body.decode(_utf16_codec(body, endian), errors="replace")
    elif code.startswith(b"JIS"):
        return None  # JIS X 0208 without escape sequences: not decodable reliably
    elif code == b"\0" * 8:
        text = body.decode("utf-8", errors="replace")
    else:
        text = data.decode("utf-8", errors="replace")
    return _comment_text(text)


def _utf16_codec(body: bytes, endian: str | None) -> str:
    """UTF-16 byte order of a UNICODE comment: BOM, else the one whose high bytes are zero, else EXIF's.

    The standard says EXIF byte order, but some writers (Microsoft Photo) use little-endian regardless.
    """
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    even_zeros = body[0::2].count(0)
    odd_zeros = body[1::2].count(0)
    if odd_zeros != even_zeros:
        return "utf-16-le" if odd_zeros > even_zeros else "utf-16-be"
    return "utf-16-be" if endian == ">" else "utf-16-le"


def _comment_text(text: str) -> str | None:
    text = text.strip("\0 \t\r\n").split("\0", 1)[0].strip()
    if not text or "\ufffd" in text or not all(c.isprintable() or c in "\t\r\n" for c in text):
        return None
    return text[:_MAX_COMMENT_LEN]
