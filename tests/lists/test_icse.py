"""ICSE CSV exports: delimiters, BOM, quotes, booleans, extra columns; the writer."""

from __future__ import annotations

from pathlib import Path

from jejak.lists.icse import COLUMNS, HEADER
from jejak.model.lists import Category, ListEntry, ListHeader
from jejak.model.records import HashValue
from tests.lists.conftest import assert_same, read_all, round_trip, write_bytes


def test_semicolon_export_with_bom_crlf_and_quotes(data: Path) -> None:
    header, entries, reader = read_all(data / "icse_semicolon.csv")
    assert header.format == "icse" and header.extra["delimiter"] == ";"
    first, second, third = entries
    assert first.hash("md5") == "552cc9661dc69d9b8b5376e9d79f3c96"
    assert first.photodna is not None and len(first.photodna) == 192
    assert (first.external_id, first.series, first.media_type) == ("IMG-0001", "Blue Kite", "Image")
    assert first.flags() == {
        "victim_identified": False,
        "offender_identified": False,
        "distributed": True,
        "baseline": True,
    }
    assert first.extra == {"Number of submissions": "3", "File Available": "Yes"}
    assert first.category is None  # ICSE has no category
    assert second.series == "Series; with a semicolon" and second.offender_identified is None
    assert third.hashes == (HashValue("sha1", "4d649374bd8ea3aaae2d5b2dc37c6fce6681d452"),)
    assert third.distributed is None and third.extra["distributed"] == "maybe"
    assert reader.problems == [
        "line 4: md5 must be 32 hex characters, got 4: 'zzzz'",
        "line 4: no valid hash; row skipped",
        "line 5: distributed: not a boolean: 'maybe'",
    ]
    assert header.extra["bool_style"] == ["Yes", "No"]


def test_comma_export_with_lower_case_headers_and_an_added_column(data: Path) -> None:
    header, entries, reader = read_all(data / "icse_comma.csv")
    assert header.extra["delimiter"] == "," and reader.count_bad == 0
    assert entries[0].extra == {
        "number of submissions": "7",
        "file available": "false",
        "analyst note": "checked, twice",
    }
    assert entries[1].hash("md5") == "9671f887cada977659148e34b0c1ddd4"
    assert entries[1].flags() == {
        "victim_identified": False,
        "offender_identified": False,
        "distributed": True,
        "baseline": False,
    }


def test_round_trips_keep_columns_and_boolean_spelling(data: Path, tmp_path: Path) -> None:
    for name in ("icse_semicolon.csv", "icse_comma.csv"):
        header, entries, _r = read_all(data / name)
        header2, again, _r2 = round_trip(tmp_path, entries, "icse", header)
        assert_same(entries, again)
        assert header2.extra["columns"] == header.extra["columns"]
        assert header2.extra["delimiter"] == header.extra["delimiter"]
        assert header2.extra["bool_style"] == header.extra["bool_style"]


def test_writer_emits_the_icse_header_for_other_entries(tmp_path: Path) -> None:
    entry = ListEntry(
        hashes=(HashValue("md5", "a" * 32), HashValue("sha256", "c" * 64)),
        external_id="X1",
        distributed=True,
        baseline=False,
        series="S",
        category=Category("vic-us", "1"),
        extra={"Number of submissions": "4", "Unrelated": "dropped"},
    )
    text = write_bytes([entry], "icse").decode()
    lines = text.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == f"{'a' * 32};;;X1;Yes;;;S;4;;;No"
    _h, again, _r = round_trip(tmp_path, [entry], "icse")
    assert again[0].hashes == (HashValue("md5", "a" * 32),)  # ICSE carries md5, sha1 and PhotoDNA only
    assert again[0].extra == {"Number of submissions": "4"}


def test_a_category_column_when_the_header_asks_for_one(tmp_path: Path) -> None:
    entry = ListEntry(
        hashes=(HashValue("md5", "a" * 32),), external_id="X2", category=Category("vic-us", "2")
    )
    header = ListHeader("icse", extra={"columns": [*COLUMNS, "Category"]})
    text = write_bytes([entry], "icse", header).decode()
    assert text.splitlines()[0] == HEADER + ";Category"
    header2, again, reader = round_trip(tmp_path, [entry], "icse", header)
    assert reader.count_bad == 0 and header2.extra["fields"]["Category"] == "category"
    assert again[0].category == Category("vic-us", "2")
    _h, uk, _r = read_all(tmp_path / "round-trip.icse", scheme="uk")
    assert uk[0].category == Category("uk", "B")
