"""Generic CSV: recognised headers, explicit mappings, bad rows, round trips, encodings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from jejak.errors import ConfigError
from jejak.lists.csvlist import COLUMNS, sniff_delimiter
from jejak.model.lists import Category, ListEntry
from jejak.model.records import HashValue
from tests.lists.conftest import assert_same, read_all, round_trip, write_bytes


def test_common_headers_are_recognised(data: Path) -> None:
    header, entries, reader = read_all(data / "generic.csv")
    assert header.format == "csv" and header.extra["delimiter"] == ";"
    assert header.extra["fields"] == {
        "File Name": "name",
        "MD5 Hash": "md5",
        "SHA-256": "sha256",
        "Cat": "category",
        "Series name": "series",
        "Is distributed": "distributed",
    }
    first, second, third = entries
    assert first.hashes == (
        HashValue("md5", "552cc9661dc69d9b8b5376e9d79f3c96"),
        HashValue("sha256", "e0280c2105cd0d1b5944bc5fd8a09caca8137e8c847c9ce12416c4d89ef8cbb7"),
    )
    assert (first.name, first.category, first.series, first.distributed) == (
        "a.jpg",
        Category("vic-us", "1"),
        "Blue Kite",
        True,
    )
    assert first.extra == {"Notes": "first"}
    assert second.category is None and second.extra == {"Notes": "bad category", "category": "7"}
    assert third.name == "d;e.jpg" and third.extra == {"Notes": "quoted; cell", "_surplus": ["surplus"]}
    assert reader.problems == [
        "line 4: category '7' is not in scheme vic-us; known: 0, 1, 2, 3, 4; kept without a category",
        "line 5: no hash value; row skipped",
        "line 6: 8 cells for 7 columns; the surplus is kept in extra",
    ]


def test_explicit_mapping_wins(data: Path) -> None:
    header, entries, reader = read_all(data / "custom.csv", mapping={"md5": "Hash", "category": "Klasse"})
    assert header.extra["delimiter"] == "\t" and reader.count_bad == 0
    assert [(e.hash("md5"), e.category, e.extra) for e in entries] == [
        ("552cc9661dc69d9b8b5376e9d79f3c96", Category("vic-us", "2"), {"Bemerkung": "erste"}),
        ("1b9fb163abb6a98ca34946ddefe1a04f", None, {"Bemerkung": "zweite"}),
    ]
    _h, uk, _r = read_all(data / "custom.csv", mapping={"md5": "hash", "category": "KLASSE"}, scheme="uk")
    assert uk[0].category == Category("uk", "B")  # 2 -> B in the uk scheme


def test_bad_mappings_are_config_errors(data: Path) -> None:
    with pytest.raises(ConfigError, match="unknown field"):
        read_all(data / "custom.csv", mapping={"hash": "Hash"})
    with pytest.raises(ConfigError, match="not in the header"):
        read_all(data / "custom.csv", mapping={"md5": "Digest"})
    with pytest.raises(ConfigError, match="csv format"):
        read_all(data / "custom.csv", format="pdq", mapping={"md5": "Hash"})


def test_no_hash_column_stops_with_a_clear_problem(tmp_path: Path) -> None:
    path = tmp_path / "nohash.csv"
    path.write_text("Name,Colour\na,red\n")
    _h, entries, reader = read_all(path, format="csv")
    assert entries == [] and not reader.complete
    assert "no hash column recognised" in reader.problems[0]


def test_csv_round_trip_keeps_the_columns(data: Path, tmp_path: Path) -> None:
    header, entries, _r = read_all(data / "generic.csv")
    header2, again, _r2 = round_trip(tmp_path, entries, "csv", header)
    assert_same(entries, again)
    assert header2.extra["columns"] == header.extra["columns"]
    assert header2.extra["delimiter"] == ";"


def test_entries_of_another_format_lose_nothing_in_csv(data: Path, tmp_path: Path) -> None:
    _h, entries, _r = read_all(data / "vics20_clean.json")
    text = write_bytes(entries, "csv").decode()
    assert text.splitlines()[0] == ",".join(COLUMNS)
    _h2, again, reader = round_trip(tmp_path, entries, "csv")
    assert reader.count_bad == 0
    assert_same(entries, again)  # categories with their scheme, flags, PhotoDNA, and the rest as JSON
    assert json.loads(text.splitlines()[1].split(",", 17)[17].strip('"').replace('""', '"'))["MediaID"] == 1


def test_pdq_quality_and_utf16(tmp_path: Path) -> None:
    entries = [ListEntry(hashes=(HashValue("pdq", "f" * 64, 73),), name="ünï.jpg", size=5)]
    path = tmp_path / "utf16.csv"
    path.write_text(write_bytes(entries, "csv").decode("utf-8"), encoding="utf-16")
    _h, again, reader = read_all(path)
    assert reader.count_bad == 0
    assert_same(entries, again)


def test_delimiter_sniffing() -> None:
    assert sniff_delimiter("a;b;c") == ";"
    assert sniff_delimiter("a\tb\tc") == "\t"
    assert sniff_delimiter('"a;b",c,d') == ","
    assert sniff_delimiter("a|b|c") == "|"
    assert sniff_delimiter("single") == ","
