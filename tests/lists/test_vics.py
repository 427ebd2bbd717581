"""VICS JSON: the quirks of real exports, 1.x and 2.0, hash sets and cases, round trips, streaming."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from jejak import __version__
from jejak.errors import ConfigError
from jejak.lists import (
    VicsCase,
    VicsCaseMedia,
    VicsMediaFile,
    format_vics_datetime,
    parse_vics_datetime,
    read_list,
    write_list,
    write_vics_case,
)
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.model.records import ExifInfo, GpsPoint, HashValue
from jejak.testing.lists import write_vics_hashset
from tests.lists.conftest import assert_same, read_all, round_trip, write_bytes

PDNA_B64 = (
    "UvImZaYMEtKJGF2VDuiBNgkWb2sRPReNbA/TkB/yOaGglfIPk5VlDPk4C47bIkprJIoekk6P0K4uGpSSozBfGIy2EJAPnjR/rohtxlB3"
    "lex0XEw/yy6yxz4Uk0yGfuBXunJJm/oSHoNrKsFXJu59awr2qxPDjpLK4NFQV7FZmH+UzHQR1xfxRXmyqhAPu7NP"
)
MD5_1 = "552cc9661dc69d9b8b5376e9d79f3c96"
SHA1_1 = "f1365b4310ed5187530bbd1273ea4f349fab0c21"
SHA256_1 = "e0280c2105cd0d1b5944bc5fd8a09caca8137e8c847c9ce12416c4d89ef8cbb7"
PDQ_1 = "a7e6529bce76e9f477216e9ee7a46309973f798626b1cffc070d710920859634"


def _json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8-sig"))


def test_quirks_of_real_exports_are_read(data: Path) -> None:
    header, reader = read_list(data / "vics20_quirks.json")
    assert (header.format, header.version, header.profile) == ("vics", "2.0", "US")
    assert header.extra["shape"] == "Media" and header.extra["scheme"] == "vic-us"
    assert header.extra["top"] == {"odata.count": 7}  # the key after the media comes at the end
    entries = list(reader)
    assert header.extra["top"] == {"odata.count": 7, "odata.nextLink": "http://example.invalid/Media?$skip=7"}
    assert [e.external_id for e in entries] == ["1", "2", "3", "4", "7"]

    first = entries[0]
    assert first.hashes == (
        HashValue("md5", MD5_1),
        HashValue("sha1", SHA1_1),
        HashValue("sha256", SHA256_1),
        HashValue("pdq", PDQ_1),
    )
    assert first.category == Category("vic-us", "1")
    assert first.flags() == {"victim_identified": True, "offender_identified": False, "distributed": True}
    assert (first.series, first.size, first.photodna) == ("Blue Kite", 2835, PDNA_B64)
    assert first.extra["MediaID"] == 1
    assert first.extra["IsPrecategorized"] == "true"  # no slot: kept exactly as read
    assert first.extra["VendorFoo"] == {"nested": [1, 2.5, None]}
    assert first.extra["DateUpdated"] == "2023-06-07T02:31:49.8300123Z"
    assert {"HashName": "MD5 Thumbnail", "HashValue": "0123"} in first.extra["AlternativeHashes"]

    second = entries[1]  # lower-case keys, null category, a hex PhotoDNA field
    assert second.hash("md5") == "1b9fb163abb6a98ca34946ddefe1a04f"
    assert second.category is None and second.extra["category"] is None
    assert second.photodna is not None and len(second.photodna) == 288
    assert second.distributed is False and second.series is None

    third = entries[2]  # "Category": "0" is a decision (Non-Pertinent), not a missing category
    assert third.category == Category("vic-us", "0")
    assert third.victim_identified is None and third.extra["VictimIdentified"] == "maybe"

    fourth = entries[3]  # a broken MD5 beside a good SHA-1: kept by the SHA-1, the raw MD5 kept too
    assert fourth.hashes == (HashValue("sha1", "a7bfa01b7d456b9ad471762c46e0a2c6ceb28b52"),)
    assert fourth.category is None and fourth.extra["Category"] == 9
    assert fourth.extra["MD5"] == "40636974df52b8e0ae7a1ea826cf783"

    assert entries[4].category == Category("vic-us", "4")  # 4.0

    assert reader.complete
    assert reader.count_read == 5 and reader.count_skipped == 2 and reader.count_bad == 6
    text = "\n".join(reader.problems)
    assert "media #3 (MediaID 3): VictimIdentified: not a boolean: 'maybe'" in text
    assert "media #4 (MediaID 4): category '9' is not in scheme vic-us" in text
    assert "media #5 (MediaID 5): md5 must be 32 hex characters" in text
    assert "media #6 (MediaID 6): no MD5, SHA-1, SHA-256, PDQ or PhotoDNA value" in text


def test_date_times_as_exporters_write_them(data: Path) -> None:
    _h, entries, _r = read_all(data / "vics20_quirks.json")
    stamps = [parse_vics_datetime(e.extra.get("DateUpdated")) for e in entries]
    utc = datetime(2023, 6, 7, 2, 31, 49, 830000, tzinfo=UTC)
    assert stamps[0] == datetime(2023, 6, 7, 2, 31, 49, 830012, tzinfo=UTC)  # 7 fractional digits
    assert stamps[1] == utc  # /Date(ms)/
    assert stamps[2] == utc and stamps[2] is not None and stamps[2].utcoffset() == timedelta(hours=1)
    assert stamps[3] is None
    assert stamps[4] == datetime(2023, 6, 7, 2, 31, 49)  # no zone: naive
    plus_one = timezone(timedelta(hours=1))
    assert parse_vics_datetime("2023-01-01T12:00:00.000+01:00Z") == datetime(2023, 1, 1, 12, tzinfo=plus_one)
    assert parse_vics_datetime("2023-01-01T12:00:00-0530") == datetime(
        2023, 1, 1, 12, tzinfo=timezone(-timedelta(hours=5, minutes=30))
    )
    assert parse_vics_datetime("\\/Date(0)\\/") == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_vics_datetime("2023-01-01") == datetime(2023, 1, 1)
    assert parse_vics_datetime("") is None and parse_vics_datetime(None) is None
    with pytest.raises(ValueError):
        parse_vics_datetime("yesterday")
    assert format_vics_datetime(utc) == "2023-06-07T02:31:49.830Z"
    assert format_vics_datetime(datetime(2023, 1, 1, 12, tzinfo=plus_one)) == "2023-01-01T11:00:00Z"
    assert format_vics_datetime(datetime(2023, 1, 1, 12, 0, 0, 5)) == "2023-01-01T12:00:00.000005"
    for value in (utc, datetime(2023, 1, 1, 12, 0, 0, 123456, tzinfo=plus_one)):
        assert parse_vics_datetime(format_vics_datetime(value)) == value


def test_clean_hash_set_round_trips_to_the_same_json(data: Path, tmp_path: Path) -> None:
    path = data / "vics20_clean.json"
    header, entries, reader = read_all(path)
    assert reader.count_bad == 0
    assert entries[3].hashes[1] == HashValue(
        "sha256", "395d35da23263b0b317f7a1f56932eaef3350920ca1bb551fed4d8c3d0832fea"
    )
    written = write_bytes(entries, "vics", header)
    assert json.loads(written) == _json(path)
    _h2, again, reader2 = round_trip(tmp_path, entries, "vics", header)
    assert_same(entries, again)
    assert reader2.count_bad == 0


def test_quirky_file_round_trips_its_entries(data: Path, tmp_path: Path) -> None:
    header, entries, _r = read_all(data / "vics20_quirks.json")
    header2, again, reader2 = round_trip(tmp_path, entries, "vics", header)
    assert_same(entries, again)
    assert header2.extra["top"] == header.extra["top"]
    assert reader2.count_bad == 3  # the raw values that could not be read are written back as they were


def test_vics_1_3_with_verbose_odata_wrappers(data: Path, tmp_path: Path) -> None:
    path = data / "vics13_verbose.json"
    header, entries, reader = read_all(path)
    assert (header.version, header.profile, header.extra["context_key"]) == ("1.3", None, "odata.metadata")
    assert reader.count_bad == 0
    first, second = entries
    assert first.hash("md5") == "a984f93250a189ded0bb083037e28822"
    assert first.hash("sha1") == "2881b5aa06cde8baf0c4c51a96a54c60659f1e22"
    assert first.photodna is not None and first.photodna.startswith(
        "pZP+rtJy"
    )  # from results[], lower-case keys
    assert (first.name, first.size, first.distributed, first.victim_identified) == (
        "a.jpg",
        1234,
        True,
        False,
    )
    assert first.category == Category("vic-us", "2")
    for key in ("__metadata", "odata.type", "odata.id", "odata.editLink", "Exifs", "MediaFiles"):
        assert key in first.extra
    assert first.extra["Exifs"] == {"__deferred": {"uri": "http://example.invalid/Media(1)/Exifs"}}
    assert second.hash("sha1") == "fa847eb9d9eec40c911a306ccf87ca1d2f189378"  # only in AlternativeHashes
    assert second.category is None

    written = json.loads(write_bytes(entries, "vics", header))
    expected = _json(path)
    expected["value"][0].update({"MediaSize": 1234, "IsDistributed": True, "VictimIdentified": False})
    expected["value"][1]["SHA1"] = "FA847EB9D9EEC40C911A306CCF87CA1D2F189378"  # MD5/SHA1 are media fields
    assert written == expected  # strings normalised to JSON numbers/booleans, everything else as read
    _h, again, _r = round_trip(tmp_path, entries, "vics", header)
    assert_same(entries, again)


def test_uk_case_export_with_media_files_and_exifs(data: Path, tmp_path: Path) -> None:
    path = data / "vics20_uk_cases.json"
    header, reader = read_list(path)
    assert (header.version, header.profile, header.extra["shape"], header.extra["scheme"]) == (
        "2.0",
        "UK",
        "Cases",
        "uk",
    )
    entries = list(reader)
    assert [e.category for e in entries] == [Category("uk", "A"), Category("uk", "C"), None]
    assert header.extra["case"]["CaseNumber"] == "UK-2026-0042"
    assert header.extra["case"]["SourceApplicationName"] == "Clees4All"  # written after Media
    assert header.extra["case"]["TotalMediaFiles"] == 3
    media_file = entries[0].extra["MediaFiles"][0]
    assert media_file["sourceID"] == "AB/1" and media_file["PhysicalLocation"] == 9007199254740993
    assert parse_vics_datetime(media_file["Created"]) == datetime(2023, 1, 1, 11, tzinfo=UTC)
    assert entries[0].extra["Exifs"][0] == {"PropertyName": "Make", "PropertyValue": "Canon"}

    assert json.loads(write_bytes(entries, "vics", header)) == _json(path)
    _h, again, _r = round_trip(tmp_path, entries, "vics", header)
    assert_same(entries, again)

    _h, us, _r = read_all(path, scheme="vic-us")
    assert [e.category for e in us] == [Category("vic-us", "1"), Category("vic-us", "3"), None]


def test_uk_letters_are_read_and_written_back_as_letters(tmp_path: Path) -> None:
    doc = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media",
        "value": [
            {"MediaID": 1, "Category": "B", "MD5": MD5_1},
            {"MediaID": 2, "Category": "Cat C", "MD5": MD5_1},
        ],
    }
    path = tmp_path / "uk.json"
    path.write_text(json.dumps(doc))
    header, entries, _r = read_all(path)
    assert [e.category for e in entries] == [Category("uk", "B"), Category("uk", "C")]
    written = json.loads(write_bytes(entries, "vics", header))
    assert [m["Category"] for m in written["value"]] == ["B", "C"]


def test_write_profile_and_category_scheme_must_agree(data: Path) -> None:
    header, entries, _r = read_all(data / "vics20_uk_cases.json")
    with pytest.raises(ConfigError, match="category uk:A cannot be written"):
        write_bytes(entries, "vics", None)  # no header: a US hash set, which cannot say "Category A"
    kept = json.loads(
        write_bytes(entries, "vics", header)
    )  # the header's UK profile wins over the default US
    assert kept["@odata.context"].endswith("/UK/$metadata#Cases")
    us_entries = [ListEntry(hashes=e.hashes, category=Category("vic-us", "1")) for e in entries]
    with pytest.raises(ConfigError):
        write_bytes(us_entries, "vics", header)
    default = json.loads(
        write_bytes(us_entries, "vics", header, profile="Default")
    )  # an explicit profile wins
    assert default["@odata.context"].endswith("/Default/$metadata#Cases")
    assert {m["Category"] for m in default["value"][0]["Media"]} == {1}


def test_writing_1_x_keeps_odata_metadata(data: Path) -> None:
    header = ListHeader(format="vics", version="1.2")
    entries = [ListEntry(hashes=(HashValue("md5", MD5_1),), category=Category("vic-us", "2"))]
    doc = json.loads(write_bytes(entries, "vics", header))
    assert doc["odata.metadata"] == "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Media"
    assert doc["value"] == [{"MediaID": 1, "Category": 2, "MD5": MD5_1.upper()}]


def test_entries_from_another_format_become_a_us_hash_set() -> None:
    entries = [
        ListEntry(hashes=(HashValue("md5", MD5_1),), name="a.jpg"),
        ListEntry(
            hashes=(HashValue("sha1", SHA1_1), HashValue("sha256", SHA256_1), HashValue("pdq", PDQ_1, 90)),
            photodna=PDNA_B64,
            external_id="X-7",
        ),
    ]
    doc = json.loads(write_bytes(entries, "vics", None))
    assert doc["@odata.context"] == (
        "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
    )
    first, second = doc["value"]
    assert first == {"MediaID": 1, "MD5": MD5_1.upper(), "FileName": "a.jpg"}
    assert second["MediaID"] == "X-7" and second["SHA1"] == SHA1_1.upper()
    assert second["AlternativeHashes"] == [
        {"HashName": "SHA256", "HashValue": SHA256_1.upper()},
        {"HashName": "PDQ", "HashValue": PDQ_1},
        {"HashName": "PhotoDNA", "HashValue": PDNA_B64},
    ]


def _media(i: int, **more: Any) -> dict[str, Any]:
    return {"MediaID": i, "Category": i % 5, "MD5": f"{i:032x}", "Comments": f"é{i}" * 3, **more}


@pytest.mark.parametrize("shape", ["Media", "Cases"])
def test_keys_after_a_long_media_array_are_found(tmp_path: Path, shape: str) -> None:
    media = [_media(i) for i in range(1, 3001)]
    media.append(dict(media[-1]))  # the last media twice: the locator must pick the one before "]"
    media[-1]["Comments"] = "ünïcode, {braces} and ] brackets"
    ctx = f"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#{shape}"
    if shape == "Media":
        doc: dict[str, Any] = {"@odata.context": ctx, "value": media, "after": {"n": [1, 2]}, "tail": "]"}
    else:
        doc = {
            "@odata.context": ctx,
            "value": [{"CaseID": "c1", "Media": media, "TotalMediaFiles": 3001, "Note": "x"}],
            "after": 1,
        }
    path = tmp_path / "long.json"
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    header, entries, reader = read_all(path)
    assert len(entries) == 3001 and reader.count_bad == 0
    assert entries[-1].extra["Comments"] == "ünïcode, {braces} and ] brackets"
    if shape == "Media":
        assert header.extra["top"] == {"after": {"n": [1, 2]}, "tail": "]"}
    else:
        assert header.extra["top"] == {"after": 1}
        assert header.extra["case"] == {"CaseID": "c1", "TotalMediaFiles": 3001, "Note": "x"}
    assert json.loads(write_bytes(entries, "vics", header)) == doc


def test_empty_and_odd_documents(tmp_path: Path) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text('{"@odata.context": "x/2.0.xml/US/$metadata#Media", "value": [], "later": true}')
    header, entries, reader = read_all(empty)
    assert entries == [] and reader.count_bad == 0 and header.extra["top"] == {"later": True}

    no_value = tmp_path / "novalue.json"
    no_value.write_text('{"@odata.context": "x", "something": [1]}')
    _h, entries, reader = read_all(no_value, format="vics")
    assert entries == [] and "no media array" in reader.problems[0]

    array = tmp_path / "array.json"
    array.write_text("[1, 2]")
    _h, entries, reader = read_all(array, format="vics")
    assert entries == [] and not reader.complete and "not an object" in reader.problems[0]

    no_context = tmp_path / "nocontext.json"  # shape and scheme guessed from the content
    no_context.write_text(json.dumps({"value": [{"CaseID": "c", "Media": [_media(1)]}]}))
    header, entries, _r = read_all(no_context, format="vics")
    assert header.extra["shape"] == "Cases" and len(entries) == 1 and header.version is None


def test_a_truncated_file_yields_what_it_can_and_says_so(tmp_path: Path) -> None:
    text = json.dumps(
        {"@odata.context": "x/2.0.xml/US/$metadata#Media", "value": [_media(i) for i in range(1, 50)]}
    )
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) * 2 // 3])
    _h, entries, reader = read_all(path)
    assert 20 < len(entries) < 49
    assert not reader.complete
    assert "JSON error" in reader.problems[-1] and "the rest of the file was not read" in reader.problems[-1]


def test_problem_log_is_capped_but_counted(tmp_path: Path) -> None:
    media = [{"MediaID": i, "MD5": "bad"} for i in range(1500)] + [_media(1)]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"@odata.context": "x/2.0.xml/US/$metadata#Media", "value": media}))
    _h, entries, reader = read_all(path)
    assert len(entries) == 1
    assert reader.count_bad == 3000 and reader.count_skipped == 1500 and len(reader.problems) == 1000


def test_case_export_streams_media_with_files_and_exif(tmp_path: Path) -> None:
    consumed: list[int] = []

    def media() -> Any:
        for i in range(1, 4):
            consumed.append(i)
            files = (
                VicsMediaFile(
                    file_name=f"IMG_{i:04d}.JPG",
                    file_path=f"phone1.zip > DCIM/IMG_{i:04d}.JPG",
                    size=1000 + i,
                    created=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                    written=datetime(2026, 1, 2, 3, 4, 5),  # FAT: local wall-clock time, no zone
                    deleted=i == 2,
                    unallocated=False,
                    exhibit="EX-1",
                ),
            )
            exif = (
                ExifInfo(make="Canon", model="EOS", serial="123", gps=GpsPoint(52.1, 4.3)) if i == 1 else None
            )
            category = Category("vic-us", str(i)) if i < 3 else None
            yield VicsCaseMedia(
                ListEntry(hashes=(HashValue("md5", f"{i:032x}"),), category=category), files, exif
            )

    case = VicsCase(
        case_number="DEMO-2026-0001",
        media=media(),
        case_name="Demo",
        agency="Demo Unit",
        examiner="Examiner One",
        created=datetime(2026, 11, 29, 12, tzinfo=UTC),
    )
    buf = io.BytesIO()
    assert write_vics_case(case, buf) == 3
    assert consumed == [1, 2, 3]
    doc = json.loads(buf.getvalue())
    assert doc["@odata.context"].endswith("/2.0.xml/US/$metadata#Cases")
    c = doc["value"][0]
    assert (c["CaseNumber"], c["ContactOrganization"], c["ContactName"]) == (
        "DEMO-2026-0001",
        "Demo Unit",
        "Examiner One",
    )
    assert (c["SourceApplicationName"], c["SourceApplicationVersion"]) == ("jejak", __version__)
    assert c["DateCreated"] == "2026-11-29T12:00:00Z" and c["TotalMediaFiles"] == 3 and c["CaseID"]
    first = c["Media"][0]
    assert first["MediaFiles"] == [
        {
            "MD5": f"{1:032X}",
            "FileName": "IMG_0001.JPG",
            "FilePath": "phone1.zip > DCIM/IMG_0001.JPG",
            "FileSize": 1001,
            "Created": "2026-01-02T03:04:05Z",
            "Written": "2026-01-02T03:04:05",
            "Unallocated": False,
            "Deleted": False,
            "SourceID": "EX-1",
        }
    ]
    assert {"PropertyName": "GPSLatitude", "PropertyValue": "52.1"} in first["Exifs"]
    assert {"PropertyName": "Make", "PropertyValue": "Canon"} in first["Exifs"]
    assert "Exifs" not in c["Media"][1] and c["Media"][1]["MediaFiles"][0]["Deleted"] is True

    path = tmp_path / "case.json"
    path.write_bytes(buf.getvalue())
    header, entries, reader = read_all(path)
    assert header.extra["shape"] == "Cases" and reader.count_bad == 0
    assert [e.category for e in entries] == [Category("vic-us", "1"), Category("vic-us", "2"), None]
    assert header.extra["case"]["TotalMediaFiles"] == 3


def test_case_export_in_the_uk_profile() -> None:
    entry = ListEntry(hashes=(HashValue("md5", MD5_1),), category=Category("uk", "B"))
    buf = io.BytesIO()
    write_vics_case(VicsCase("UK-1", media=[VicsCaseMedia(entry)]), buf, profile="UK")
    doc = json.loads(buf.getvalue())
    assert doc["@odata.context"].endswith("/UK/$metadata#Cases")
    assert doc["value"][0]["Media"][0]["Category"] == 2


def test_generated_hash_set_matches_its_description(tmp_path: Path) -> None:
    info = write_vics_hashset(tmp_path / "gen.json", 1000, seed=3)
    _header, entries, reader = read_all(info.path)
    assert len(entries) == info.entries == 1000 and reader.count_bad == 0
    assert sum(1 for e in entries if e.hash("pdq")) == info.with_pdq == 500
    assert sum(1 for e in entries if e.category is not None) == info.categorised
    assert all(e.hash("md5") and e.hash("sha1") and e.hash("sha256") for e in entries)
    again = write_vics_hashset(tmp_path / "gen2.json", 1000, seed=3)
    assert again.path.read_bytes() == info.path.read_bytes()


_MEMORY_PROBE = """
import resource, sys
from pathlib import Path
from jejak.lists import read_list
header, reader = read_list(Path(sys.argv[1]))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
n = sum(1 for _ in reader)
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(n, before, after, reader.count_bad)
"""


def test_reading_200k_entries_does_not_grow_memory(tmp_path: Path) -> None:
    info = write_vics_hashset(tmp_path / "big.json", 200_000, seed=1)
    assert info.size_bytes > 90_000_000
    out = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(info.path)], capture_output=True, text=True, check=True
    ).stdout.split()
    n, before_kib, after_kib, bad = (int(x) for x in out)
    assert n == 200_000 and bad == 0
    assert (after_kib - before_kib) < 40_000, f"RSS grew {(after_kib - before_kib) / 1024:.0f} MiB"


@pytest.mark.parametrize("wrapped", ["results", "array"])
def test_verbose_odata_d_wrapper(tmp_path: Path, wrapped: str) -> None:
    media = [_media(1, PhotoDNA="c2hvcnQ="), _media(2)]
    body: Any = {"__count": "2", "results": media} if wrapped == "results" else media
    path = tmp_path / "d.json"
    path.write_text(json.dumps({"d": body}))
    header, entries, reader = read_all(path)
    assert [e.external_id for e in entries] == ["1", "2"]
    assert header.extra["odata_verbose"] is True
    assert entries[0].photodna == "c2hvcnQ="  # kept as read, with a problem
    assert reader.problems == [
        "media #1 (MediaID 1): PhotoDNA value has 8 characters, expected 192 base64 or 288 hex; kept as read"
    ]


@pytest.mark.parametrize("name", ["vics20_clean.json", "vics20_uk_cases.json", "vics13_verbose.json"])
def test_reader_piped_straight_into_the_writer(data: Path, name: str) -> None:
    header, entries, _r = read_all(data / name)
    whole = json.loads(write_bytes(entries, "vics", header))
    header2, reader2 = read_list(data / name)  # nothing read yet: keys after the media come while writing
    buf = io.BytesIO()
    assert write_list(reader2, buf, "vics", header=header2) == len(entries)
    assert json.loads(buf.getvalue()) == whole


def test_lower_case_hex_and_uk_letters_survive_a_pipe(tmp_path: Path) -> None:
    doc = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Media",
        "value": [{"MediaID": 1, "Category": "a", "MD5": MD5_1, "SHA1": SHA1_1}],
        "after": [1],
    }
    path = tmp_path / "lower.json"
    path.write_text(json.dumps(doc))
    header, reader = read_list(path)
    buf = io.BytesIO()
    write_list(reader, buf, "vics", header=header)
    doc["value"][0]["Category"] = "A"  # type: ignore[index]
    assert json.loads(buf.getvalue()) == doc
