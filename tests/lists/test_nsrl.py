"""NSRL RDS v3 (SQLite, tables or views) and RDS v2 (NSRLFile.txt); read-only."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from jejak.errors import UnsupportedFormat
from jejak.model.records import HashValue
from tests.lists.conftest import read_all, write_bytes


def _digests(i: int) -> tuple[str, str, str]:
    b = f"nsrl-file-{i}".encode()
    return (
        hashlib.sha256(b).hexdigest().upper(),
        hashlib.sha1(b).hexdigest().upper(),
        hashlib.md5(b).hexdigest().upper(),
    )


def _rds(path: Path, distinct: str | None = "table", rows: int = 3) -> Path:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, "
            "crc32 VARCHAR, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, "
            "package_id INTEGER NOT NULL)"
        )
        for i in range(rows):
            sha256, sha1, md5 = _digests(i)
            for package in (10, 11):  # the same file in two packages: FILE repeats the hash
                db.execute(
                    "INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (sha256, sha1, md5, "1A2B3C4D", f"file{i}.dll", 100 + i, package),
                )
        db.execute("INSERT INTO FILE VALUES ('ZZ', 'ZZ', 'ZZ', NULL, 'broken', 0, 1)")
        if distinct == "table":
            db.execute("CREATE TABLE DISTINCT_HASH (sha256 VARCHAR, sha1 VARCHAR, md5 VARCHAR)")
            db.execute("INSERT INTO DISTINCT_HASH SELECT DISTINCT sha256, sha1, md5 FROM FILE")
        elif distinct == "view":
            db.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5 FROM FILE")
    return path


@pytest.mark.parametrize("distinct", ["table", "view"])
def test_v3_reads_distinct_hash_when_present(tmp_path: Path, distinct: str) -> None:
    path = _rds(tmp_path / "rds.db", distinct)
    header, entries, reader = read_all(path)
    assert (header.format, header.version, header.extra["table"]) == ("nsrl", "3", "DISTINCT_HASH")
    assert len(entries) == 3 and reader.count_skipped == 1
    sha256, sha1, md5 = _digests(0)
    assert entries[0].hashes == (
        HashValue("md5", md5.lower()),
        HashValue("sha1", sha1.lower()),
        HashValue("sha256", sha256.lower()),
    )
    assert entries[0].category is None and entries[0].extra == {}


def test_v3_without_distinct_hash_reads_file_with_names_and_sizes(tmp_path: Path) -> None:
    path = _rds(tmp_path / "rds.db", None)
    header, entries, reader = read_all(path)
    assert header.extra["table"] == "FILE"
    assert len(entries) == 6
    assert (entries[0].name, entries[0].size) == ("file0.dll", 100)
    assert entries[0].extra == {"crc32": "1A2B3C4D", "package_id": 10}
    assert reader.count_skipped == 1 and "no valid hash" in reader.problems[-1]


def test_v3_is_opened_read_only(tmp_path: Path) -> None:
    path = _rds(tmp_path / "rds.db")
    before = path.read_bytes()
    os.chmod(path, stat.S_IRUSR)
    os.chmod(tmp_path, stat.S_IRUSR | stat.S_IXUSR)  # not even a journal could be created beside it
    try:
        _h, entries, _r = read_all(path)
    finally:
        os.chmod(tmp_path, stat.S_IRWXU)
        os.chmod(path, stat.S_IRUSR | stat.S_IWUSR)
    assert len(entries) == 3
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rds.db"]


def test_v3_database_without_rds_tables(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x)")
    _h, entries, reader = read_all(path)
    assert entries == [] and not reader.complete
    assert "no DISTINCT_HASH or FILE table/view" in reader.problems[0]


def test_v2_nsrlfile_txt(data: Path) -> None:
    header, entries, reader = read_all(data / "nsrl_v2.txt")
    assert (header.format, header.version) == ("nsrl", "2")
    assert [(e.name, e.size) for e in entries] == [("winlogon.exe", 512000), ("read me, first.txt", 17)]
    assert entries[0].hash("sha1") == "f1365b4310ed5187530bbd1273ea4f349fab0c21"
    assert entries[0].extra == {"CRC32": "7A3F1C2B", "ProductCode": "1234", "OpSystemCode": "358"}
    assert reader.count_skipped == 1


def test_nsrl_has_no_writer() -> None:
    with pytest.raises(UnsupportedFormat, match="read-only"):
        write_bytes([], "nsrl")
