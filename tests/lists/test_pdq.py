"""PDQ lists: hash-per-line (with quality and extra fields) and CSV exports; the 64-hex ambiguity."""

from __future__ import annotations

from pathlib import Path

from jejak.model.lists import Category, ListEntry
from jejak.model.records import HashValue
from tests.lists.conftest import assert_same, read_all, round_trip, write_bytes

PDQ_A = "a7e6529bce76e9f477216e9ee7a46309973f798626b1cffc070d710920859634"


def test_lines_with_quality_comments_and_bad_lines(data: Path) -> None:
    header, entries, reader = read_all(data / "pdq_lines.txt")
    assert header.format == "pdq" and header.extra["layout"] == "lines"
    assert [(e.hashes[0].value[:8], e.hashes[0].quality, e.extra) for e in entries] == [
        ("a7e6529b", 100, {}),
        ("effddeea", 87, {"fields": ["platform-a", "2026-01-02"]}),
        ("cca2a92b", None, {}),  # upper-case, no quality
        ("23a5ef88", None, {}),  # quality 250 is out of range: kept without it
    ]
    assert all(e.hashes[0].algorithm == "pdq" for e in entries)
    assert reader.problems == [
        "line 6: PDQ quality: quality 250 is not 0-100; kept without it",
        f"line 7: pdq is not hexadecimal: 'nothex{PDQ_A[6:]}'; skipped",
    ]


def test_csv_export_with_a_pdq_column(data: Path) -> None:
    header, entries, reader = read_all(data / "pdq_hma.csv")
    assert header.format == "pdq" and header.extra["layout"] == "csv" and reader.count_bad == 0
    assert entries[0].hashes == (HashValue("pdq", PDQ_A, 100),)
    assert (entries[0].category, entries[0].series, entries[0].extra) == (
        Category("vic-us", "1"),
        "Blue Kite",
        {"source": "platform-a"},
    )


def test_round_trips(data: Path, tmp_path: Path) -> None:
    for name in ("pdq_lines.txt", "pdq_hma.csv"):
        header, entries, _r = read_all(data / name)
        header2, again, reader = round_trip(tmp_path, entries, "pdq", header)
        assert_same(entries, again)
        assert reader.count_bad == 0 and header2.extra["layout"] == header.extra["layout"]


def test_writer_skips_entries_without_pdq() -> None:
    entries = [
        ListEntry(hashes=(HashValue("md5", "a" * 32),)),
        ListEntry(hashes=(HashValue("md5", "b" * 32), HashValue("pdq", PDQ_A))),
        ListEntry(hashes=(HashValue("pdq", "f" * 64, 55),)),
    ]
    lines = write_bytes(entries, "pdq").decode().splitlines()
    assert lines[0].startswith("# PDQ hashes")
    assert lines[1:] == [PDQ_A, "f" * 64 + ",55"]


def test_a_bare_64_hex_list_is_sha256_unless_told(data: Path) -> None:
    _h, as_sums, _r = read_all(data / "sha256_bare.txt")
    assert {e.hashes[0].algorithm for e in as_sums} == {"sha256"}
    _h, as_pdq, _r = read_all(data / "sha256_bare.txt", format="pdq")
    assert {e.hashes[0].algorithm for e in as_pdq} == {"pdq"}
    assert [e.hashes[0].value for e in as_pdq] == [e.hashes[0].value for e in as_sums]
