"""read_exif against real camera files (expected values as ExifTool 12.57 reports them) and synthetic EXIF."""

from __future__ import annotations

import io
import json
import random
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from PIL import ExifTags, Image, TiffImagePlugin
from PIL.ExifTags import IFD

from jejak.metadata import read_exif
from jejak.metadata.makernotes import MakerNoteInfo, parse_makernote, scan_tiff
from jejak.model.records import ExifInfo
from jejak.testing.images import exif_bytes

# The repository is checked out beside a copy of shared/ (read-only test data, never copied into the repo).
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "exif-samples"

Base = ExifTags.Base
R = TiffImagePlugin.IFDRational


@pytest.fixture(autouse=True, scope="module")
def _heif() -> None:
    pillow_heif.register_heif_opener()


@pytest.fixture
def samples() -> Path:
    """Missing test data is a broken checkout, not a reason to skip (same rule as tests/conftest.py)."""
    if not SAMPLES.is_dir():
        pytest.fail(f"exif-samples not found at {SAMPLES} (a copy of shared/ must sit beside the repo)")
    return SAMPLES


def _read(path: Path, draft: bool = True) -> ExifInfo | None:
    with Image.open(path) as img:
        if draft and img.format == "JPEG":
            img.draft("RGB", (64, 64))  # what ingest does before hashing: EXIF must still be readable
        return read_exif(img)


def _must(path: Path) -> ExifInfo:
    info = _read(path)
    assert info is not None, path.name
    return info


def _assert_json_extra(info: ExifInfo) -> None:
    json.dumps(info.extra, allow_nan=False)
    for key, value in info.extra.items():
        assert isinstance(key, str)
        assert value is None or type(value) in (str, int, float), (key, value)


# --- real photos ------------------------------------------------------------------------------------------

# exiftool -n -GPSLatitude -GPSLongitude jpg/gps/*.jpg (all N/E; no GPSAltitude in these files)
GPS_EXPECTED: dict[str, tuple[float, float]] = {
    "DSCN0010.jpg": (43.4674483, 11.8851267),
    "DSCN0012.jpg": (43.4671567, 11.8853950),
    "DSCN0021.jpg": (43.4670817, 11.8845383),
    "DSCN0025.jpg": (43.4683650, 11.8816350),
    "DSCN0027.jpg": (43.4684417, 11.8815150),
    "DSCN0029.jpg": (43.4682433, 11.8801717),
    "DSCN0038.jpg": (43.4672550, 11.8792133),
    "DSCN0040.jpg": (43.4660117, 11.8791117),
    "DSCN0042.jpg": (43.4644550, 11.8814783),
}


def test_gps_jpegs_match_exiftool(samples: Path) -> None:
    files = sorted((samples / "jpg" / "gps").glob("*.jpg"))
    assert {f.name for f in files} == set(GPS_EXPECTED)
    for path in files:
        info = _must(path)
        lat, lon = GPS_EXPECTED[path.name]
        assert info.gps is not None, path.name
        assert info.gps.lat == pytest.approx(lat, abs=1e-5), path.name
        assert info.gps.lon == pytest.approx(lon, abs=1e-5), path.name
        assert info.gps.alt is None, path.name
        assert (info.make, info.model) == ("NIKON", "COOLPIX P6000"), path.name
        assert info.serial is None  # the Coolpix MakerNote (Nikon type 3) has no serial number tag
        assert "exif_error" not in info.extra, (path.name, info.extra)
        _assert_json_extra(info)


def test_gps_timestamp_and_camera_settings_extras(samples: Path) -> None:
    info = _must(samples / "jpg" / "gps" / "DSCN0010.jpg")
    # exiftool: GPSDateStamp 2008:10:23, GPSTimeStamp 14:27:07.24, ExposureTime 1/75, FNumber 5.9, ISO 64
    assert info.extra["gps_datetime"] == "2008-10-23T14:27:07.24Z"
    assert info.extra["exposure_time"] == pytest.approx(1 / 75)
    assert info.extra["f_number"] == pytest.approx(5.9)
    assert info.extra["iso"] == 64
    assert info.datetime_original == "2008-10-22T16:28:39"


