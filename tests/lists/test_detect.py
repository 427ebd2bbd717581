"""Format detection from content, and the errors of the public API."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from jejak.errors import ConfigError, NotFound, UnsupportedFormat
from jejak.lists import FORMATS, detect_format, read_list
from tests.lists.conftest import read_all, write_bytes

EXPECTED = {
    "vics20_quirks.json": "vics",
    "vics20_clean.json": "vics",
    "vics13_verbose.json": "vics",
    "vics20_uk_cases.json": "vics",
    "icse_semicolon.csv": "icse",
    "icse_comma.csv": "icse",
    "nsrl_v2.txt": "nsrl",
    "md5sum.txt": "md5sum",
    "bsd_tags.txt": "md5sum",
    "sha256_bare.txt": "md5sum",
    "hashdeep.txt": "hashdeep",
    "hashdeep_sha1.txt": "hashdeep",
    "pdq_lines.txt": "pdq",
    "pdq_hma.csv": "pdq",
    "generic.csv": "csv",
}


def test_formats_tuple() -> None:
    assert FORMATS == ("vics", "icse", "nsrl", "md5sum", "hashdeep", "csv", "pdq")


@pytest.mark.parametrize(("name", "fmt"), sorted(EXPECTED.items()))
def test_each_fixture_is_detected_by_content(data: Path, tmp_path: Path, name: str, fmt: str) -> None:
    renamed = tmp_path / "list.bin"  # the name says nothing
    shutil.copy(data / name, renamed)
    assert detect_format(renamed) == fmt
    header, _reader = read_list(renamed)
    assert header.format == fmt


def test_sqlite_is_nsrl(tmp_path: Path) -> None:
    path = tmp_path / "x"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE DISTINCT_HASH (sha256, sha1, md5)")
    assert detect_format(path) == "nsrl"


def test_comment_saying_pdq_makes_a_bare_64_hex_list_pdq(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_text("# pdq hashes, one per line\n" + "ab" * 32 + "\n" + "cd" * 32 + "\n")
    assert detect_format(path) == "pdq"


def test_writer_output_is_detected_as_its_format(data: Path, tmp_path: Path) -> None:
    _h, entries, _r = read_all(data / "vics20_clean.json")
    for fmt in ("vics", "icse", "md5sum", "hashdeep", "csv", "pdq"):
        path = tmp_path / f"out-{fmt}"
        path.write_bytes(write_bytes(entries, fmt))
        assert detect_format(path) == fmt, fmt


def test_undetectable_content_names_the_way_out(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("Name,Colour\nball,red\n")
    with pytest.raises(UnsupportedFormat, match="cannot tell the list format") as exc:
        detect_format(path)
    assert "csv" in str(exc.value) and "Name,Colour" in str(exc.value)
    empty = tmp_path / "empty"
    empty.write_text("\n\n")
    with pytest.raises(UnsupportedFormat, match="empty"):
        detect_format(empty)
    array = tmp_path / "a.json"
    array.write_text("[]")
    with pytest.raises(UnsupportedFormat, match="JSON array"):
        detect_format(array)


def test_api_errors(data: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        read_list(tmp_path / "missing.json")
    with pytest.raises(UnsupportedFormat, match="unknown list format"):
        read_list(data / "md5sum.txt", format="xml")
    with pytest.raises(ConfigError, match="unknown category scheme"):
        read_list(data / "md5sum.txt", scheme="nope")
    with pytest.raises(UnsupportedFormat, match="unknown list format"):
        write_bytes([], "xml")
    header, _reader = read_list(
        data / "md5sum.txt", format="SHA256SUM"
    )  # names are case-insensitive, aliased
    assert header.format == "md5sum"


@pytest.mark.parametrize(
    "name",
    [
        "icse_semicolon.csv",
        "icse_comma.csv",
        "generic.csv",
        "hashdeep.txt",
        "pdq_hma.csv",
        "pdq_lines.txt",
        "md5sum.txt",
    ],
)
def test_a_reader_streams_straight_into_its_writer(data: Path, name: str) -> None:
    header, entries, _r = read_all(data / name)
    whole = write_bytes(entries, header.format, header)
    header2, reader2 = read_list(data / name)  # header notes (boolean spelling...) are learnt while writing
    assert write_bytes(reader2, header2.format, header2) == whole
