"""Bounded TIFF/IFD reading for EXIF blocks and vendor MakerNotes (camera serial numbers).

Everything here reads untrusted bytes from seized evidence, so every read is bounds-checked, every IFD has an
entry limit, sub-IFDs are followed to a fixed depth and never twice, and nothing is ever allocated from a
count or an offset found in the data. Structural failures raise :class:`MakerNoteError` internally and come
out of the public functions as short problem strings, never as exceptions.

Tag numbers and MakerNote layouts follow ExifTool's tables (Image::ExifTool::Canon, Nikon, FujiFilm, Olympus,
Pentax, Sony, Reconyx and MakerNotes.pm).
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

MAX_ENTRIES = 512  # entries per IFD; real MakerNotes have well under 200
MAX_SERIAL_LEN = 64
MAX_PROBLEMS = 8

# TIFF field types and the size of one value in bytes (13 = IFD pointer).
TYPE_SIZES: dict[int, int] = {
    1: 1,
    2: 1,
    3: 2,
    4: 4,
    5: 8,
    6: 1,
    7: 1,
    8: 2,
    9: 4,
    10: 8,
    11: 4,
    12: 8,
    13: 4,
}
_ASCII, _SHORT, _LONG, _UNDEFINED, _IFD = 2, 3, 4, 7, 13

EXIF_IFD_TAG = 0x8769
GPS_IFD_TAG = 0x8825
INTEROP_IFD_TAG = 0xA005
MAKERNOTE_TAG = 0x927C


class MakerNoteError(ValueError):
    """Bytes that cannot be read as the structure they claim to be."""


@dataclass(frozen=True)
class Entry:
    tag: int
    type: int
    count: int
    raw_offset: int  # the entry's 4-byte value/offset field, as an unsigned integer
    value: bytes | None  # None when the value lies out of reach (bounds, unknown base)
    value_pos: int | None  # where ``value`` starts in the buffer


@dataclass(frozen=True)
class Ifd:
    entries: dict[int, Entry]
    next_offset: int
    endian: str  # "<" or ">"


def read_ifd(
    buf: bytes,
    start: int,
    endian: str,
    origin: int | None,
    problems: list[str] | None = None,
    label: str = "IFD",
) -> Ifd:
    """Read the IFD at ``start`` in ``buf``.

    Offsets stored in the IFD are relative to ``origin`` (a position in ``buf``, possibly negative when the
    offsets count from a TIFF header that lies before the buffer); ``origin=None`` means the base is unknown
    and only values stored inline (4 bytes or less) can be read. Entry-level damage is reported in
    ``problems`` and skipped; an unreadable directory raises :class:`MakerNoteError`.
    """
    if start < 0 or start + 2 > len(buf):
        raise MakerNoteError(f"{label} at offset {start} is outside the {len(buf)}-byte block")
    (count,) = struct.unpack_from(endian + "H", buf, start)
    if count > MAX_ENTRIES:
        raise MakerNoteError(f"{label} claims {count} entries")
    entries: dict[int, Entry] = {}
    for i in range(count):
        pos = start + 2 + 12 * i
        if pos + 12 > len(buf):
            _note(problems, f"{label} truncated after {i} of {count} entries")
            break
        tag, typ, n, raw = struct.unpack_from(endian + "HHII", buf, pos)
        unit = TYPE_SIZES.get(typ)
        if unit is None:
            _note(problems, f"{label} tag 0x{tag:04x} has unknown type {typ}")
            continue
        size = unit * n
        value: bytes | None = None
        value_pos: int | None = None
        if size <= 4:
            value_pos = pos + 8
            value = buf[value_pos : value_pos + size]
        elif origin is not None:
            where = origin + raw
            if where >= 0 and where + size <= len(buf):
                value_pos = where
                value = buf[where : where + size]
            else:
                _note(
                    problems, f"{label} tag 0x{tag:04x} value ({size} bytes at {raw}) lies outside the block"
                )
        if tag not in entries:
            entries[tag] = Entry(tag, typ, n, raw, value, value_pos)
    next_pos = start + 2 + 12 * count
    next_offset = struct.unpack_from(endian + "I", buf, next_pos)[0] if next_pos + 4 <= len(buf) else 0
    return Ifd(entries, next_offset, endian)


def _note(problems: list[str] | None, message: str) -> None:
    if problems is not None and len(problems) < MAX_PROBLEMS:
        problems.append(message)


def plausible_ifd(buf: bytes, start: int, endian: str) -> bool:
    """Whether ``start`` looks like the start of an IFD in this byte order (used to guess byte order)."""
    if start < 0 or start + 2 > len(buf):
        return False
    (count,) = struct.unpack_from(endian + "H", buf, start)
    if count == 0 or count > MAX_ENTRIES:
        return False
    checked = 0
    for i in range(min(count, 8)):
        pos = start + 2 + 12 * i
        if pos + 12 > len(buf):
            break
        _, typ = struct.unpack_from(endian + "HH", buf, pos)
        if typ not in TYPE_SIZES:
            return False
        checked += 1
    return checked > 0


def guess_endian(buf: bytes, start: int, preferred: str) -> str:
    other = ">" if preferred == "<" else "<"
    for endian in (preferred, other):
        if plausible_ifd(buf, start, endian):
            return endian
    raise MakerNoteError(f"no IFD at offset {start} in either byte order")


def endian_mark(mark: bytes) -> str | None:
    return {b"II": "<", b"MM": ">"}.get(mark)


def entry_uint(entry: Entry | None, endian: str) -> int | None:
    """First value of a BYTE/SHORT/LONG/IFD entry."""
    if entry is None or entry.value is None or entry.count < 1:
        return None
    fmt = {1: "B", 7: "B", _SHORT: "H", _LONG: "I", _IFD: "I"}.get(entry.type)
    if fmt is None:
        return None
    return int(struct.unpack_from(endian + fmt, entry.value, 0)[0])


def entry_text(entry: Entry | None) -> str | None:
    if entry is None or entry.value is None:
        return None
    return clean_serial(entry.value)


def clean_serial(raw: bytes | str) -> str | None:
    """A serial number as printable text, or None for padding, garbage and placeholders."""
    if isinstance(raw, bytes):
        raw = raw.split(b"\0", 1)[0].rstrip(b"\xff")
        try:
            text = raw.decode("ascii")
        except UnicodeDecodeError:
            return None
    else:
        text = raw.split("\0", 1)[0]
    text = text.strip()
    if not text or len(text) > MAX_SERIAL_LEN or not text.isprintable():
        return None
    if set(text) <= {"0", " ", "-"}:
        return None
    return text


# --- the EXIF block itself --------------------------------------------------------------------------------


@dataclass
class TiffScan:
    endian: str | None = None
    makernote_offset: int | None = None  # offset of the MakerNote value from the TIFF header
    ifd0_tags: set[int] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)


def scan_tiff(tiff: bytes) -> TiffScan:
    """Walk IFD0, IFD1, Exif, GPS and Interop IFDs of a raw EXIF TIFF block for damage and the MakerNote.

    Pillow silently skips tags whose values lie outside the block; this reports them, and finds where the
    MakerNote sits (Canon and other MakerNotes store offsets relative to the TIFF header).
    """
    scan = TiffScan()
    endian = endian_mark(tiff[:2])
    if endian is None or len(tiff) < 8 or struct.unpack_from(endian + "H", tiff, 2)[0] != 42:
        scan.problems.append("EXIF block does not start with a TIFF header")
        return scan
    scan.endian = endian
    visited: set[int] = set()

    def walk(offset: int, label: str) -> Ifd | None:
        if offset in visited:
            scan.problems.append(f"{label} at offset {offset} was already read (loop)")
            return None
        visited.add(offset)
        try:
            return read_ifd(tiff, offset, endian, 0, scan.problems, label)
        except MakerNoteError as exc:
            scan.problems.append(str(exc))
            return None

    def pointer(ifd: Ifd, tag: int) -> int | None:
        entry = ifd.entries.get(tag)
        if entry is None or entry.type not in (_LONG, _IFD) or entry.count != 1:
            return None
        return entry_uint(entry, endian)

    ifd0 = walk(struct.unpack_from(endian + "I", tiff, 4)[0], "IFD0")
    if ifd0 is None:
        return scan
    scan.ifd0_tags = set(ifd0.entries)
    if ifd0.next_offset:
        walk(ifd0.next_offset, "IFD1")
    gps = pointer(ifd0, GPS_IFD_TAG)
    if gps is not None:
        walk(gps, "GPS IFD")
    exif_offset = pointer(ifd0, EXIF_IFD_TAG)
    exif = walk(exif_offset, "Exif IFD") if exif_offset is not None else None
    if exif is not None:
        interop = pointer(exif, INTEROP_IFD_TAG)
        if interop is not None:
            walk(interop, "Interop IFD")
        note = exif.entries.get(MAKERNOTE_TAG)
        if note is not None and note.value_pos is not None:
            scan.makernote_offset = note.value_pos
    return scan


# --- MakerNotes ---------------------------------------------------------------------------------------------


@dataclass
class MakerNoteInfo:
    vendor: str | None = None
    serials: list[tuple[str, str]] = field(default_factory=list)  # (source, value), most authoritative first
    datetime_original: str | None = None  # naive ISO 8601, from MakerNotes that keep their own clock
    problems: list[str] = field(default_factory=list)

    def add_serial(self, source: str, value: str | None) -> None:
        if value is not None and all(value != v for _, v in self.serials):
            self.serials.append((source, value))


@dataclass(frozen=True)
class _Context:
    data: bytes
    make: str
    model: str
    tiff_endian: str
    offset_in_tiff: int | None

    @property
    def tiff_origin(self) -> int | None:
        """Where offset 0 of the parent TIFF lies in the MakerNote buffer (it is before the buffer)."""
        return None if self.offset_in_tiff is None else -self.offset_in_tiff


def parse_makernote(
    data: bytes,
    *,
    make: str | None,
    model: str | None,
    tiff_endian: str | None = None,
    offset_in_tiff: int | None = None,
) -> MakerNoteInfo:
    """Serial numbers (and, for trail cameras, a capture time) from a MakerNote. Never raises.

    ``offset_in_tiff`` is where the MakerNote value starts relative to the EXIF TIFF header; without it,
    values stored outside the MakerNote's own IFD by vendors whose offsets count from the TIFF header
    (Canon, Sony, old Olympus, headerless Nikon) cannot be read.
    """
    info = MakerNoteInfo()
    ctx = _Context(data, (make or "").strip(), (model or "").strip(), tiff_endian or "<", offset_in_tiff)
    reader = _pick_reader(ctx)
    if reader is None:
        return info
    info.vendor = reader[0]
    try:
        reader[1](ctx, info)
    except Exception as exc:  # MakerNoteError, struct.error, ... : report, never raise
        info.problems.append(f"{info.vendor} MakerNote: {exc}"[:200])
    return info


_Reader = Callable[[_Context, MakerNoteInfo], None]


def _pick_reader(ctx: _Context) -> tuple[str, _Reader] | None:
    data, make = ctx.data, ctx.make.upper()
    if data.startswith(b"Nikon\0\x02"):
        return "Nikon", _nikon_type3
    if data.startswith(b"Nikon\0"):
        return None  # type 2 (old Coolpix): no serial number
    if data.startswith((b"FUJIFILM", b"GENERALE")):
        return "FujiFilm", _fujifilm
    if data.startswith((b"OLYMPUS\0", b"OM SYSTEM\0", b"OLYMP\0", b"EPSON\0")):
        return "Olympus", _olympus
    if data.startswith((b"AOC\0", b"PENTAX \0")):
        return "Pentax", _pentax
    if data.startswith((b"SONY DSC ", b"SONY CAM ", b"SONY MOBILE")):
        return "Sony", _sony
    if data.startswith((b"RECONYXUF\0", b"RECONYXH2\0")) or (
        data.startswith(b"\x01\xf1") and (data[2:4] in (b"\x02\x00", b"\x03\x00") or make == "RECONYX")
    ):
        return "Reconyx", _reconyx
    if make.startswith("CANON"):
        return "Canon", _canon
    if make.startswith("NIKON"):
        return "Nikon", _nikon_bare
    return None


def _canon(ctx: _Context, info: MakerNoteInfo) -> None:
    endian = guess_endian(ctx.data, 0, ctx.tiff_endian)
    ifd = read_ifd(ctx.data, 0, endian, ctx.tiff_origin)
    number = entry_uint(ifd.entries.get(0x000C), endian)
    if number:
        if "EOS D30" in ctx.model:
            text = f"{number >> 16:04x}{number & 0xFFFF:05d}"
        elif "EOS-1D" in ctx.model:
            text = f"{number:06d}"
        else:
            text = f"{number:010d}"
        info.add_serial("Canon.SerialNumber", text)
    internal = ifd.entries.get(0x0096)
    if internal is not None and internal.value is not None:
        raw = internal.value[9:] if "EOS 5D" in ctx.model else internal.value
        info.add_serial("Canon.InternalSerialNumber", clean_serial(raw))


def _nikon_type3(ctx: _Context, info: MakerNoteInfo) -> None:
    # "Nikon\0" + 2-byte version + 2 bytes + a TIFF header at 10; offsets count from that header.
    endian = endian_mark(ctx.data[10:12])
    if endian is None:
        raise MakerNoteError("no TIFF header after the Nikon signature")
    first = struct.unpack_from(endian + "I", ctx.data, 14)[0]
    _nikon_tags(read_ifd(ctx.data, 10 + first, endian, 10), info)


def _nikon_bare(ctx: _Context, info: MakerNoteInfo) -> None:
    # Headerless (D1 and some early Coolpix): a bare IFD with offsets from the parent TIFF header.
    endian = guess_endian(ctx.data, 0, ctx.tiff_endian)
    _nikon_tags(read_ifd(ctx.data, 0, endian, ctx.tiff_origin), info)


def _nikon_tags(ifd: Ifd, info: MakerNoteInfo) -> None:
    info.add_serial("Nikon.SerialNumber", entry_text(ifd.entries.get(0x001D)))
    info.add_serial("Nikon.SerialNumber", entry_text(ifd.entries.get(0x00A0)))


def _fujifilm(ctx: _Context, info: MakerNoteInfo) -> None:
    # "FUJIFILM" + little-endian offset of the IFD; always little-endian, offsets from the MakerNote start.
    first = struct.unpack_from("<I", ctx.data, 8)[0]
    ifd = read_ifd(ctx.data, first, "<", 0)
    info.add_serial("FujiFilm.InternalSerialNumber", entry_text(ifd.entries.get(0x0010)))


def _olympus(ctx: _Context, info: MakerNoteInfo) -> None:
    data = ctx.data
    start: int
    origin: int | None
    if data.startswith(b"OLYMPUS\0"):  # "OLYMPUS\0" "II" 3 0, IFD at 12, offsets from the MakerNote start
        endian, start, origin = endian_mark(data[8:10]), 12, 0
    elif data.startswith(b"OM SYSTEM\0"):  # "OM SYSTEM\0\0\0" "II" 4 0, IFD at 16
        endian, start, origin = endian_mark(data[12:14]), 16, 0
    else:  # "OLYMP\0" / "EPSON\0" + version, IFD at 8, offsets from the parent TIFF header
        endian, start, origin = None, 8, ctx.tiff_origin
    if endian is None:
        endian = guess_endian(data, start, ctx.tiff_endian)
    main = read_ifd(data, start, endian, origin)
    serial: str | None = None
    internal: str | None = None
    equipment = main.entries.get(0x2010)
    if equipment is not None:
        sub_start: int | None = None
        if equipment.type in (_LONG, _IFD) and equipment.count == 1 and origin is not None:
            sub_start = origin + (entry_uint(equipment, endian) or 0)
        elif equipment.type == _UNDEFINED and equipment.value_pos is not None:
            sub_start = equipment.value_pos  # the IFD is stored in the value itself
        if sub_start is not None and sub_start != start:
            try:
                sub = read_ifd(data, sub_start, guess_endian(data, sub_start, endian), origin)
            except MakerNoteError as exc:
                info.problems.append(f"Olympus Equipment IFD: {exc}")
            else:
                serial = entry_text(sub.entries.get(0x0101))
                internal = entry_text(sub.entries.get(0x0102))
    info.add_serial("Olympus.SerialNumber", serial)
    info.add_serial("Olympus.SerialNumber", entry_text(main.entries.get(0x0404)))
    info.add_serial("Olympus.SerialNumber", entry_text(main.entries.get(0x101A)))
    info.add_serial("Olympus.InternalSerialNumber", internal)


def _pentax(ctx: _Context, info: MakerNoteInfo) -> None:
    data = ctx.data
    if data.startswith(b"PENTAX \0"):  # "PENTAX \0" "II", IFD at 10, offsets from the MakerNote start
        endian = endian_mark(data[8:10]) or guess_endian(data, 10, ctx.tiff_endian)
        ifd = read_ifd(data, 10, endian, 0)
        info.add_serial("Pentax.SerialNumber", entry_text(ifd.entries.get(0x0229)))
        return
    # "AOC\0" + "II"/"MM" (or two spaces on old models), IFD at 6. The offset base varies between
    # models (ExifTool has to guess it too): try the MakerNote start, then the parent TIFF header.
    endian = endian_mark(data[4:6]) or guess_endian(data, 6, ctx.tiff_endian)
    for origin in (0, ctx.tiff_origin):
        if origin is None:
            continue
        ifd = read_ifd(data, 6, endian, origin)
        serial = entry_text(ifd.entries.get(0x0229))
        if serial is not None:
            info.add_serial("Pentax.SerialNumber", serial)
            return


def _sony(ctx: _Context, info: MakerNoteInfo) -> None:
    # "SONY DSC \0\0\0", IFD at 12, offsets from the parent TIFF header. Only tag 0x2031 holds a plain serial
    # (ILCE-9 firmware 2.00); other models keep it enciphered, or write EXIF BodySerialNumber instead.
    endian = guess_endian(ctx.data, 12, ctx.tiff_endian)
    ifd = read_ifd(ctx.data, 12, endian, ctx.tiff_origin)
    info.add_serial("Sony.SerialNumber", entry_text(ifd.entries.get(0x2031)))


def _reconyx(ctx: _Context, info: MakerNoteInfo) -> None:
    data = ctx.data
    if data.startswith(b"RECONYXUF\0"):  # UltraFire: string[15] at byte 0x4b
        info.add_serial("Reconyx.SerialNumber", clean_serial(data[0x4B : 0x4B + 15]))
        return
    if data.startswith(b"RECONYXH2\0"):  # HyperFire 2: UTF-16LE [15] at byte 0x7e
        info.add_serial("Reconyx.SerialNumber", _utf16_serial(data[0x7E : 0x7E + 30]))
        return
    # HyperFire: little-endian int16u words; capture time (s, min, h, month, day, year) at word 0x0b,
    # serial number as UTF-16LE [15] at word 0x15.
    if len(data) >= 0x16 + 12:
        sec, minute, hour, month, day, year = struct.unpack_from("<6H", data, 0x16)
        with contextlib.suppress(ValueError):  # an unset clock
            info.datetime_original = datetime(year, month, day, hour, minute, sec).isoformat()
    info.add_serial("Reconyx.SerialNumber", _utf16_serial(data[0x2A : 0x2A + 30]))


def _utf16_serial(raw: bytes) -> str | None:
    text = raw[: len(raw) // 2 * 2].decode("utf-16-le", errors="replace")
    return clean_serial(text)