def test_canon_40d(samples: Path) -> None:
    info = _must(samples / "jpg" / "Canon_40D.jpg")
    assert (info.make, info.model, info.software) == ("Canon", "Canon EOS 40D", "GIMP 2.4.5")
    # DateTimeOriginal 2008:05:30 15:56:01 with SubSecTimeOriginal "00"
    assert info.datetime_original == "2008-05-30T15:56:01.00"
    assert info.extra["datetime_source"] == "DateTimeOriginal"
    # GIMP dropped the MakerNote when it made this sample: exiftool reports no SerialNumber either.
    assert info.serial is None
    assert "serial_source" not in info.extra
    assert info.orientation == 1
    assert "user_comment" not in info.extra  # 264 NUL bytes: not text
    _assert_json_extra(info)


def test_nikon_d70(samples: Path) -> None:
    info = _must(samples / "jpg" / "Nikon_D70.jpg")
    assert (info.make, info.model) == ("NIKON CORPORATION", "NIKON D70")
    assert info.datetime_original == "2008-03-15T09:52:01"  # the -04:00 is only in XMP, not in EXIF
    assert info.serial is None  # no MakerNote in this sample (exiftool: no SerialNumber)
    assert info.extra["iso"] == 200


def test_olympus_makernote_serial(samples: Path) -> None:
    # corrupted.jpg: an Olympus u1020 photo with damaged image data but intact EXIF.
    # exiftool: [Olympus] SerialNumber F70501740, InternalSerialNumber 0199802105663001
    info = _must(samples / "jpg" / "corrupted.jpg")
    assert (info.make, info.model) == ("OLYMPUS IMAGING CORP.", "u1020,S1020")
    assert info.serial == "F70501740"
    assert info.extra["serial_source"] == "Olympus.SerialNumber"
    assert info.extra["other_serials"] == "Olympus.InternalSerialNumber=0199802105663001"
    assert info.datetime_original == "2015-09-08T11:02:17"


def test_reconyx_makernote_serial_and_clock(samples: Path) -> None:
    # A trail camera with no Make/Model/DateTime in EXIF; everything is in its binary MakerNote.
    # exiftool: [Reconyx] SerialNumber H500EE06130468, DateTimeOriginal 2020:03:16 10:00:00
    info = _must(samples / "jpg" / "Reconyx_HC500_Hyperfire.jpg")
    assert info.serial == "H500EE06130468"
    assert info.extra["serial_source"] == "Reconyx.SerialNumber"
    assert info.datetime_original == "2020-03-16T10:00:00"
    assert info.extra["datetime_source"] == "Reconyx.DateTimeOriginal"
    assert info.make is None


def test_orientation_samples(samples: Path) -> None:
    files = sorted((samples / "jpg" / "orientation").glob("*.jpg"))
    assert len(files) == 16
    for path in files:
        info = _must(path)
        assert info.orientation == int(path.stem[-1]), path.name


def test_heic_iphones(samples: Path) -> None:
    info = _must(samples / "heic" / "mobile" / "iphone_13_pro_max.HEIC")
    assert (info.make, info.model, info.software) == ("Apple", "iPhone 13 Pro Max", "15.2.1")
    # DateTimeOriginal 2022:02:16 12:55:41, SubSecTimeOriginal 762, OffsetTimeOriginal +01:00
    assert info.datetime_original == "2022-02-16T12:55:41.762+01:00"
    assert info.orientation == 1
    assert info.extra["lens_model"] == "iPhone 13 Pro Max back triple camera 5.7mm f/1.5"
    assert info.gps is None

    info = _must(samples / "heic" / "IMG_5195.HEIC")
    assert (info.make, info.model) == ("Apple", "iPhone 11 Pro Max")
    assert info.datetime_original == "2021-04-11T15:47:53.054-05:00"
    assert info.gps is not None
    # exiftool -n: 39.0513444444444, -94.2887722222222 (GPSLongitudeRef W), GPSAltitude 260.5606383
    assert info.gps.lat == pytest.approx(39.0513444444444, abs=1e-5)
    assert info.gps.lon == pytest.approx(-94.2887722222222, abs=1e-5)
    assert info.gps.alt == pytest.approx(260.5606383, abs=1e-3)
    _assert_json_extra(info)


def test_heic_nokia(samples: Path) -> None:
    # exiftool finds no Make/Model and no DateTimeOriginal in the Nokia files: only ModifyDate (0x0132)
    # 2022:02:03 14:44:07 with SubSecTime 722, Software, and GPS.
    info = _must(samples / "heic" / "mobile" / "HMD_Nokia_8.3_5G.heif")
    assert (info.make, info.model) == (None, None)
    assert info.software == "00WW_2_270_SP04"
    assert info.datetime_original == "2022-02-03T14:44:07.722"
    assert info.extra["datetime_source"] == "DateTime"
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(40.78868522, abs=1e-5)
    assert info.gps.lon == pytest.approx(-4.00514085, abs=1e-5)
    assert info.gps.alt == pytest.approx(1942.4216, abs=1e-3)
    assert info.extra["gps_datetime"] == "2022-02-03T14:44:09Z"

    info = _must(samples / "heic" / "mobile" / "HMD_Nokia_8.3_5G_hdr.heif")
    assert info.datetime_original == "2022-01-12T07:30:14.364"
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(40.6629935, abs=1e-5)
    assert info.gps.lon == pytest.approx(-3.76374051, abs=1e-5)


def test_invalid_and_corrupted_files_never_raise(samples: Path) -> None:
    paths = [*sorted((samples / "jpg" / "invalid").glob("*.jpg")), samples / "jpg" / "corrupted.jpg"]
    reached = 0
    for path in paths:
        try:
            img = Image.open(path)
        except Exception:  # Pillow cannot open it: nothing for read_exif to do
            continue
        with img:
            img.draft("RGB", (32, 32))
            info = read_exif(img)  # must not raise
            reached += 1
            if info is not None:
                _assert_json_extra(info)
            if path.parent.name == "invalid":
                # No EXIF block at all (Pillow may report an Orientation it took from XMP: not EXIF).
                assert info is None, path.name
    assert reached >= 2


def test_every_sample_is_json_clean(samples: Path) -> None:
    read = 0
    for path in sorted(samples.rglob("*")):
        if path.suffix.lower() not in (".jpg", ".heic", ".heif"):
            continue
        try:
            img = Image.open(path)
        except Exception:
            continue
        with img:
            info = read_exif(img)
        read += 1
        if info is not None:
            _assert_json_extra(info)
            assert "exif_error" not in info.extra, (path.name, info.extra)
    assert read >= 40  # 39 JPEGs and 5 HEIF files in the sample set


# --- synthetic EXIF through Pillow ------------------------------------------------------------------------


def _jpeg(tmp_path: Path, exif: Image.Exif | bytes | None, name: str = "x.jpg", **kw: Any) -> Path:
    path = tmp_path / name
    img = Image.new("RGB", (64, 48), (40, 90, 160))
    if exif is None:
        img.save(path, "JPEG", **kw)
    else:
        img.save(path, "JPEG", exif=exif, **kw)
    return path


def test_synthetic_round_trip(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[Base.Make] = "Acme Optics  "
    exif[Base.Model] = "Test Body 1"
    exif[Base.Software] = " Firmware 1.2 "
    exif[Base.Orientation] = 6
    sub = exif.get_ifd(IFD.Exif)
    sub[Base.DateTimeOriginal] = "2021:04:11 15:47:53"
    sub[Base.OffsetTimeOriginal] = "-05:00"
    sub[Base.SubsecTimeOriginal] = "054"
    sub[Base.BodySerialNumber] = "SN-000042 "
    sub[Base.ImageUniqueID] = "  0123456789ABCDEF0123456789ABCDEF"
    sub[Base.LensModel] = "50mm f/1.8"
    sub[Base.ExposureTime] = R(1, 250)
    sub[Base.FNumber] = R(28, 10)
    sub[Base.ISOSpeedRatings] = 400
    sub[Base.UserComment] = b"ASCII\0\0\0hello evidence"
    gps = exif.get_ifd(IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "S"
    gps[ExifTags.GPS.GPSLatitude] = (R(33, 1), R(51, 1), R(3456, 100))
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (R(151, 1), R(12, 1), R(30, 1))
    gps[ExifTags.GPS.GPSAltitudeRef] = b"\x01"
    gps[ExifTags.GPS.GPSAltitude] = R(105, 10)
    gps[ExifTags.GPS.GPSTimeStamp] = (R(14, 1), R(27, 1), R(724, 100))
    gps[ExifTags.GPS.GPSDateStamp] = "2021:04:11"

    info = _read(_jpeg(tmp_path, exif))
    assert info is not None
    assert info.make == "Acme Optics"
    assert info.model == "Test Body 1"
    assert info.software == "Firmware 1.2"
    assert info.orientation == 6
    assert info.serial == "SN-000042"
    assert info.image_unique_id == "0123456789abcdef0123456789abcdef"
    assert info.datetime_original == "2021-04-11T15:47:53.054-05:00"
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(-(33 + 51 / 60 + 34.56 / 3600), abs=1e-9)
    assert info.gps.lon == pytest.approx(-(151 + 12 / 60 + 30 / 3600), abs=1e-9)
    assert info.gps.alt == pytest.approx(-10.5)
    assert info.extra == {
        "serial_source": "BodySerialNumber",
        "datetime_source": "DateTimeOriginal",
        "gps_datetime": "2021-04-11T14:27:07.24Z",
        "exposure_time": 0.004,
        "f_number": 2.8,
        "iso": 400,
        "lens_model": "50mm f/1.8",
        "user_comment": "hello evidence",
    }
    _assert_json_extra(info)


def test_no_exif_is_none(tmp_path: Path) -> None:
    assert _read(_jpeg(tmp_path, None)) is None
    png = tmp_path / "x.png"
    Image.new("L", (8, 8)).save(png)
    assert _read(png) is None


def test_orientation_only_from_xmp_is_not_exif(tmp_path: Path) -> None:
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:tiff="http://ns.adobe.com/tiff/1.0/" tiff:Orientation="6"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    path = _jpeg(tmp_path, None, xmp=xmp)
    with Image.open(path) as img:
        assert img.getexif().get(Base.Orientation) == 6  # Pillow's doing
        assert read_exif(img) is None
    exif = Image.Exif()
    exif[Base.Make] = "Acme"
    with Image.open(_jpeg(tmp_path, exif, "y.jpg", xmp=xmp)) as img:
        info = read_exif(img)
    assert info is not None
    assert (info.make, info.orientation) == ("Acme", None)


def test_date_fallbacks_and_invalid_dates(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[Base.DateTime] = "2019:01:02 03:04:05"
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "0000:00:00 00:00:00"
    exif.get_ifd(IFD.Exif)[Base.DateTimeDigitized] = "2018:12:31 23:59:58"
    exif.get_ifd(IFD.Exif)[Base.OffsetTimeDigitized] = "+05:30"
    exif.get_ifd(IFD.Exif)[Base.OffsetTimeOriginal] = "+01:00"  # belongs to the invalid original: unused
    info = _read(_jpeg(tmp_path, exif))
    assert info is not None
    assert info.datetime_original == "2018-12-31T23:59:58+05:30"
    assert info.extra["datetime_source"] == "DateTimeDigitized"

    exif = Image.Exif()
    exif[Base.DateTime] = "2019:01:02 03:04:05"
    exif.get_ifd(IFD.Exif)[Base.DateTimeOriginal] = "    :  :     :  :  "
    info = _read(_jpeg(tmp_path, exif, "b.jpg"))
    assert info is not None
    assert info.datetime_original == "2019-01-02T03:04:05"
    assert info.extra["datetime_source"] == "DateTime"

    exif = Image.Exif()
    exif[Base.Make] = "Acme"
    exif[Base.DateTime] = "2019:02:30 10:00:00"  # no such day
    exif[Base.Orientation] = 9  # not 1..8
    info = _read(_jpeg(tmp_path, exif, "c.jpg"))
    assert info is not None
    assert (info.datetime_original, info.orientation) == (None, None)
    assert "datetime_source" not in info.extra


def test_invalid_gps_is_none(tmp_path: Path) -> None:
    cases: list[dict[int, Any]] = [
        {1: "N", 2: (R(91, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(10, 1), R(0, 1), R(0, 1))},  # lat > 90
        {1: "N", 2: (R(45, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(181, 1), R(0, 1), R(0, 1))},  # lon > 180
        {1: "N", 2: (R(45, 1), R(0, 1), R(0, 1))},  # no longitude
    ]
    for i, values in enumerate(cases):
        exif = Image.Exif()
        exif[Base.Make] = "Acme"
        exif.get_ifd(IFD.GPSInfo).update(values)
        info = _read(_jpeg(tmp_path, exif, f"{i}.jpg"))
        assert info is not None
        assert info.gps is None, values


def test_gps_value_shapes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rationals as IFDRational, (num, den) pairs, floats and ints; zero denominators are invalid."""
    shapes: list[tuple[dict[int, Any], tuple[float, float, float | None] | None]] = [
        (
            {1: "S", 2: ((10, 1), (30, 1), (0, 1)), 3: "W", 4: (20.5, 0.0, 0.0), 6: (100, 1)},
            (-10.5, -20.5, 100.0),
        ),
        ({1: "N", 2: (R(10, 1), R(30, 0), R(0, 1)), 3: "E", 4: (20, 0, 0)}, None),  # 30/0
        ({1: "N", 2: ((10, 0),), 3: "E", 4: (20, 0, 0)}, None),
        ({1: b"N\0", 2: 12.25, 3: "E\0", 4: (R(1, 2),), 5: 1, 6: R(0, 0)}, (12.25, 0.5, None)),
        ({2: (1, 2, 3, 4), 4: (1, 2, 3)}, None),  # four parts
        ({1: "N", 2: ("a", "b", "c"), 3: "E", 4: (1, 2, 3)}, None),
    ]
    for values, expected in shapes:
        exif = Image.Exif()
        exif[Base.Make] = "Acme"
        exif.get_ifd(IFD.GPSInfo).update(values)
        img = Image.new("RGB", (4, 4))
        monkeypatch.setattr(img, "getexif", lambda exif=exif: exif)
        info = read_exif(img)
        assert info is not None
        if expected is None:
            assert info.gps is None, values
        else:
            assert info.gps is not None, values
            assert info.gps.lat == pytest.approx(expected[0])
            assert info.gps.lon == pytest.approx(expected[1])
            assert info.gps.alt == (None if expected[2] is None else pytest.approx(expected[2]))


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_unicode_user_comment_either_byte_order(tmp_path: Path, codec: str) -> None:
    exif = Image.Exif()
    exif[Base.Make] = "Acme"
    exif.get_ifd(IFD.Exif)[Base.UserComment] = b"UNICODE\0" + "Grüße aus Köln".encode(codec)
    info = _read(_jpeg(tmp_path, exif))
    assert info is not None
    assert info.extra["user_comment"] == "Grüße aus Köln"


def test_utf8_in_ascii_tags() -> None:
    """Phones write UTF-8 into ASCII tags; Pillow hands them over decoded as Latin-1."""
    tiff = _tiff(">", [_ascii(0x010F, "Caméra Ünion"), (0x0110, 2, 9, b"Mod\0\0junk")], [])
    with _jpeg_with_tiff(tiff) as img:
        info = read_exif(img)
    assert info is not None
    assert (info.make, info.model) == ("Caméra Ünion", "Mod")


def test_team_exif_fixture_round_trip(tmp_path: Path) -> None:
    """The fixtures other tests generate with jejak.testing.images.exif_bytes read back exactly."""
    block = exif_bytes(
        make="Acme",
        model="Cam",
        serial="XYZ9",
        datetime_original=datetime(2024, 2, 29, 8, 1, 2, tzinfo=timezone(timedelta(hours=-3, minutes=-30))),
        gps=(-1.5, -2.25, -12.0),
        image_unique_id="ABC",
        software="fw",
        orientation=3,
    )
    info = _read(_jpeg(tmp_path, block))
    assert info is not None
    assert (info.make, info.model, info.serial) == ("Acme", "Cam", "XYZ9")
    assert (info.software, info.orientation) == ("fw", 3)
    assert info.image_unique_id == "abc"
    assert info.datetime_original == "2024-02-29T08:01:02-03:30"
    assert info.gps is not None
    assert info.gps.lat == pytest.approx(-1.5, abs=1e-6)
    assert info.gps.lon == pytest.approx(-2.25, abs=1e-6)
    assert info.gps.alt == pytest.approx(-12.0)
    utc = exif_bytes(make="Acme", datetime_original=datetime(2024, 1, 1, tzinfo=UTC))
    info = _read(_jpeg(tmp_path, utc, "utc.jpg"))
    assert info is not None
    assert info.datetime_original == "2024-01-01T00:00:00+00:00"


# --- hand-built TIFF blocks and MakerNotes ----------------------------------------------------------------

_Tag = tuple[int, int, int, bytes]  # tag, type, count, value bytes (already in the block's byte order)


def _ascii(tag: int, text: str) -> _Tag:
    raw = text.encode() + b"\0"
    return (tag, 2, len(raw), raw)


def _long(tag: int, value: int, e: str = "<", typ: int = 4) -> _Tag:
    return (tag, typ, 1, struct.pack(e + "I", value))


def _ifd(entries: list[_Tag], e: str, start: int, origin: int = 0, next_ifd: int = 0) -> bytes:
    """An IFD placed at ``start`` in its buffer, its out-of-line values after it, offsets from ``origin``."""
    data_at = start + 2 + 12 * len(entries) + 4
    head = struct.pack(e + "H", len(entries))
    tail = b""
    for tag, typ, count, value in sorted(entries):
        if len(value) <= 4:
            head += struct.pack(e + "HHI", tag, typ, count) + value.ljust(4, b"\0")
        else:
            head += struct.pack(e + "HHII", tag, typ, count, data_at + len(tail) - origin)
            tail += value + b"\0" * (len(value) % 2)
    return head + struct.pack(e + "I", next_ifd) + tail


def _tiff(e: str, ifd0: list[_Tag], exif: list[_Tag]) -> bytes:
    header = (b"II*\0" if e == "<" else b"MM\0*") + struct.pack(e + "I", 8)
    exif_at = 8 + len(_ifd([*ifd0, _long(0x8769, 0, e)], e, 8))
    return header + _ifd([*ifd0, _long(0x8769, exif_at, e)], e, 8) + _ifd(exif, e, exif_at)


def _tiff_with_makernote(
    e: str, ifd0: list[_Tag], build: Callable[[int], bytes], size: int
) -> tuple[bytes, int]:
    """A TIFF whose MakerNote is ``build(offset_of_makernote_in_tiff)`` (``size`` bytes long)."""
    placeholder = bytes([0xA5]) * size
    probe = _tiff(e, ifd0, [_ascii(0x9003, "2020:01:02 03:04:05"), (0x927C, 7, size, placeholder)])
    at = probe.index(placeholder)
    note = build(at)
    assert len(note) == size
    return _tiff(e, ifd0, [_ascii(0x9003, "2020:01:02 03:04:05"), (0x927C, 7, size, note)]), at


def _jpeg_with_tiff(tiff: bytes) -> Image.Image:
    body = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 100, 50)).save(body, "JPEG")
    data = body.getvalue()
    payload = b"Exif\0\0" + tiff
    jpeg = data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]
    return Image.open(io.BytesIO(jpeg))


def _canon_note(e: str, at: int, number: int, internal: str) -> bytes:
    return _ifd(
        [(0x0001, 3, 1, struct.pack(e + "H", 0)), _long(0x000C, number, e), _ascii(0x0096, internal)],
        e,
        start=0,
        origin=-at,  # Canon: offsets count from the parent TIFF header
    )


@pytest.mark.parametrize("e", ["<", ">"])
def test_canon_makernote_end_to_end(e: str) -> None:
    size = len(_canon_note(e, 0, 0, "VB7654321"))
    tiff, _ = _tiff_with_makernote(
        e,
        [_ascii(0x010F, "Canon"), _ascii(0x0110, "Canon EOS 40D")],
        lambda at: _canon_note(e, at, 1234567, "VB7654321"),
        size,
    )
    with _jpeg_with_tiff(tiff) as img:
        info = read_exif(img)
    assert info is not None
    assert info.serial == "0001234567"  # ExifTool prints EOS serials as 10 digits
    assert info.extra["serial_source"] == "Canon.SerialNumber"
    assert info.extra["other_serials"] == "Canon.InternalSerialNumber=VB7654321"
    assert info.datetime_original == "2020-01-02T03:04:05"
    assert "exif_error" not in info.extra


def test_body_serial_wins_over_makernote() -> None:
    size = len(_canon_note("<", 0, 0, "X"))
    tiff, _ = _tiff_with_makernote(
        "<",
        [_ascii(0x010F, "Canon"), _ascii(0x0110, "Canon EOS R5"), _ascii(0xA431, "031021000123")],
        lambda at: _canon_note("<", at, 31021000123 & 0xFFFFFFFF, "X"),
        size,
    )
    with _jpeg_with_tiff(tiff) as img:
        info = read_exif(img)
    assert info is not None
    assert info.serial == "031021000123"  # BodySerialNumber (found in IFD0, where some writers put it)
    assert info.extra["serial_source"] == "BodySerialNumber"


def test_canon_serial_formats() -> None:
    for model, expected in (
        ("Canon EOS D30", "0001" + "00002"),  # (1 << 16) | 2 printed as %04x%05d
        ("Canon EOS-1D Mark II", "065538"),
        ("Canon PowerShot S60", "0000065538"),
    ):
        note = _canon_note("<", 1000, (1 << 16) | 2, "AB")
        info = parse_makernote(note, make="Canon", model=model, tiff_endian="<", offset_in_tiff=1000)
        assert info.serials[0] == ("Canon.SerialNumber", expected), model
    # Without the MakerNote's position the inline serial still reads; the out-of-line string cannot.
    note = _canon_note("<", 1000, 42, "LONGER-INTERNAL")
    info = parse_makernote(note, make="Canon", model="Canon EOS 7D", tiff_endian="<", offset_in_tiff=None)
    assert info.serials == [("Canon.SerialNumber", "0000000042")]
    info = parse_makernote(note, make="Canon", model="Canon EOS 7D", tiff_endian="<", offset_in_tiff=1000)
    assert info.serials[1] == ("Canon.InternalSerialNumber", "LONGER-INTERNAL")
    # EOS 5D: 0x0096 is a SerialInfo record with the string at byte 9
    note = _canon_note("<", 1000, 0, "xxxxxxxxxHD1234567")
    info = parse_makernote(note, make="Canon", model="Canon EOS 5D", tiff_endian="<", offset_in_tiff=1000)
    assert info.serials == [("Canon.InternalSerialNumber", "HD1234567")]


@pytest.mark.parametrize("e", ["<", ">"])
def test_nikon_type3_makernote(e: str) -> None:
    mark = b"II" if e == "<" else b"MM"
    header = b"Nikon\0\x02\x10\0\0" + mark + struct.pack(e + "H", 42) + struct.pack(e + "I", 8)
    ifd = _ifd([(0x0001, 7, 4, b"0210"), _ascii(0x001D, "4012345")], e, start=18, origin=10)
    info = parse_makernote(header + ifd, make="NIKON CORPORATION", model="NIKON D200")
    assert info.serials == [("Nikon.SerialNumber", "4012345")]


def test_headerless_nikon_makernote() -> None:
    note = _ifd([_ascii(0x001D, "5012345")], "<", start=0, origin=-500)
    info = parse_makernote(note, make="NIKON", model="D1", tiff_endian="<", offset_in_tiff=500)
    assert info.serials == [("Nikon.SerialNumber", "5012345")]


def test_fujifilm_makernote() -> None:
    serial = "FF02B4012345     592D31343830 Y5009"
    note = (
        b"FUJIFILM" + struct.pack("<I", 12) + _ifd([(0x0000, 7, 4, b"0130"), _ascii(0x0010, serial)], "<", 12)
    )
    info = parse_makernote(note, make="FUJIFILM", model="X-T2")
    assert info.serials == [("FujiFilm.InternalSerialNumber", serial)]


@pytest.mark.parametrize("e", ["<", ">"])
def test_olympus_makernote_equipment_ifd(e: str) -> None:
    mark = b"II" if e == "<" else b"MM"
    main_len = len(_ifd([_long(0x2010, 0, e, typ=13)], e, 12))
    sub = _ifd([_ascii(0x0101, "BHP123456"), _ascii(0x0102, "4100000000000001")], e, 12 + main_len, 0)
    note = b"OLYMPUS\0" + mark + b"\x03\0" + _ifd([_long(0x2010, 12 + main_len, e, typ=13)], e, 12) + sub
    info = parse_makernote(note, make="OLYMPUS IMAGING CORP.", model="E-M5")
    assert info.serials == [
        ("Olympus.SerialNumber", "BHP123456"),
        ("Olympus.InternalSerialNumber", "4100000000000001"),
    ]
    # An Equipment pointer back at the main IFD must not loop.
    note = b"OLYMPUS\0" + mark + b"\x03\0" + _ifd([_long(0x2010, 12, e, typ=13)], e, 12)
    assert parse_makernote(note, make="OLYMPUS", model="x").serials == []


def test_pentax_sony_reconyx_makernotes() -> None:
    note = b"AOC\0MM" + _ifd([_ascii(0x0229, "4123456")], ">", 6)
    assert parse_makernote(note, make="PENTAX", model="K-x").serials == [("Pentax.SerialNumber", "4123456")]
    note = b"PENTAX \0II" + _ifd([_ascii(0x0229, "7654321")], "<", 10)
    assert parse_makernote(note, make="RICOH IMAGING COMPANY, LTD.", model="K-1").serials == [
        ("Pentax.SerialNumber", "7654321")
    ]
    note = b"SONY DSC \0\0\0" + _ifd([_ascii(0x2031, "3301234")], "<", 12, origin=-100)
    info = parse_makernote(note, make="SONY", model="ILCE-9", tiff_endian="<", offset_in_tiff=100)
    assert info.serials == [("Sony.SerialNumber", "3301234")]
    note = b"RECONYXUF\0".ljust(0x4B, b"\0") + b"UF12345678\0\0\0\0\0" + b"\0" * 20
    assert parse_makernote(note, make=None, model=None).serials == [("Reconyx.SerialNumber", "UF12345678")]
    note = b"RECONYXH2\0".ljust(0x7E, b"\0") + "H2X0001".encode("utf-16-le").ljust(30, b"\0")
    assert parse_makernote(note, make=None, model=None).serials == [("Reconyx.SerialNumber", "H2X0001")]


def test_unknown_and_placeholder_serials_are_ignored() -> None:
    assert parse_makernote(b"Apple iOS\0\0\x01MM", make="Apple", model="iPhone").serials == []
    note = _ifd([_long(0x000C, 0), _ascii(0x0096, "    ")], "<", 0)
    assert parse_makernote(note, make="Canon", model="Canon EOS 40D", offset_in_tiff=0).serials == []


@pytest.mark.filterwarnings("ignore:Truncated File Read")
def test_damaged_exif_is_reported_not_raised() -> None:
    tiff = _tiff("<", [_ascii(0x010F, "Acme"), _ascii(0x0110, "Model with a long name")], [])
    # Point Model's value far outside the block.
    pos = tiff.index(struct.pack("<HHI", 0x0110, 2, 23)) + 8
    damaged = tiff[:pos] + struct.pack("<I", 0xFFFFFF00) + tiff[pos + 4 :]
    with _jpeg_with_tiff(damaged) as img:
        info = read_exif(img)
    assert info is not None
    assert info.make == "Acme"
    assert info.model is None
    assert "IFD0 tag 0x0110" in info.extra["exif_error"]


def test_loops_and_garbage_in_the_tiff_walk() -> None:
    tiff = _tiff("<", [_ascii(0x010F, "Acme")], [])
    exif_at = 8 + 2 + 2 * 12 + 4 + 6  # header, IFD0 (Make, ExifOffset), "Acme\0" padded to 6
    loop = tiff.replace(struct.pack("<HHII", 0x8769, 4, 1, exif_at), struct.pack("<HHII", 0x8769, 4, 1, 8))
    assert loop != tiff
    scan = scan_tiff(loop)
    assert any("loop" in p for p in scan.problems)
    assert scan_tiff(b"garbage").problems == ["EXIF block does not start with a TIFF header"]
    assert scan_tiff(b"II*\0\xff\xff\xff\x7f").problems


def test_bad_tiff_header_in_app1_never_raises() -> None:
    with _jpeg_with_tiff(b"XX*\0\x08\0\0\0" + b"\0" * 20) as img:
        info = read_exif(img)
    assert info is not None
    assert "exif_error" in info.extra


def test_fuzzed_makernotes_never_raise() -> None:
    rng = random.Random(20240229)
    prefixes = [
        (b"", "Canon"),
        (b"", "NIKON"),
        (b"Nikon\0\x02\x10\0\0II*\0\x08\0\0\0", "NIKON"),
        (b"FUJIFILM\x0c\0\0\0", "FUJIFILM"),
        (b"OLYMPUS\0II\x03\0", "OLYMPUS"),
        (b"OM SYSTEM\0\0\0MM\x04\0", "OM Digital Solutions"),
        (b"OLYMP\0\x01\0", "OLYMPUS"),
        (b"AOC\0  ", "PENTAX"),
        (b"PENTAX \0MM", "PENTAX"),
        (b"SONY DSC \0\0\0", "SONY"),
        (b"\x01\xf1\x03\0", "RECONYX"),
        (b"RECONYXUF\0", ""),
        (b"RECONYXH2\0", ""),
    ]
    for prefix, make in prefixes:
        for _ in range(300):
            body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 200)))
            if rng.random() < 0.5:  # plausible entry count and types, random offsets
                body = struct.pack("<H", rng.randrange(1, 6)) + body
            info = parse_makernote(
                prefix + body,
                make=make,
                model="x",
                tiff_endian=rng.choice(["<", ">"]),
                offset_in_tiff=rng.choice([None, 0, 100, 10**9]),
            )
            assert isinstance(info, MakerNoteInfo)


def test_fuzzed_real_exif_blocks_never_raise(samples: Path) -> None:
    """Flip bytes in the EXIF block of a real Olympus photo (MakerNote included) and read it back."""
    data = (samples / "jpg" / "corrupted.jpg").read_bytes()
    assert data[2:4] == b"\xff\xe1"
    length = struct.unpack(">H", data[4:6])[0]
    tiff = data[10 : 4 + length]
    rng = random.Random(7)
    for i in range(150):
        damaged = bytearray(tiff)
        for _ in range(rng.randrange(1, 40)):
            damaged[rng.randrange(0, min(len(damaged), 4096))] = rng.getrandbits(8)
        if i % 10 == 0:
            damaged = damaged[: rng.randrange(8, len(damaged))]
        try:
            img = _jpeg_with_tiff(bytes(damaged))
        except Exception:
            continue
        with img:
            info = read_exif(img)
        if info is not None:
            _assert_json_extra(info)
